package state

import (
	"testing"
	"time"
)

// TestAppliedIndexWakes: a channel from Moved is closed by the next
// Store, and only then; a Store with no one waiting makes no channel.
func TestAppliedIndexWakes(t *testing.T) {
	var a appliedIndex
	a.Store(3)
	if a.moved.ch != nil {
		t.Fatal("a Store with no one waiting made a channel")
	}
	moved := a.Moved()
	if again := a.Moved(); again != moved {
		t.Fatal("two waiters got different channels before a Store")
	}
	select {
	case <-moved:
		t.Fatal("the channel was closed before a Store")
	default:
	}
	a.Store(4)
	select {
	case <-moved:
	case <-time.After(10 * time.Second):
		t.Fatal("the channel was not closed by Store")
	}
	if a.Load() != 4 {
		t.Errorf("Load = %d, want 4", a.Load())
	}
	if next := a.Moved(); next == moved {
		t.Error("a waiter after the Store got the closed channel")
	}
}
