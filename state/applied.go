package state

import (
	"sync"
	"sync/atomic"
)

// broadcast wakes every waiter at once: Wait returns a channel that the
// next Notify closes.
type broadcast struct {
	mu sync.Mutex
	ch chan struct{} // nil while no one waits
}

// Wait returns a channel closed at the next Notify.
func (b *broadcast) Wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch == nil {
		b.ch = make(chan struct{})
	}
	return b.ch
}

// Notify wakes those waiting.
func (b *broadcast) Notify() {
	b.mu.Lock()
	if b.ch != nil {
		close(b.ch)
		b.ch = nil
	}
	b.mu.Unlock()
}

// appliedIndex is the FSM's applied index, which writers on a follower
// wait on (Store.waitApplied): besides the index, it wakes those waiting
// when the index moves on, so that they need not poll.
type appliedIndex struct {
	index atomic.Uint64
	moved broadcast
}

// Load returns the index.
func (a *appliedIndex) Load() uint64 { return a.index.Load() }

// Store sets the index and wakes those waiting for it to move.
func (a *appliedIndex) Store(i uint64) {
	a.index.Store(i)
	a.moved.Notify()
}

// Moved returns a channel closed at the next Store.
func (a *appliedIndex) Moved() <-chan struct{} { return a.moved.Wait() }
