package scim

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
	filter "github.com/scim2/filter-parser/v2"
)

func visibleGroup(v *state.View, r *request, id string) (*state.Group, *protocol.Error) {
	g := v.Group(id)
	if g == nil || g.Provider != r.provider.Name {
		return nil, protocol.NotFound("Group %q not found", id)
	}
	return g, nil
}

func (s *Server) groupJSON(r *request, v *state.View, g *state.Group, withMembers bool) map[string]any {
	res := map[string]any{
		"schemas":     []any{protocol.URNGroup},
		"id":          g.ID,
		"displayName": g.DisplayName,
		"meta": map[string]any{
			"resourceType": "Group",
			"created":      g.Created.UTC().Format(time.RFC3339Nano),
			"lastModified": g.Modified.UTC().Format(time.RFC3339Nano),
			"location":     r.base + "/Groups/" + g.ID,
			"version":      etag(g.ModifyIndex),
		},
	}
	if g.ExternalID != "" {
		res["externalId"] = g.ExternalID
	}
	if withMembers {
		s.addMembers(r, v, res)
	}
	return res
}

func (s *Server) addMembers(r *request, v *state.View, res map[string]any) {
	id, _ := res["id"].(string)
	var members []any
	for _, m := range v.Memberships(id) {
		member := map[string]any{"value": m.UserID, "$ref": r.base + "/Users/" + m.UserID, "type": "User"}
		if m.Display != "" {
			member["display"] = m.Display
		}
		members = append(members, member)
	}
	if members != nil {
		res["members"] = members
	}
}

func (s *Server) findGroups(r *request, v *state.View, expr filter.Expression, q protocol.Query) ([]map[string]any, *protocol.Error) {
	candidates := v.GroupsOfProvider(r.provider.Name)
	if name, ok := displayNameEquality(expr); ok {
		candidates = v.GroupsByDisplayName(name)
	}
	slices.SortFunc(candidates, func(a, b *state.Group) int { return int(a.CreateIndex) - int(b.CreateIndex) })
	withMembers := expr != nil && strings.Contains(strings.ToLower(q.Filter), "members")
	var out []map[string]any
	for _, g := range candidates {
		if g.Provider != r.provider.Name {
			continue
		}
		res := s.groupJSON(r, v, g, withMembers)
		if expr != nil {
			ok, err := protocol.Group.Match(expr, res)
			if err != nil {
				return nil, protocol.AsError(err)
			}
			if !ok {
				continue
			}
		}
		out = append(out, res)
	}
	return out, nil
}

func (s *Server) completeGroup(r *request, v *state.View, res map[string]any, p protocol.Projection) map[string]any {
	if _, done := res["members"]; !done && p.Wants(protocol.Group, "members") {
		s.addMembers(r, v, res)
	}
	return res
}

func displayNameEquality(e filter.Expression) (string, bool) {
	if ae, ok := e.(*filter.AttributeExpression); ok && ae.Operator == filter.EQ &&
		strings.EqualFold(ae.AttributePath.AttributeName, "displayName") && ae.AttributePath.SubAttribute == nil {
		if s, ok := ae.CompareValue.(string); ok {
			return protocol.ValueText(s), true
		}
	}
	return "", false
}

func (s *Server) getGroup(r *request, id string) *protocol.Error {
	v := s.store.View()
	g, err := visibleGroup(v, r, id)
	if err != nil {
		return err
	}
	tag := etag(g.ModifyIndex)
	if match := r.Header.Get("If-None-Match"); match != "" && protocol.ETagMatches(match, tag) {
		r.w.Header().Set("ETag", tag)
		r.w.WriteHeader(http.StatusNotModified)
		return nil
	}
	p := protocol.QueryFromURL(r.URL.Query()).Projection()
	r.w.Header().Set("ETag", tag)
	writeJSON(r.w, http.StatusOK, p.Apply(protocol.Group, s.groupJSON(r, v, g, p.Wants(protocol.Group, "members"))))
	return nil
}

