package scim

import (
	"fmt"
	"net/http"

	"github.com/reconcile-dev/reconcile/scim/protocol"
)

// A resource's version is its ETag (RFC 7644 §3.14): conditional
// requests compare it with If-Match and If-None-Match.

// etag is a resource's version: its last modify index in the log.
func etag(index uint64) string { return fmt.Sprintf(`W/"%d"`, index) }

// checkIfMatch enforces If-Match (RFC 7644 §3.14) against the resource's
// current version.
func checkIfMatch(r *request, tag string) *protocol.Error {
	match := r.Header.Get("If-Match")
	if match == "" || protocol.ETagMatches(match, tag) {
		return nil
	}
	return protocol.PreconditionFailed("the resource changed: its version is %s, not %s", tag, match)
}

// notModified answers 304 Not Modified, with the resource's version tag,
// when the request's If-None-Match names it, and says whether it did.
func notModified(r *request, tag string) bool {
	match := r.Header.Get("If-None-Match")
	if match == "" || !protocol.ETagMatches(match, tag) {
		return false
	}
	r.w.Header().Set("ETag", tag)
	r.w.WriteHeader(http.StatusNotModified)
	return true
}
