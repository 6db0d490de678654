package gcheadroom

import (
	"context"
	"log/slog"
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		live, stacks, globals, headroom uint64
		floor, want                     int
	}{
		{32 * mib, 0, 0, 256 * mib, 100, 800},          // small heap: 256 MiB of growth
		{33 * mib, 0, 0, 256 * mib, 100, 776},          // rounded up: never less than the headroom
		{30 * mib, 2 * mib, 0, 256 * mib, 100, 800},    // stacks and globals count towards the goal
		{512 * mib, 0, 0, 256 * mib, 100, 100},         // large heap: GOGC's growth is more
		{512 * mib, 0, 0, 256 * mib, 200, 200},         // GOGC's own percentage is the floor
		{1 * mib, 0, 0, 256 * mib, 100, 6400},          // tiny heap: the runtime's 4 MiB minimum, grown, is the headroom
		{0, 0, 0, 256 * mib, 100, 6400},                //
		{1, 0, 0, 1 << 40, 100, 26214400},              // the minimum, grown, is the headroom
		{1, 0, 0, 1 << 50, 100, math.MaxInt32},         // capped
		{64 * mib, 0, 0, 0, 100, 100},                  // no headroom
		{64 * mib, 0, 0, 1 * mib, 100, 100},            // less than GOGC gives anyway
		{1 * mib, 0, 0, 2 * mib, 100, 100},             // under the runtime's minimum anyway
		{100 * mib, 0, 0, 256 * mib, 0, 256},           // GOGC=0 still gets the headroom
		{200 * mib, 56 * mib, 0, 1024 * mib, 100, 400}, //
	}
	for _, tt := range tests {
		got := Percent(tt.live, tt.stacks, tt.globals, tt.headroom, tt.floor)
		if got != tt.want {
			t.Errorf("Percent(%d, %d, %d, %d, %d) = %d, want %d", tt.live, tt.stacks, tt.globals, tt.headroom, tt.floor, got, tt.want)
		}
		// The goal the runtime derives: growth by the headroom, or to it
		// when the runtime's minimum is what counts (unless capped), and
		// never more than the headroom past what GOGC gives.
		base := tt.live + tt.stacks + tt.globals
		goal := max(base+base*uint64(got)/100, minHeap*uint64(got)/100)
		if got < math.MaxInt32 && goal < min(base+tt.headroom, max(tt.headroom, minHeap)) {
			t.Errorf("Percent(%d, ...) = %d: goal %d leaves less than %d of growth", tt.live, got, goal, tt.headroom)
		}
		if gogc := max(base+base*uint64(tt.floor)/100, minHeap*uint64(tt.floor)/100); goal > max(gogc, base+tt.headroom+base/100+1) {
			t.Errorf("Percent(%d, ...) = %d: goal %d is more than the headroom (%d) past GOGC's (%d)", tt.live, got, goal, tt.headroom, gogc)
		}
	}
}

// TestKeep checks that a cycle sets the percentage from the live heap and
// that stopping restores the percentage in effect before.
func TestKeep(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	tuned := make(chan int, 16)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	Keep(ctx, 1<<30, slog.Default(), func(p int) { tuned <- p })
	runtime.GC()
	runtime.GC() // the cleanup of the first cycle runs during the second at the latest
	if p := receive(t, tuned); p <= 150 {
		t.Errorf("with 1 GiB of headroom the percentage is %d", p)
	}
	cancel()
	for p := receive(t, tuned); p != 150; p = receive(t, tuned) {
	}
	if got := debug.SetGCPercent(150); got != 150 {
		t.Errorf("after ctx ended the percentage is %d, want the 150 in effect before", got)
	}
}

func receive(t *testing.T, c chan int) int {
	t.Helper()
	select {
	case p := <-c:
		return p
	case <-time.After(time.Minute): // a guard against hanging, not a timing
		t.Fatal("no percentage set")
		return 0
	}
}

// TestKeepOff: with the collector off or no headroom nothing changes.
func TestKeepOff(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, tt := range []struct {
		percent  int
		headroom uint64
	}{{-1, 1 << 30}, {100, 0}} {
		debug.SetGCPercent(tt.percent)
		called := make(chan int, 1)
		Keep(context.Background(), tt.headroom, slog.Default(), func(p int) { called <- p })
		runtime.GC()
		runtime.GC()
		select {
		case p := <-called:
			t.Errorf("percentage %d, headroom %d: set to %d", tt.percent, tt.headroom, p)
		default:
		}
		if got := debug.SetGCPercent(100); got != tt.percent {
			t.Errorf("percentage %d, headroom %d: now %d", tt.percent, tt.headroom, got)
		}
	}
}