// readGroupBody decodes and normalizes a Group. A member's "displayName"
// is taken as its "display", as Entra's tests send it.
func (s *Server) readGroupBody(r *request) (map[string]any, *protocol.Error) {
	body, e := readBody(r.Request, s.opts.MaxBodyBytes)
	if e != nil {
		return nil, protocol.AsError(e)
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

func (s *Server) writeGroup(r *request, build func(v *state.View) (*groupChange, *protocol.Error)) (*state.Result, *protocol.Error) {
	for attempt := range maxWriteAttempts {
		v := s.store.View()
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
			return nil, protocol.Errorf(http.StatusServiceUnavailable, "", "the change could not be stored; nothing was changed, retry later")
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
	v := s.store.View()
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

func (s *Server) putGroup(r *request, id string) *protocol.Error {
	res, err := s.readGroupBody(r)
	if err != nil {
		return err
	}
	_, err = s.writeGroup(r, func(v *state.View) (*groupChange, *protocol.Error) {
		cur, err := visibleGroup(v, r, id)
		if err != nil {
			return nil, err
		}
		if err := checkIfMatch(r, etag(cur.ModifyIndex)); err != nil {
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
		return &groupChange{
			write: &state.GroupWrite{Group: &g, ExpectIndex: cur.ModifyIndex, ReplaceMembers: true, Members: replace},
			event: &state.SyncEvent{Action: "group.update", Detail: droppedDetail(dropped), Changes: groupChanges(cur, &g)},
		}, nil
	})
	if err != nil {
		return err
	}
	return s.respondGroup(r, id, http.StatusOK)
}

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

func (s *Server) respondGroup(r *request, id string, status int) *protocol.Error {
	v := s.store.View()
	g, err := visibleGroup(v, r, id)
	if err != nil {
		return err
	}
	p := protocol.QueryFromURL(r.URL.Query()).Projection()
	r.w.Header().Set("ETag", etag(g.ModifyIndex))
	writeJSON(r.w, status, p.Apply(protocol.Group, s.groupJSON(r, v, g, p.Wants(protocol.Group, "members"))))
	return nil
}

// memberPlan accumulates the member changes of a PATCH as deltas, so that
// adding one member to a large group never reads the others.
type memberPlan struct {
	replace bool
	base    map[string]state.Member // with replace: the new members
	add     map[string]state.Member
	remove  map[string]bool
	dropped []string
}

func (m *memberPlan) doAdd(ms []state.Member) {
	for _, x := range ms {
		if m.replace {
			m.base[x.UserID] = x
			continue
		}
		delete(m.remove, x.UserID)
		m.add[x.UserID] = x
	}
}

func (m *memberPlan) doRemove(ids []string) {
	for _, id := range ids {
		if m.replace {
			delete(m.base, id)
			continue
		}
		delete(m.add, id)
		m.remove[id] = true
	}
}

func (m *memberPlan) doReplace(ms []state.Member) {
	m.replace, m.base, m.add, m.remove = true, map[string]state.Member{}, map[string]state.Member{}, map[string]bool{}
	m.doAdd(ms)
}

func (s *Server) patchGroup(r *request, id string) *protocol.Error {
	body, e := readBody(r.Request, s.opts.MaxBodyBytes)
	if e != nil {
		return protocol.AsError(e)
	}
	ops, e := protocol.DecodePatch(body)
	if e != nil {
		return protocol.AsError(e)
	}
	memberOps, otherOps := splitGroupOps(ops)
	ifMatch := r.Header.Get("If-Match") != ""
	_, err := s.writeGroup(r, func(v *state.View) (*groupChange, *protocol.Error) {
		cur, err := visibleGroup(v, r, id)
		if err != nil {
			return nil, err
		}
		if err := checkIfMatch(r, etag(cur.ModifyIndex)); err != nil {
			return nil, err
		}
		plan := &memberPlan{add: map[string]state.Member{}, remove: map[string]bool{}}
		for _, o := range memberOps {
			if err := s.patchMembers(v, r, cur, plan, o); err != nil {
				return nil, err
			}
		}
		doc := map[string]any{"displayName": cur.DisplayName}
		if cur.ExternalID != "" {
			doc["externalId"] = cur.ExternalID
		}
		doc, e := protocol.Group.Patch(doc, otherOps)
		if e != nil {
			return nil, protocol.AsError(e)
		}
		name, _ := doc["displayName"].(string)
		if err := checkRename("displayName", cur.DisplayName, name); err != nil {
			return nil, err
		}
		if err := protocol.Group.CheckLengths(doc, groupHas(v, cur)); err != nil {
			return nil, err
		}
		g := *cur
		g.DisplayName, g.ExternalID = name, strAttr(doc, "externalId")
		changes := groupChanges(cur, &g)
		w := &state.GroupWrite{Group: &g, ExpectIndex: cur.ModifyIndex, ReplaceMembers: plan.replace}
		if plan.replace {
			for _, uid := range sortedKeys(plan.base) {
				w.Members = append(w.Members, plan.base[uid])
			}
		} else {
			// Only real changes: adding a member twice changes nothing.
			for _, uid := range sortedKeys(plan.add) {
				if m := v.Membership(id, uid); m == nil || m.Display != plan.add[uid].Display {
					w.Add = append(w.Add, plan.add[uid])
				}
			}
			for _, uid := range sortedKeys(plan.remove) {
				if v.IsMember(id, uid) {
					w.Remove = append(w.Remove, uid)
				}
			}
			if len(changes) == 0 && !ifMatch {
				// Members only: deltas commute, so concurrent changes to
				// the same group need not retry each other.
				w.MembersOnly = true
			}
		}
		if len(changes) == 0 && !plan.replace && len(w.Add) == 0 && len(w.Remove) == 0 {
			return nil, nil
		}
		if n := len(w.Add); n > 0 {
			changes = append(changes, state.Change{Field: "members", New: fmt.Sprintf("+%d", n)})
		}
		if n := len(w.Remove); n > 0 {
			changes = append(changes, state.Change{Field: "members", Old: fmt.Sprintf("-%d", n)})
		}
		return &groupChange{write: w, event: &state.SyncEvent{Action: "group.update", Detail: droppedDetail(plan.dropped), Changes: changes}}, nil
	})
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if q.Get("attributes") == "" && q.Get("excludedAttributes") == "" {
		// The version after the write, for the client's next If-Match.
		if g := s.store.View().Group(id); g != nil {
			r.w.Header().Set("ETag", etag(g.ModifyIndex))
		}
		r.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return s.respondGroup(r, id, http.StatusOK)
}

// splitGroupOps separates the operations on members from the others, once
// for all attempts of a write: a no-path operation with members and other
// attributes becomes one of each. The decoded ops are never changed.
func splitGroupOps(ops []protocol.Operation) (memberOps, otherOps []protocol.Operation) {
	for _, o := range ops {
		if o.Path != "" {
			if t, err := protocol.Group.ResolvePath(o.Path); err == nil && t != nil && strings.EqualFold(t.Attr.Name, "members") {
				memberOps = append(memberOps, o)
			} else {
				otherOps = append(otherOps, o)
			}
			continue
		}
		obj, _ := o.Value.(map[string]any)
		rest := maps.Clone(obj)
		if mv, ok := protocol.GetFold(obj, "members"); ok {
			memberOps = append(memberOps, protocol.Operation{Op: o.Op, Path: "members", Value: mv})
			protocol.DeleteFold(rest, "members")
		}
		if len(rest) > 0 || obj == nil {
			otherOps = append(otherOps, protocol.Operation{Op: o.Op, Value: rest})
		}
	}
	return memberOps, otherOps
}

// patchMembers applies an operation on members (a path operation, see
// splitGroupOps) to plan.
func (s *Server) patchMembers(v *state.View, r *request, g *state.Group, plan *memberPlan, o protocol.Operation) *protocol.Error {
	t, err := protocol.Group.ResolvePath(o.Path)
	if err != nil {
		return protocol.AsError(err)
	}
	switch {
	case t.Filter != nil && t.Sub != nil:
		return nil // e.g. members[value eq "x"].display: labels only, ignored
	case t.Sub != nil:
		// members.value or members.display: every member's, which a
		// client cannot set (RFC 7643 §4.2: immutable or read-only).
		// Read as members, the value would replace them all.
		return protocol.Mutability("%s on %q: a member's attributes cannot be changed; add or remove members instead", o.Op, o.Path)
	case t.Filter != nil:
		if o.Op != "remove" {
			return protocol.InvalidPath("%s on a filtered members path is not supported: add members by value", o.Op)
		}
		plan.doRemove(selectMembers(v, g, t))
	case o.Op == "remove" && o.Value != nil:
		var ids []string
		for _, m := range protocol.Flatten(o.Value) {
			switch m := m.(type) {
			case string:
				ids = append(ids, m)
			case map[string]any:
				if id, ok := protocol.GetFold(m, "value"); ok {
					ids = append(ids, fmt.Sprint(id))
				}
			}
		}
		plan.doRemove(ids)
	case o.Op == "remove":
		plan.doReplace(nil)
	default:
		if err := checkMemberLengths(o.Value, groupHas(v, g)); err != nil {
			return err
		}
		ms, dropped := members(v, r.provider.Name, o.Value)
		plan.dropped = append(plan.dropped, dropped...)
		if o.Op == "replace" {
			plan.doReplace(ms)
		} else {
			plan.doAdd(ms)
		}
	}
	return nil
}

// selectMembers returns the ids of the members the value filter of t, a
// members path, selects; `value eq "id"` is answered without reading the
// others.
func selectMembers(v *state.View, g *state.Group, t *protocol.Target) []string {
	if ae, ok := t.Filter.(*filter.AttributeExpression); ok && ae.Operator == filter.EQ && strings.EqualFold(ae.AttributePath.AttributeName, "value") {
		return []string{protocol.ValueText(ae.CompareValue)}
	}
	var ids []string
	for _, ms := range v.Memberships(g.ID) {
		obj := map[string]any{"value": ms.UserID, "display": ms.Display, "type": "User"}
		if ok, _ := t.Selects(obj); ok {
			ids = append(ids, ms.UserID)
		}
	}
	return ids
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (s *Server) deleteGroup(r *request, id string) *protocol.Error {
	_, err := s.writeGroup(r, func(v *state.View) (*groupChange, *protocol.Error) {
		cur, err := visibleGroup(v, r, id)
		if err != nil {
			return nil, err
		}
		if err := checkIfMatch(r, etag(cur.ModifyIndex)); err != nil {
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

// checkMemberLengths is CheckLengths for the members a group PATCH adds or
// replaces, as members reads them: a member's "displayName" is its
// display when it has none.
func checkMemberLengths(value any, kept func(path, value string) bool) *protocol.Error {
	var list []any
	for _, e := range protocol.Flatten(value) {
		if obj, ok := e.(map[string]any); ok {
			e = maps.Clone(obj) // the decoded operations are never changed
		}
		list = append(list, e)
	}
	doc := map[string]any{"members": list}
	aliasMemberDisplay(doc)
	return protocol.Group.CheckLengths(doc, kept)
}
