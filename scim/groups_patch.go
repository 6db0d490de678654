package scim

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
	filter "github.com/scim2/filter-parser/v2"
)

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

// patchGroup applies a PATCH to a group: operations on members as deltas
// of its memberships, the others to its displayName and externalId.
func (s *Server) patchGroup(r *request, id string) *protocol.Error {
	ops, err := s.readPatch(r)
	if err != nil {
		return err
	}
	memberOps, otherOps := splitGroupOps(ops)
	ifMatch := r.Header.Get("If-Match") != ""
	_, err = s.writeGroup(r, func(v *state.View) (*groupChange, *protocol.Error) {
		cur, err := groupToWrite(v, r, id)
		if err != nil {
			return nil, err
		}
		plan := &memberPlan{add: map[string]state.Member{}, remove: map[string]bool{}}
		for _, o := range memberOps {
			if err := s.patchMembers(v, r, cur, plan, o); err != nil {
				return nil, err
			}
		}
		g, err := patchedGroup(v, cur, otherOps)
		if err != nil {
			return nil, err
		}
		return plan.change(v, cur, g, ifMatch), nil
	})
	if err != nil {
		return err
	}
	return answerPatch(r, func() string {
		if g := s.view(r).Group(id); g != nil {
			return etag(g.ModifyIndex)
		}
		return ""
	}, func() *protocol.Error { return s.respondGroup(r, id, http.StatusOK) })
}

// patchedGroup is cur with the operations on its other attributes than
// members applied: its displayName and externalId.
func patchedGroup(v *state.View, cur *state.Group, ops []protocol.Operation) (*state.Group, *protocol.Error) {
	doc := map[string]any{"displayName": cur.DisplayName}
	if cur.ExternalID != "" {
		doc["externalId"] = cur.ExternalID
	}
	doc, e := protocol.Group.Patch(doc, ops)
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
	return &g, nil
}

// change is the write that turns cur into g with the plan's members, or
// nil when it changes nothing. ifMatch says the request names the
// version it changes.
func (m *memberPlan) change(v *state.View, cur, g *state.Group, ifMatch bool) *groupChange {
	changes := groupChanges(cur, g)
	w := &state.GroupWrite{Group: g, ExpectIndex: cur.ModifyIndex, ReplaceMembers: m.replace}
	if m.replace {
		for _, uid := range sortedKeys(m.base) {
			w.Members = append(w.Members, m.base[uid])
		}
	} else {
		// Only real changes: adding a member twice changes nothing.
		for _, uid := range sortedKeys(m.add) {
			if ms := v.Membership(g.ID, uid); ms == nil || ms.Display != m.add[uid].Display {
				w.Add = append(w.Add, m.add[uid])
			}
		}
		for _, uid := range sortedKeys(m.remove) {
			if v.IsMember(g.ID, uid) {
				w.Remove = append(w.Remove, uid)
			}
		}
		if len(changes) == 0 && !ifMatch {
			// Members only: deltas commute, so concurrent changes to
			// the same group need not retry each other.
			w.MembersOnly = true
		}
	}
	if len(changes) == 0 && !m.replace && len(w.Add) == 0 && len(w.Remove) == 0 {
		return nil
	}
	changes = append(changes, memberChanges(v, w)...)
	return &groupChange{write: w, event: &state.SyncEvent{Action: "group.update", Detail: droppedDetail(m.dropped), Changes: changes}}
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

// sortedKeys returns m's keys in order. (slices.Sorted(maps.Keys(m))
// allocates as it collects them: a few more allocations per write.)
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
