package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	mrand "math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/reconcile-dev/reconcile/internal/jsonscan"
	"github.com/reconcile-dev/reconcile/internal/names"
	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
)

// maxWriteAttempts bounds retries of a write that raced another write to
// the same resource.
const maxWriteAttempts = 5

// etag is a resource's version: its last modify index in the log.
func etag(index uint64) string { return fmt.Sprintf(`W/"%d"`, index) }

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

func storedResource(u *state.User) map[string]any {
	res := map[string]any{}
	if len(u.SCIM) > 0 {
		if err := json.Unmarshal(u.SCIM, &res); err != nil {
			res = map[string]any{}
		}
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

func (s *Server) getUser(r *request, id string) *protocol.Error {
	v := s.store.View()
	u, err := visibleUser(v, r, id)
	if err != nil {
		return err
	}
	tag := userETag(v, u)
	if match := r.Header.Get("If-None-Match"); match != "" && protocol.ETagMatches(match, tag) {
		r.w.Header().Set("ETag", tag)
		r.w.WriteHeader(http.StatusNotModified)
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

// userChange is a user write under construction.
type userChange struct {
	user        *state.User
	expect      uint64
	event       *state.SyncEvent
	active      bool // the provider's active flag: the FSM runs the lifecycle
	leaveGroups bool
}

// writeUser applies the change build computes from a fresh view, retrying
// when another write to the same user got in first. build returns nil
// when there is nothing to write.
func (s *Server) writeUser(r *request, build func(v *state.View) (*userChange, *protocol.Error)) (*state.User, *protocol.Error) {
	for attempt := range maxWriteAttempts {
		v := s.store.View()
		c, err := build(v)
		if err != nil || c == nil {
			return nil, err
		}
		c.event.Source, c.event.Provider, c.event.RequestID = state.SourceSCIM, r.provider.Name, r.id
		if c.event.Outcome == "" {
			c.event.Outcome = state.OutcomeOK
		}
		now := s.opts.Now().UTC() // each attempt is stamped when it is made
		res, applyErr := s.store.Apply(context.WithoutCancel(r.Context()), &state.Command{
			Type: state.CmdUserWrite, Time: now,
			UserWrite: &state.UserWrite{Provider: r.provider.Name, User: c.user, ExpectIndex: c.expect, Event: c.event, Active: &c.active, LeaveGroups: c.leaveGroups},
		})
		var stale *state.StaleError
		var conflict *state.ConflictError
		var refused *state.RefusedError
		switch {
		case applyErr == nil:
			u := *c.user
			u.ModifyIndex = res.Index
			if c.expect == 0 {
				u.CreateIndex, u.Created = res.Index, now
			}
			u.Modified = now
			return &u, nil
		case errors.As(applyErr, &stale):
			backoff(attempt)
			continue
		case errors.As(applyErr, &conflict):
			return nil, conflictError(conflict.Owner, r.provider.Name, conflict.Value)
		case errors.As(applyErr, &refused):
			return nil, protocol.Errorf(http.StatusConflict, "", "%s", refused.Refusals[0].Message)
		default:
			s.log.Error("scim: writing a user", "provider", r.provider.Name, "err", applyErr)
			return nil, protocol.Errorf(http.StatusServiceUnavailable, "", "the change could not be stored; nothing was changed, retry later")
		}
	}
	return nil, protocol.Errorf(http.StatusConflict, "", "the user kept changing while this request was applied; retry")
}

// backoff waits a little, more with each attempt and at random, so that
// writers racing for the same resource do not race again.
func backoff(attempt int) {
	time.Sleep(time.Duration(1+attempt*attempt) * time.Duration(1+mrand.IntN(5)) * time.Millisecond)
}

func conflictError(owner, provider, userName string) *protocol.Error {
	switch owner {
	case provider:
		return protocol.Uniqueness("a user with userName %q already exists", userName)
	case "":
		return protocol.Uniqueness("userName %q belongs to a local user: local users are managed only in the admin API, never through SCIM", userName)
	}
	// Which provider has it is not this provider's business.
	return protocol.Uniqueness("userName %q is not available", userName)
}

// readUserBody decodes and normalizes a User from the request body. Its
// userName is the caller's to check: checkName for a new user, checkRename
// for an existing one.
func (s *Server) readUserBody(r *request) (raw, res map[string]any, err *protocol.Error) {
	// The body is read into a pooled buffer: decoding copies what it keeps.
	buf := userBuffers.Get().(*[]byte)
	body, e := readBodyTo(*buf, r.Request, s.opts.MaxBodyBytes)
	if e != nil {
		putUserBuffer(buf, *buf)
		return nil, nil, protocol.AsError(e)
	}
	raw, e = protocol.DecodeObject(body)
	putUserBuffer(buf, body)
	if e != nil {
		return nil, nil, protocol.AsError(e)
	}
	res, e = protocol.User.Normalize(raw)
	if e != nil {
		return nil, nil, protocol.AsError(e)
	}
	return raw, res, nil
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

func (s *Server) createUser(r *request) *protocol.Error {
	raw, res, err := s.readUserBody(r)
	if err != nil {
		return err
	}
	if _, ok := res["active"]; !ok {
		res["active"] = true
	}
	p := r.provider
	userName, _ := res["userName"].(string)
	if err := checkName("userName", userName); err != nil {
		return err
	}
	if err := protocol.User.CheckLengths(res, nil); err != nil {
		return err
	}
	u, err := s.writeUser(r, func(v *state.View) (*userChange, *protocol.Error) {
		var existing *state.User
		for _, other := range v.UsersByUserName(userName) {
			if other.Provider != p.Name || !other.SCIMDeleted {
				return nil, conflictError(other.Provider, p.Name, userName)
			}
			// Deleted through SCIM and now created again: the same person
			// only if the externalIds agree. A recycled address must not
			// inherit someone else's account and archives.
			a, b := strAttr(storedResource(other), "externalId"), strAttr(res, "externalId")
			if a != b && a != "" {
				return nil, protocol.Uniqueness("userName %q belongs to a user this provider deleted, with another externalId; it is kept until purged. An admin can rename it (PATCH /api/v1/users/%s) to free the name", userName, other.ID)
			}
			// Without an externalId stored (none sent, or a PUT that left
			// it out), only the delete's own undoing is taken for the
			// same person: before the user's deactivation deadline (the
			// provider's deactivationDelay after the deprovision), as a
			// reactivation would be. Later (a legal hold or a paused
			// guard may keep the user blocked for months), the address
			// may have passed to someone else.
			if a == "" && (other.State != state.UserBlocked || other.DeactivateAt.IsZero() || !r.now.Before(other.DeactivateAt)) {
				return nil, protocol.Uniqueness("userName %q belongs to a user this provider deleted longer ago than its deactivationDelay; without an externalId the same person cannot be told from a new one with a recycled address. An admin can rename it (PATCH /api/v1/users/%s) to free the name", userName, other.ID)
			}
			existing = other
		}
		c := &userChange{event: &state.SyncEvent{Action: "user.create"}}
		u := &state.User{ID: state.NewID(), Provider: p.Name}
		if existing != nil {
			copyUser := *existing
			u, c.expect = &copyUser, existing.ModifyIndex
			u.SCIMDeleted = false
			c.event.Detail = "created again after a SCIM delete: same user, same id"
		} else {
			org, why := organizationFor(p, raw, res, v)
			u.Organization = org
			c.event.Detail = why
		}
		// A create has no old values worth logging; a create again does.
		c.event.Changes = applyFields(u, res, fieldsFor(p.Attributes), existing != nil)
		c.active = res["active"] == true
		u.SCIM = encodeResource(res)
		c.user = u
		return c, nil
	})
	if err != nil {
		return err
	}
	v := s.store.View()
	tag := userETag(v, u)
	r.w.Header().Set("Location", r.base+"/Users/"+u.ID)
	r.w.Header().Set("ETag", tag)
	// res is what was stored: no need to decode it again.
	s.writeUserJSON(r, http.StatusCreated, v, u, tag, res)
	return nil
}

// encodeResource encodes a resource for storage the way json.Marshal does,
// which is also how it comes back out of the log: an unchanged resource
// encodes to the same bytes.
func encodeResource(res map[string]any) json.RawMessage {
	// Encoded into a pooled buffer, kept in an array of its own size: the
	// stored user holds it for as long as it lives.
	buf := userBuffers.Get().(*[]byte)
	b, ok := protocol.AppendJSON(*buf, res)
	if ok {
		out := bytes.Clone(b)
		putUserBuffer(buf, b)
		return out
	}
	putUserBuffer(buf, *buf)
	b, err := json.Marshal(res)
	if err != nil {
		panic(err) // res holds only values decoded from JSON
	}
	return b
}

// checkIfMatch enforces If-Match (RFC 7644 §3.14) against the resource's
// current version.
func checkIfMatch(r *request, tag string) *protocol.Error {
	match := r.Header.Get("If-Match")
	if match == "" || protocol.ETagMatches(match, tag) {
		return nil
	}
	return protocol.PreconditionFailed("the resource changed: its version is %s, not %s", tag, match)
}

// replaceUser writes a new SCIM resource for an existing user (PUT, and
// PATCH after its operations).
func (s *Server) replaceUser(r *request, id string, next func(u *state.User) (map[string]any, *protocol.Error)) (*state.User, *protocol.Error) {
	p := r.provider
	return s.writeUser(r, func(v *state.View) (*userChange, *protocol.Error) {
		cur, err := visibleUser(v, r, id)
		if err != nil {
			return nil, err
		}
		if err := checkIfMatch(r, userETag(v, cur)); err != nil {
			return nil, err
		}
		res, err := next(cur)
		if err != nil {
			return nil, err
		}
		userName, _ := res["userName"].(string)
		if err := checkRename("userName", cur.UserName, userName); err != nil {
			return nil, err
		}
		if err := protocol.User.CheckLengths(res, protocol.User.StoredHas(func() map[string]any { return storedResource(cur) })); err != nil {
			return nil, err
		}
		if _, ok := res["active"]; !ok {
			// A PUT that leaves out active does not deprovision anyone.
			res["active"] = string(jsonscan.Value(cur.SCIM, "active")) != "false"
		}
		u := *cur
		c := &userChange{user: &u, expect: cur.ModifyIndex, event: &state.SyncEvent{Action: "user.update"}, active: res["active"] == true}
		c.event.Changes = applyFields(&u, res, fieldsFor(p.Attributes), true)
		u.SCIM = encodeResource(res)
		if bytes.Equal(u.SCIM, cur.SCIM) && len(c.event.Changes) == 0 {
			return nil, nil // nothing changed: nothing to log or store
		}
		return c, nil
	})
}

func (s *Server) putUser(r *request, id string) *protocol.Error {
	_, res, err := s.readUserBody(r)
	if err != nil {
		return err
	}
	u, err := s.replaceUser(r, id, func(*state.User) (map[string]any, *protocol.Error) { return res, nil })
	if err != nil {
		return err
	}
	return s.respondUser(r, id, u, http.StatusOK)
}

func (s *Server) patchUser(r *request, id string) *protocol.Error {
	body, e := readBody(r.Request, s.opts.MaxBodyBytes)
	if e != nil {
		return protocol.AsError(e)
	}
	ops, e := protocol.DecodePatch(body)
	if e != nil {
		return protocol.AsError(e)
	}
	u, err := s.replaceUser(r, id, func(cur *state.User) (map[string]any, *protocol.Error) {
		out, err := protocol.User.Patch(storedResource(cur), ops)
		if err != nil {
			return nil, protocol.AsError(err)
		}
		return out, nil
	})
	if err != nil {
		return err
	}
	// RFC 7644 §3.5.2: 204, unless the client asked for attributes.
	q := r.URL.Query()
	if q.Get("attributes") == "" && q.Get("excludedAttributes") == "" {
		// The version after the write, for the client's next If-Match
		// (u is nil when the PATCH changed nothing: the stored one).
		v := s.store.View()
		if u == nil {
			u = v.User(id)
		}
		if u != nil {
			r.w.Header().Set("ETag", userETag(v, u))
		}
		r.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return s.respondUser(r, id, u, http.StatusOK)
}

// respondUser answers with the user as written (u), or as stored when the
// write changed nothing (u nil).
func (s *Server) respondUser(r *request, id string, u *state.User, status int) *protocol.Error {
	v := s.store.View()
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

// deleteUser deprovisions: the user is blocked at once, deactivated after
// the provider's delay, and gone from SCIM. Nothing is hard-deleted.
func (s *Server) deleteUser(r *request, id string) *protocol.Error {
	_, err := s.writeUser(r, func(v *state.View) (*userChange, *protocol.Error) {
		cur, err := visibleUser(v, r, id)
		if err != nil {
			return nil, err
		}
		if err := checkIfMatch(r, userETag(v, cur)); err != nil {
			return nil, err
		}
		u := *cur
		u.SCIMDeleted = true
		return &userChange{user: &u, expect: cur.ModifyIndex, leaveGroups: true, active: false, event: &state.SyncEvent{
			Action: "user.delete", Detail: "deleted through SCIM: blocked, and deactivated after the provider's delay",
		}}, nil
	})
	if err != nil {
		return err
	}
	r.w.WriteHeader(http.StatusNoContent)
	return nil
}
