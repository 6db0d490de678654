package scim

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"sync"
	"time"

	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
)

// userETag is a user's version. A user's representation lists their
// groups, which change without the user record changing, so the versions
// of their groups count too.
func userETag(v *state.View, u *state.User) string {
	groups := v.GroupsOfUser(u.ID)
	if len(groups) == 0 {
		return etag(u.ModifyIndex)
	}
	h := fnv.New64a()
	for _, g := range groups {
		fmt.Fprintf(h, "%s/%d;", g.ID, g.ModifyIndex)
	}
	return fmt.Sprintf(`W/"%d-%x"`, u.ModifyIndex, h.Sum64())
}

// visibleUser returns a user this provider may see: its own, not deleted.
func visibleUser(v *state.View, r *request, id string) (*state.User, *protocol.Error) {
	u := v.User(id)
	if u == nil || u.Provider != r.provider.Name || u.SCIMDeleted {
		return nil, protocol.NotFound("User %q not found", id)
	}
	return u, nil
}

// storedResource is a user's stored SCIM resource, decoded, with their
// current userName.
func storedResource(u *state.User) map[string]any {
	res := map[string]any{}
	var bad bool
	if err := u.SCIM.WithJSON(func(text []byte) { bad = len(text) > 0 && json.Unmarshal(text, &res) != nil }); err != nil || bad {
		res = map[string]any{}
	}
	res["userName"] = u.UserName
	return res
}

// userJSON is a user as SCIM returns it, before projection.
func (s *Server) userJSON(r *request, v *state.View, u *state.User, withGroups bool) map[string]any {
	return s.userJSONFrom(r, v, u, storedResource(u), withGroups)
}

// userJSONFrom is userJSON from the user's stored resource already
// decoded (res, which it completes): a write has it in hand.
func (s *Server) userJSONFrom(r *request, v *state.View, u *state.User, res map[string]any, withGroups bool) map[string]any {
	res["userName"] = u.UserName
	if _, ok := res["active"]; !ok {
		res["active"] = u.State == state.UserActive
	}
	res["id"] = u.ID
	schemas := []any{protocol.URNUser}
	for _, ext := range protocol.User.Extensions() {
		if _, ok := res[ext.ID]; ok {
			schemas = append(schemas, ext.ID)
		}
	}
	res["schemas"] = schemas
	if withGroups {
		var groups []any
		for _, g := range v.GroupsOfUser(u.ID) {
			groups = append(groups, map[string]any{"value": g.ID, "display": g.DisplayName, "$ref": r.base + "/Groups/" + g.ID, "type": "direct"})
		}
		if groups != nil {
			res["groups"] = groups
		}
	}
	res["meta"] = map[string]any{
		"resourceType": "User",
		"created":      u.Created.UTC().Format(time.RFC3339Nano),
		"lastModified": u.Modified.UTC().Format(time.RFC3339Nano),
		"location":     r.base + "/Users/" + u.ID,
		"version":      userETag(v, u),
	}
	return res
}

// getUser answers GET /Users/{id}.
func (s *Server) getUser(r *request, id string) *protocol.Error {
	v := s.view(r)
	u, err := visibleUser(v, r, id)
	if err != nil {
		return err
	}
	tag := userETag(v, u)
	if notModified(r, tag) {
		return nil
	}
	r.w.Header().Set("ETag", tag)
	s.writeUserJSON(r, http.StatusOK, v, u, tag, nil)
	return nil
}

// writeUserJSON answers with u, projected as the request asks. res is
// the user's stored resource if the caller has it decoded, or nil.
func (s *Server) writeUserJSON(r *request, status int, v *state.View, u *state.User, tag string, res map[string]any) {
	p := protocol.QueryFromURL(r.URL.Query()).Projection()
	if p.All() {
		buf := userBuffers.Get().(*[]byte)
		body, ok := s.appendUser((*buf)[:0], r, v, u, tag)
		if ok {
			writeRaw(r.w, status, body)
		}
		putUserBuffer(buf, body)
		if ok {
			return
		}
	}
	if res == nil {
		res = storedResource(u)
	}
	writeJSON(r.w, status, p.Apply(protocol.User, s.userJSONFrom(r, v, u, res, true)))
}

// userBuffers are the scratch buffers of a user's request: the body of a
// user write is read into one (decoding copies what it keeps), the stored
// resource is encoded into one (and copied out), and the response is
// rendered into one (the ResponseWriter copies what it is given). Those
// grown past maxPooledBuffer (a user with thousands of groups) are left to
// the collector.
var userBuffers = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledBuffer = 64 << 10

// putUserBuffer gives buf back to the pool, holding b, what was rendered
// into it (and may have grown it), unless b grew too large to keep.
func putUserBuffer(buf *[]byte, b []byte) {
	if cap(b) <= maxPooledBuffer {
		*buf = b[:0]
		userBuffers.Put(buf)
	}
}

// respondUser answers with the user as written (u), or as stored when the
// write changed nothing (u nil).
func (s *Server) respondUser(r *request, id string, u *state.User, status int) *protocol.Error {
	v := s.view(r)
	if u == nil {
		var err *protocol.Error
		if u, err = visibleUser(v, r, id); err != nil {
			return err
		}
	}
	tag := userETag(v, u)
	r.w.Header().Set("ETag", tag)
	s.writeUserJSON(r, status, v, u, tag, nil)
	return nil
}
