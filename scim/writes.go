package scim

import (
	mrand "math/rand/v2"
	"net/http"
	"time"

	"github.com/reconcile-dev/reconcile/internal/names"
	"github.com/reconcile-dev/reconcile/scim/protocol"
)

// What writes to users and to groups share.

// maxWriteAttempts bounds retries of a write that raced another write to
// the same resource.
const maxWriteAttempts = 5

// backoff waits a little, more with each attempt and at random, so that
// writers racing for the same resource do not race again.
func backoff(attempt int) {
	time.Sleep(time.Duration(1+attempt*attempt) * time.Duration(1+mrand.IntN(5)) * time.Millisecond)
}

// tooLate is the 503 of a write whose time ran out before it was built
// (nil while it has time): its client, or the cluster node that forwarded
// it, no longer waits for it, and built now, on a state that may hold the
// client's later writes, it could undo them. Nothing was changed.
func tooLate(r *request) *protocol.Error {
	if err := r.Context().Err(); err != nil {
		return storeUnavailable(err)
	}
	return nil
}

// checkRename is checkName for a write to an existing user or group: a
// name it already had passes if not blank (names.CheckKept).
func checkRename(attr, old, name string) *protocol.Error {
	if err := names.CheckKept(attr, old, name); err != nil {
		return protocol.InvalidValue("%s", err)
	}
	return nil
}

// checkName refuses a new userName or group displayName that
// names.Check refuses: blank, too long, not NFC, or holding characters
// that would take over, hide or reorder text in the admin's terminal
// (reconcile users, reconcile log).
func checkName(attr, name string) *protocol.Error {
	if err := names.Check(attr, name); err != nil {
		return protocol.InvalidValue("%s", err)
	}
	return nil
}

// readPatch reads the PatchOp message (RFC 7644 §3.5.2) of a PATCH to a
// user or a group.
func (s *Server) readPatch(r *request) ([]protocol.Operation, *protocol.Error) {
	body, err := readBody(r.Request, s.opts.MaxBodyBytes)
	if err != nil {
		return nil, err
	}
	ops, e := protocol.DecodePatch(body)
	if e != nil {
		return nil, protocol.AsError(e)
	}
	return ops, nil
}

// answerPatch answers a PATCH that was applied (RFC 7644 §3.5.2): 204
// with the resource's version after the write, for the client's next
// If-Match (version gives it, "" for none), unless the client asked for
// attributes; then respond answers with the resource.
func answerPatch(r *request, version func() string, respond func() *protocol.Error) *protocol.Error {
	q := r.URL.Query()
	if q.Get("attributes") != "" || q.Get("excludedAttributes") != "" {
		return respond()
	}
	if tag := version(); tag != "" {
		r.w.Header().Set("ETag", tag)
	}
	r.w.WriteHeader(http.StatusNoContent)
	return nil
}
