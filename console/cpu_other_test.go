//go:build !unix

package console

import "testing"

// reportCPU runs run: the CPU time is read on Unix only.
func reportCPU(b *testing.B, run func()) { run() }
