package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
)

// readGroupBody decodes and normalizes a Group. A member's "displayName"
// is taken as its "display", as Entra's tests send it.
func (s *Server) readGroupBody(r *request) (map[string]any, *protocol.Error) {
	body, err := readBody(r.Request, s.opts.MaxBodyBytes)
	if err != nil {
		return nil, err
	}
	raw, e := protocol.DecodeObject(body)
	if e != nil {
		return nil, protocol.AsError(e)
	}
	aliasMemberDisplay(raw)
	res, e := protocol.Group.Normalize(raw)
	if e != nil {
		return nil, protocol.AsError(e)
	}
	return res, nil
}

// aliasMemberDisplay takes a member's "displayName" as its "display"
// when it has none, in raw, a Group as sent.
func aliasMemberDisplay(raw map[string]any) {
	for k, v := range raw {
		if !strings.EqualFold(k, "members") {
			continue
		}
		for _, m := range protocol.Flatten(v) {
			if obj, ok := m.(map[string]any); ok {
				if dn, ok := protocol.GetFold(obj, "displayName"); ok {
					if _, has := protocol.GetFold(obj, "display"); !has {
						obj["display"] = dn
					}
				}
			}
		}
	}
}

// members reads member values into members of this provider; ids that
// are not its users are dropped and returned.
func members(v *state.View, provider string, value any) ([]state.Member, []string) {
	var out []state.Member
	var dropped []string
	seen := map[string]bool{}
	for _, e := range protocol.Flatten(value) {
		var id, display string
		switch e := e.(type) {
		case string: // a bare id, as Entra's tests send it
			id = e
		case map[string]any:
			vv, _ := protocol.GetFold(e, "value")
			id, _ = vv.(string)
			d, ok := protocol.GetFold(e, "display")
			if !ok {
				d, _ = protocol.GetFold(e, "displayName")
			}
			display, _ = d.(string)
		}
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		if u := v.User(id); u == nil || u.Provider != provider || u.SCIMDeleted {
			dropped = append(dropped, id)
			continue
		}
		out = append(out, state.Member{UserID: id, Display: display})
	}
	return out, dropped
}

// groupChange is a group write under construction.
type groupChange struct {
	write *state.GroupWrite
	event *state.SyncEvent
}

// writeGroup applies the change build computes from a fresh view,
// retrying when a member went away or the group changed meanwhile. build
// returns nil when there is nothing to write.
func (s *Server) writeGroup(r *request, build func(v *state.View) (*groupChange, *protocol.Error)) (*state.Result, *protocol.Error) {
	for attempt := range maxWriteAttempts {
		if err := tooLate(r); err != nil {
			return nil, err
		}
		v := s.view(r)
		c, err := build(v)
		if err != nil || c == nil {
			return nil, err
		}
		c.event.Source, c.event.Provider, c.event.RequestID, c.event.Outcome = state.SourceSCIM, r.provider.Name, r.id, state.OutcomeOK
		c.write.Provider, c.write.Event = r.provider.Name, c.event
		res, applyErr := s.store.Apply(context.WithoutCancel(r.Context()), &state.Command{Type: state.CmdGroupWrite, GroupWrite: c.write})
		var stale *state.StaleError
		var refused *state.RefusedError
		switch {
		case applyErr == nil:
			return &res, nil
		case errors.As(applyErr, &stale), errors.As(applyErr, &refused):
			backoff(attempt) // a member went away or the group changed: build again
			continue
		default:
			s.log.Error("scim: writing a group", "provider", r.provider.Name, "err", applyErr)
			return nil, storeUnavailable(applyErr)
		}
	}
	return nil, protocol.Errorf(http.StatusConflict, "", "the group kept changing while this request was applied; retry")
}

func droppedDetail(dropped []string) string {
	if len(dropped) == 0 {
		return ""
	}
	if len(dropped) > 5 {
		return fmt.Sprintf("ignored %d members that are not users of this provider (%s, ...)", len(dropped), strings.Join(dropped[:5], ", "))
	}
	return fmt.Sprintf("ignored members that are not users of this provider: %s", strings.Join(dropped, ", "))
}

