// Package gcheadroom keeps a minimum of heap growth between garbage
// collections.
//
// Go's garbage collector starts a cycle when the heap has grown by GOGC
// percent of what the last one found live. A daemon with a small live
// heap (a few thousand users) and a steady stream of writes then collects
// several times a second, and every request that arrives during a mark
// phase pays for it in latency. Keep raises the GC percentage after each
// cycle so that the heap may grow by at least a given number of bytes:
// small heaps are collected a few times a minute instead, and large ones
// (where GOGC's growth already exceeds the headroom) exactly as GOGC says.
// GOMEMLIMIT still applies on top.
package gcheadroom

import (
	"context"
	"log/slog"
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// minHeap is the runtime's smallest heap goal at GOGC=100; it scales
// with the percentage (runtime/mgcpacer.go, heapMinimum).
const minHeap = 4 << 20

// Percent is the GC percentage that lets the heap grow by at least
// headroom bytes before the next cycle, and never less than floor. The
// runtime's goal is the live heap plus scanned stacks and globals, grown
// by the percentage, but never under minHeap grown by it: the percentage
// is capped so that this minimum is not more than the headroom either.
func Percent(live, stacks, globals, headroom uint64, floor int) int {
	base := max(live+stacks+globals, 1)
	p := min(ceilDiv(headroom*100, base), headroom*100/minHeap, math.MaxInt32)
	return max(floor, int(p))
}

func ceilDiv(a, b uint64) uint64 { return (a + b - 1) / b }

// Keep keeps headroom bytes of heap growth between collections until ctx
// ends, then restores the GC percentage in effect when it was called (what
// GOGC says, as the runtime read it). It does nothing when headroom is 0
// or the collector is off. tuned, if not nil, is called with each
// percentage set (for tests).
func Keep(ctx context.Context, headroom uint64, log *slog.Logger, tuned func(int)) {
	sample := []metrics.Sample{
		{Name: "/gc/gogc:percent"},
		{Name: "/gc/heap/live:bytes"},
		{Name: "/gc/scan/stack:bytes"},
		{Name: "/gc/scan/globals:bytes"},
	}
	metrics.Read(sample)
	for _, s := range sample {
		if s.Value.Kind() != metrics.KindUint64 {
			log.Warn("gc headroom: the runtime does not report " + s.Name + "; GOGC applies as is")
			return
		}
	}
	// What GOGC (or an earlier SetGCPercent) set, as the runtime read it;
	// off reads as a negative percentage.
	floor := int64(sample[0].Value.Uint64())
	if headroom == 0 || floor < 0 || floor > math.MaxInt32 {
		return
	}
	cycles := make(chan struct{}, 1)
	var arm func()
	arm = func() {
		// A cleanup runs once the object is found unreachable: after the
		// next cycle. It re-arms itself for the one after.
		runtime.AddCleanup(new([16]byte), func(struct{}) {
			select {
			case cycles <- struct{}{}:
			default:
			}
			if ctx.Err() == nil {
				arm()
			}
		}, struct{}{})
	}
	arm()
	set := func(p int) {
		debug.SetGCPercent(p)
		if tuned != nil {
			tuned(p)
		}
	}
	go func() {
		last := -1
		for {
			select {
			case <-ctx.Done():
				set(int(floor))
				return
			case <-cycles:
			}
			metrics.Read(sample)
			p := Percent(sample[1].Value.Uint64(), sample[2].Value.Uint64(), sample[3].Value.Uint64(), headroom, int(floor))
			if p != last {
				set(p)
				last = p
			}
		}
	}()
}
