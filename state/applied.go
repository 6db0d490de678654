package state

import (
	"sync"
	"sync/atomic"
)

// appliedIndex is the FSM's applied index, which writers on a follower
// wait on (Store.waitApplied): besides the index, it has a channel that
// is closed when the index moves on, so that they wake when it does
// rather than poll.
type appliedIndex struct {
	index atomic.Uint64
	mu    sync.Mutex
	moved chan struct{} // nil while no one waits
}

// Load returns the index.
func (a *appliedIndex) Load() uint64 { return a.index.Load() }

// Store sets the index and wakes those waiting for it to move.
func (a *appliedIndex) Store(i uint64) {
	a.index.Store(i)
	a.mu.Lock()
	if a.moved != nil {
		close(a.moved)
		a.moved = nil
	}
	a.mu.Unlock()
}

// Moved returns a channel closed at the next Store.
func (a *appliedIndex) Moved() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.moved == nil {
		a.moved = make(chan struct{})
	}
	return a.moved
}