// createGroup answers POST /Groups.
func (s *Server) createGroup(r *request) *protocol.Error {
	res, err := s.readGroupBody(r)
	if err != nil {
		return err
	}
	name, _ := res["displayName"].(string)
	if err := checkName("displayName", name); err != nil {
		return err
	}
	if err := protocol.Group.CheckLengths(res, nil); err != nil {
		return err
	}
	id := state.NewID()
	result, err := s.writeGroup(r, func(v *state.View) (*groupChange, *protocol.Error) {
		add, dropped := members(v, r.provider.Name, res["members"])
		g := &state.Group{ID: id, Provider: r.provider.Name, DisplayName: name, ExternalID: strAttr(res, "externalId")}
		return &groupChange{
			write: &state.GroupWrite{Group: g, Add: add},
			event: &state.SyncEvent{Action: "group.create", Detail: droppedDetail(dropped), Changes: []state.Change{{Field: "group", New: g.DisplayName}}},
		}, nil
	})
	if err != nil {
		return err
	}
	v := s.view(r)
	g, _ := visibleGroup(v, r, id)
	if g == nil {
		return protocol.NotFound("Group %q was deleted meanwhile", id)
	}
	p := protocol.QueryFromURL(r.URL.Query()).Projection()
	r.w.Header().Set("Location", r.base+"/Groups/"+id)
	r.w.Header().Set("ETag", etag(result.Index))
	writeJSON(r.w, http.StatusCreated, p.Apply(protocol.Group, s.groupJSON(r, v, g, p.Wants(protocol.Group, "members"))))
	return nil
}

// putGroup answers PUT /Groups/{id}: the group and its members replaced.
func (s *Server) putGroup(r *request, id string) *protocol.Error {
	res, err := s.readGroupBody(r)
	if err != nil {
		return err
	}
	_, err = s.writeGroup(r, func(v *state.View) (*groupChange, *protocol.Error) {
		cur, err := groupToWrite(v, r, id)
		if err != nil {
			return nil, err
		}
		name, _ := res["displayName"].(string)
		if err := checkRename("displayName", cur.DisplayName, name); err != nil {
			return nil, err
		}
		if err := protocol.Group.CheckLengths(res, groupHas(v, cur)); err != nil {
			return nil, err
		}
		replace, dropped := members(v, r.provider.Name, res["members"])
		g := *cur
		g.DisplayName, g.ExternalID = name, strAttr(res, "externalId")
		w := &state.GroupWrite{Group: &g, ExpectIndex: cur.ModifyIndex, ReplaceMembers: true, Members: replace}
		changes := append(groupChanges(cur, &g), memberChanges(v, w)...)
		return &groupChange{write: w, event: &state.SyncEvent{Action: "group.update", Detail: droppedDetail(dropped), Changes: changes}}, nil
	})
	if err != nil {
		return err
	}
	return s.respondGroup(r, id, http.StatusOK)
}

// groupChanges lists what a write changes of a group but its members,
// for the sync log.
func groupChanges(old, next *state.Group) []state.Change {
	var out []state.Change
	if old.DisplayName != next.DisplayName {
		out = append(out, state.Change{Field: "displayName", Old: old.DisplayName, New: next.DisplayName})
	}
	if old.ExternalID != next.ExternalID {
		out = append(out, state.Change{Field: "externalId", Old: old.ExternalID, New: next.ExternalID})
	}
	return out
}

// deleteGroup answers DELETE /Groups/{id}.
func (s *Server) deleteGroup(r *request, id string) *protocol.Error {
	_, err := s.writeGroup(r, func(v *state.View) (*groupChange, *protocol.Error) {
		cur, err := groupToWrite(v, r, id)
		if err != nil {
			return nil, err
		}
		return &groupChange{
			write: &state.GroupWrite{Group: &state.Group{ID: id}, ExpectIndex: cur.ModifyIndex, Delete: true},
			event: &state.SyncEvent{Action: "group.delete", Changes: []state.Change{{Field: "group", Old: cur.DisplayName}}},
		}, nil
	})
	if err != nil {
		return err
	}
	r.w.WriteHeader(http.StatusNoContent)
	return nil
}

// groupHas is the kept function of CheckLengths for a write to group g:
// its displayName, its externalId and its members' display.
func groupHas(v *state.View, g *state.Group) func(path, value string) bool {
	return func(path, value string) bool {
		switch path {
		case "displayName":
			return value == g.DisplayName
		case "externalId":
			return value == g.ExternalID
		case "members.display":
			for _, m := range v.Memberships(g.ID) {
				if m.Display == value {
					return true
				}
			}
		}
		return false
	}
}

// groupToWrite returns the group a write to id changes: this provider's,
// at the version If-Match names, if the request names one.
func groupToWrite(v *state.View, r *request, id string) (*state.Group, *protocol.Error) {
	g, err := visibleGroup(v, r, id)
	if err != nil {
		return nil, err
	}
	if err := checkIfMatch(r, etag(g.ModifyIndex)); err != nil {
		return nil, err
	}
	return g, nil
}
