//go:build race

package state

// raceDetector is whether the tests run with -race, which makes
// allocations of its own: counts of allocations are not checked then.
const raceDetector = true
