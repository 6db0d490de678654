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

func TestFloor(t *testing.T) {
	tests := []struct {
		gogc string
		want int
		on   bool
	}{
		{"", 100, true},
		{"200", 200, true},
		{" 50 ", 50, true},
		{"off", 0, false},
		{"OFF", 0, false},
		{"nonsense", 100, true},
		{"-5", 100, true},
	}
	for _, tt := range tests {
		if got, on := Floor(tt.gogc); got != tt.want || on != tt.on {
			t.Errorf("Floor(%q) = %d, %v; want %d, %v", tt.gogc, got, on, tt.want, tt.on)
		}
	}
}

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		live, headroom uint64
		floor, want    int
	}{
		{32 * mib, 256 * mib, 100, 800},  // small heap: 256 MiB of growth
		{33 * mib, 256 * mib, 100, 776},  // rounded up: never less than the headroom
		{512 * mib, 256 * mib, 100, 100}, // large heap: GOGC's growth is more
		{512 * mib, 256 * mib, 200, 200},
		{0, 256 * mib, 100, math.MaxInt32}, // capped
	}
	for _, tt := range tests {
		if got := Percent(tt.live, tt.headroom, tt.floor); got != tt.want {
			t.Errorf("Percent(%d, %d, %d) = %d, want %d", tt.live, tt.headroom, tt.floor, got, tt.want)
		}
		// The next cycle starts no sooner than headroom bytes later.
		if got := Percent(tt.live, tt.headroom, tt.floor); tt.live > 0 && tt.live*uint64(got)/100 < tt.headroom {
			t.Errorf("Percent(%d, %d) = %d leaves %d bytes of growth", tt.live, tt.headroom, got, tt.live*uint64(got)/100)
		}
	}
}

// TestKeep checks that a cycle sets the percentage from the live heap and
// that stopping restores GOGC's.
func TestKeep(t *testing.T) {
	t.Setenv("GOGC", "100")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	tuned := make(chan int, 16)
	ctx, cancel := context.WithCancel(context.Background())
	Keep(ctx, 1<<40, slog.Default(), func(p int) { tuned <- p })
	runtime.GC()
	runtime.GC() // the cleanup of the first cycle runs during the second at the latest
	select {
	case p := <-tuned:
		if p <= 100 {
			t.Errorf("with 1 TiB of headroom the percentage is %d", p)
		}
	case <-time.After(time.Minute):
		t.Fatal("no percentage set after two collections")
	}
	cancel()
	runtime.GC()
	for p := range tuned {
		if p == 100 {
			break // restored
		}
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after ctx ended the percentage is %d, want GOGC's 100", got)
	}
}

func TestKeepOff(t *testing.T) {
	for _, tt := range []struct {
		gogc     string
		headroom uint64
	}{{"off", 1 << 30}, {"100", 0}} {
		t.Setenv("GOGC", tt.gogc)
		called := false
		Keep(context.Background(), tt.headroom, slog.Default(), func(int) { called = true })
		runtime.GC()
		runtime.GC()
		if called {
			t.Errorf("GOGC=%s, headroom %d: the percentage was changed", tt.gogc, tt.headroom)
		}
	}
}
