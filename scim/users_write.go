package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/internal/jsonscan"
	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
)

// userChange is a user write under construction.
type userChange struct {
	user        *state.User
	expect      uint64
	event       *state.SyncEvent
	active      bool // the provider's active flag: the FSM runs the lifecycle
	leaveGroups bool
}

// writeUser applies the change build computes from a fresh view, retrying
// when another write to the same user, or to its provider, got in first.
// build returns nil when there is nothing to write; it reads the provider
// from r, which a retry may have read again. Any answer but a committed
// write's is built again after the request's barrier, if it has one
// (barrier.go), as is a conditional write (If-Match): the ETag covers the
// user's groups, which its command does not carry.
func (s *Server) writeUser(r *request, build func(v *state.View) (*userChange, *protocol.Error)) (*state.User, *protocol.Error) {
	if r.Header.Get("If-Match") != "" {
		if err := s.settle(r); err != nil {
			return nil, err
		}
	}
	for attempt := 0; attempt < maxWriteAttempts; {
		if err := tooLate(r); err != nil {
			return nil, err
		}
		v := s.view(r)
		c, err := build(v)
		if err != nil || c == nil {
			if r.barrier == nil {
				return nil, err
			}
			if err := s.settle(r); err != nil {
				return nil, err
			}
			continue // once: settle leaves no barrier
		}
		c.event.Source, c.event.Provider, c.event.RequestID = state.SourceSCIM, r.provider.Name, r.id
		if c.event.Outcome == "" {
			c.event.Outcome = state.OutcomeOK
		}
		now := s.opts.Now().UTC() // each attempt is stamped when it is made
		res, applyErr := s.store.Apply(context.WithoutCancel(r.Context()), &state.Command{
			Type: state.CmdUserWrite, Time: now,
			UserWrite: &state.UserWrite{Provider: r.provider.Name, ProviderIndex: r.provider.ModifyIndex, User: c.user, ExpectIndex: c.expect,
				Event: c.event, Active: &c.active, LeaveGroups: c.leaveGroups},
		})
		var stale *state.StaleError
		var conflict *state.ConflictError
		var refused *state.RefusedError
		var gone *state.NotFoundError
		switch {
		case applyErr == nil:
			u := *c.user
			u.ModifyIndex = res.Index
			if c.expect == 0 {
				u.CreateIndex, u.Created = res.Index, now
			}
			u.Modified = now
			return &u, nil
		case errors.As(applyErr, &stale) && strings.HasPrefix(stale.Address, "provider."):
			if err := s.refresh(r); err != nil {
				return nil, err
			}
			attempt++
		case errors.As(applyErr, &stale):
			backoff(attempt)
			attempt++
		case r.barrier != nil && (errors.As(applyErr, &conflict) || errors.As(applyErr, &refused) || errors.As(applyErr, &gone)):
			// Built on a state that may miss acknowledged writes: a user
			// deleted through SCIM is created again, not refused.
			if err := s.settle(r); err != nil {
				return nil, err
			}
		case errors.As(applyErr, &conflict):
			return nil, conflictError(conflict.Owner, r.provider.Name, conflict.Value)
		case errors.As(applyErr, &refused):
			return nil, protocol.Errorf(http.StatusConflict, "", "%s", refused.Refusals[0].Message)
		default:
			s.log.Error("scim: writing a user", "provider", r.provider.Name, "err", applyErr)
			return nil, storeUnavailable(applyErr)
		}
	}
	return nil, protocol.Errorf(http.StatusConflict, "", "the user kept changing while this request was applied; retry")
}

// WriteUnavailable answers a write that the state did not take (or whose
// outcome is unknown: state.ErrOutcomeUnknown) as the handlers do: 503
// with Retry-After, and what err means for the write.
func WriteUnavailable(w http.ResponseWriter, err error) {
	writeError(w, storeUnavailable(err))
}

