package admin

import (
	"sync/atomic"

	"github.com/reconcile-dev/reconcile/reconcile"
)

// fakeLoop is a reconcile loop that has applied main@sha1:1 and counts
// its triggers.
type fakeLoop struct {
	triggers atomic.Int32
}

func (l *fakeLoop) Status() reconcile.Status {
	return reconcile.Status{Revision: "main@sha1:1", Attempted: "main@sha1:1", Ready: true, Runs: 1}
}

func (l *fakeLoop) Trigger() { l.triggers.Add(1) }
