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
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
)

// Floor returns the GC percentage GOGC asks for (100 if unset), and false
// when GOGC turns the collector off.
func Floor(gogc string) (int, bool) {
	switch v := strings.TrimSpace(gogc); {
	case v == "":
		return 100, true
	case strings.EqualFold(v, "off"):
		return 0, false
	default:
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 100, true // as the runtime reads it
		}
		return n, true
	}
}

// Percent is the GC percentage that lets a heap of live bytes grow by at
// least headroom bytes before the next cycle, and never less than floor.
func Percent(live, headroom uint64, floor int) int {
	if live == 0 {
		live = 1
	}
	p := (headroom*100 + live - 1) / live
	if p > math.MaxInt32 {
		p = math.MaxInt32
	}
	return max(floor, int(p))
}

// Keep keeps headroom bytes of heap growth between collections until ctx
// ends, then restores the GC percentage GOGC asks for. It does nothing
// when headroom is 0 or GOGC is off. tuned, if not nil, is called with
// each percentage set (for tests).
func Keep(ctx context.Context, headroom uint64, log *slog.Logger, tuned func(int)) {
	floor, on := Floor(os.Getenv("GOGC"))
	if headroom == 0 || !on {
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
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
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
				set(floor)
				return
			case <-cycles:
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() != metrics.KindUint64 {
				log.Warn("gc headroom: the runtime does not report the live heap; GOGC applies as is")
				set(floor)
				return
			}
			if p := Percent(sample[0].Value.Uint64(), headroom, floor); p != last {
				set(p)
				last = p
			}
		}
	}()
}