// storeUnavailable is the 503 of a write the state did not take: nothing was
// changed, unless the cluster's leader changed while the write was in
// flight, when it may have been.
func storeUnavailable(err error) *protocol.Error {
	e := protocol.Errorf(http.StatusServiceUnavailable, "", "the change could not be stored; nothing was changed, retry later")
	switch {
	case errors.Is(err, state.ErrNoLeader):
		// No leader, or a leader that may not take this write: one that
		// leads in a later term than a forwarded write's.
		e.Detail = "the cluster has no leader that can take the change now; nothing was changed, retry later"
	case errors.Is(err, state.ErrOutcomeUnknown):
		e.Detail = "the cluster's leader changed while the change was stored: it may or may not have been made; read the resource before retrying"
	}
	e.RetryAfter = time.Second
	return e
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
	body, err := readBodyTo(*buf, r.Request, s.opts.MaxBodyBytes)
	if err != nil {
		putUserBuffer(buf, *buf)
		return nil, nil, err
	}
	raw, e := protocol.DecodeObject(body)
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

// createUser answers POST /Users.
func (s *Server) createUser(r *request) *protocol.Error {
	raw, res, err := s.readUserBody(r)
	if err != nil {
		return err
	}
	if _, ok := res["active"]; !ok {
		res["active"] = true
	}
	userName, _ := res["userName"].(string)
	if err := checkName("userName", userName); err != nil {
		return err
	}
	if err := protocol.User.CheckLengths(res, nil); err != nil {
		return err
	}
	if r.provider.OrganizationMapping.Method == "attribute" {
		// The organization is looked for among those the state holds,
		// which the command does not carry.
		if err := s.settle(r); err != nil {
			return err
		}
	}
	u, err := s.writeUser(r, func(v *state.View) (*userChange, *protocol.Error) {
		p := r.provider
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
		// A create records every field it sets, for the audit; a create
		// again what it changes.
		c.event.Changes = applyFields(u, res, fieldsFor(p.Attributes))
		c.active = res["active"] == true
		u.SCIM = encodeResource(res)
		c.user = u
		return c, nil
	})
	if err != nil {
		return err
	}
	v := s.view(r)
	tag := userETag(v, u)
	r.w.Header().Set("Location", r.base+"/Users/"+u.ID)
	r.w.Header().Set("ETag", tag)
	// res is what was stored: no need to decode it again.
	s.writeUserJSON(r, http.StatusCreated, v, u, tag, res)
	return nil
}

// encodeResource encodes a resource for storage the way json.Marshal does,
// which is also how it comes back out of the log: an unchanged resource
// encodes to the same bytes. It is stored packed (state.PackResource).
func encodeResource(res map[string]any) state.Resource {
	buf := userBuffers.Get().(*[]byte)
	b, ok := protocol.AppendJSON(*buf, res)
	if ok {
		out := state.PackResource(b)
		putUserBuffer(buf, b)
		return out
	}
	putUserBuffer(buf, *buf)
	b, err := json.Marshal(res)
	if err != nil {
		panic(err) // res holds only values decoded from JSON
	}
	return state.PackResource(b)
}

// replaceUser writes a new SCIM resource for an existing user (PUT, and
// PATCH after its operations).
func (s *Server) replaceUser(r *request, id string, next func(u *state.User) (map[string]any, *protocol.Error)) (*state.User, *protocol.Error) {
	return s.writeUser(r, func(v *state.View) (*userChange, *protocol.Error) {
		p := r.provider
		cur, err := userToWrite(v, r, id)
		if err != nil {
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
			text, _ := cur.SCIM.JSON()
			res["active"] = string(jsonscan.Value(text, "active")) != "false"
		}
		u := *cur
		c := &userChange{user: &u, expect: cur.ModifyIndex, event: &state.SyncEvent{Action: "user.update"}, active: res["active"] == true}
		c.event.Changes = applyFields(&u, res, fieldsFor(p.Attributes))
		u.SCIM = encodeResource(res)
		if bytes.Equal(u.SCIM, cur.SCIM) && len(c.event.Changes) == 0 {
			return nil, nil // nothing changed: nothing to log or store
		}
		return c, nil
	})
}

// putUser answers PUT /Users/{id}.
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

// patchUser answers PATCH /Users/{id}.
func (s *Server) patchUser(r *request, id string) *protocol.Error {
	ops, err := s.readPatch(r)
	if err != nil {
		return err
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
	return answerPatch(r, func() string {
		// u is nil when the PATCH changed nothing: the stored one.
		v := s.view(r)
		if u == nil {
			u = v.User(id)
		}
		if u == nil {
			return ""
		}
		return userETag(v, u)
	}, func() *protocol.Error { return s.respondUser(r, id, u, http.StatusOK) })
}

// deleteUser deprovisions: the user is blocked at once, deactivated after
// the provider's delay, and gone from SCIM. Nothing is hard-deleted.
func (s *Server) deleteUser(r *request, id string) *protocol.Error {
	_, err := s.writeUser(r, func(v *state.View) (*userChange, *protocol.Error) {
		cur, err := userToWrite(v, r, id)
		if err != nil {
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

// userToWrite returns the user a write to id changes: this provider's,
// at the version If-Match names, if the request names one.
func userToWrite(v *state.View, r *request, id string) (*state.User, *protocol.Error) {
	u, err := visibleUser(v, r, id)
	if err != nil {
		return nil, err
	}
	if err := checkIfMatch(r, userETag(v, u)); err != nil {
		return nil, err
	}
	return u, nil
}
