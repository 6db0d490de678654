package scim

import (
	"context"
	"net/http"
	"time"

	"github.com/reconcile-dev/reconcile/scim/protocol"
)

// A cluster node's state may miss writes acknowledged elsewhere until it
// has waited for a read barrier (state.Store.Consistent): on the leader,
// a round of heartbeats and the apply of what it knows to be committed.
// A write to a user needs none when the log commits it: the command
// carries the version of the user it was built on and the FSM refuses it
// if another write got in first, and checks the userName where it is
// applied, so a committed write was built on what it changes, and only a
// leader commits. Its answer comes from that command. An answer from the
// node's state instead (nothing to change, 404, 412, a conflict) is a
// read, and waits for the barrier first. So does what the command does
// not carry the version of: the user's groups, which a conditional
// write's ETag covers, and the organizations a create may be mapped to
// by an attribute. The provider the request authenticated as, and whose
// mappings and rollout it follows, is read before the barrier: the
// command carries its version, and the FSM refuses the write if it
// changed; the request is then authenticated again on the new one. A
// request it refuses is authenticated again after the barrier: a node
// restarted from an older snapshot may not hold the provider, or its
// new secret, yet.

// barrierKey carries the barrier a request waits for only when it needs to
// (DeferBarrier).
type barrierKey struct{}

// DeferBarrier returns r with its wait for barrier left to the server: a
// write to a user waits for it only before it answers from this node's
// state rather than from a write the log committed; any other request
// waits for it first. The daemon's cluster nodes pass their SCIM writes
// so; a request without it is served on the state as it is.
func DeferBarrier(r *http.Request, barrier func(context.Context) error) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), barrierKey{}, barrier))
}

// deferredBarrier returns the barrier DeferBarrier left to the server, or
// nil.
func deferredBarrier(r *http.Request) func(context.Context) error {
	b, _ := r.Context().Value(barrierKey{}).(func(context.Context) error)
	return b
}

// settle waits for the request's deferred barrier, once: after it, the
// state holds every write acknowledged anywhere before the request, and
// the request is authenticated again on it (its provider, read before,
// may have changed: its secret, its mappings, its rollout).
func (s *Server) settle(r *request) *protocol.Error {
	if r.barrier == nil {
		return nil
	}
	b := r.barrier
	r.barrier = nil
	if err := waitBarrier(r.Context(), b); err != nil {
		return err
	}
	return s.reauthenticate(r)
}

// waitBarrier waits for a deferred barrier; a failure is a 503 with
// Retry-After.
func waitBarrier(ctx context.Context, b func(context.Context) error) *protocol.Error {
	if err := b(ctx); err != nil {
		e := protocol.Errorf(http.StatusServiceUnavailable, "", "this node cannot serve a consistent request now: %v", err)
		e.RetryAfter = time.Second
		return e
	}
	return nil
}

// refresh prepares a write the FSM refused as built on an older version
// of its provider to be built again: after the barrier if it has one,
// and authenticated again on the provider as the state has it now.
func (s *Server) refresh(r *request) *protocol.Error {
	if r.barrier != nil {
		return s.settle(r)
	}
	return s.reauthenticate(r)
}

// reauthenticate authenticates r again, as its provider is now.
func (s *Server) reauthenticate(r *request) *protocol.Error {
	p, err := s.authenticate(r.Request, s.store.View().Provider(r.provider.Name))
	if err != nil {
		return err
	}
	r.provider = p
	return nil
}
