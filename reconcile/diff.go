package reconcile

import (
	"cmp"
	"reflect"
	"slices"
	"strings"

	"github.com/reconcile-dev/reconcile/state"
)

// Diff pairs desired and live objects by kind and name and returns the
// steps that make live match desired, sorted by phase, kind and name. It
// does no I/O and has no randomness: the same inputs give the same plan.
func Diff(d *Desired, live *Live) *Plan {
	p := &Plan{Revision: d.Revision, Digest: d.Digest}
	if live.Config != nil {
		p.LiveRevision = live.Config.Revision
	}

	liveOrgs := make(map[string]*state.Organization, len(live.Organizations))
	for _, o := range live.Organizations {
		liveOrgs[o.Name] = o
	}
	for _, want := range d.Organizations {
		have := liveOrgs[want.Name]
		delete(liveOrgs, want.Name)
		p.add(pair(state.KindOrganization, want.Name, have, want, orgAttrsOrNil(have), organizationAttrs(want)))
	}
	for _, have := range liveOrgs {
		p.add(pair(state.KindOrganization, have.Name, have, nil, organizationAttrs(have), nil))
	}

	liveProvs := make(map[string]*state.Provider, len(live.Providers))
	for _, pr := range live.Providers {
		liveProvs[pr.Name] = pr
	}
	for _, want := range d.Providers {
		have := liveProvs[want.Name]
		delete(liveProvs, want.Name)
		var before []attr
		if have != nil {
			before = providerAttrs(have)
		}
		s := pair(state.KindProvider, want.Name, have, want.Provider, before, providerAttrs(want.Provider))
		diffSecret(s, have, want)
		p.add(s)
	}
	for _, have := range liveProvs {
		s := pair(state.KindProvider, have.Name, have, nil, providerAttrs(have), nil)
		s.insertAfterAuth(AttrChange{Path: secretPath, Before: "", Sensitive: true})
		p.add(s)
	}

	byOrder := func(a, b *Step) int {
		return cmp.Or(cmp.Compare(a.phase(), b.phase()), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
	}
	slices.SortFunc(p.Steps, byOrder)
	slices.SortFunc(p.NoOps, byOrder)
	return p
}

func orgAttrsOrNil(o *state.Organization) []attr {
	if o == nil {
		return nil
	}
	return organizationAttrs(o)
}

// pair makes the step for one object from its live (before) and desired
// (after) attributes; a nil side means create or destroy.
func pair(kind, name string, before, after any, battrs, aattrs []attr) *Step {
	s := &Step{Kind: kind, Name: name}
	switch {
	case isNil(before):
		s.Action, s.After = ActionCreate, after
	case isNil(after):
		s.Action, s.Before = ActionDelete, before
		s.Reason = "because " + s.Address() + " is not in configuration"
	default:
		s.Action, s.Before, s.After = ActionNoOp, before, after
	}
	bm := make(map[string]any, len(battrs))
	for _, a := range battrs {
		bm[a.path] = a.value
	}
	am := make(map[string]any, len(aattrs))
	for _, a := range aattrs {
		am[a.path] = a.value
	}
	// Attributes in the canonical order of whichever side has them.
	var paths []string
	for _, a := range append(append([]attr(nil), aattrs...), battrs...) {
		if !slices.Contains(paths, a.path) {
			paths = append(paths, a.path)
		}
	}
	omits := make(map[string]any)
	for _, a := range append(append([]attr(nil), aattrs...), battrs...) {
		if a.omit != nil {
			omits[a.path] = a.omit
		}
	}
	for _, path := range paths {
		b, a := bm[path], am[path]
		if d, ok := omits[path]; ok && s.Action == ActionNoOp {
			// One side has the default, not shown by itself.
			b, a = cmp.Or(b, d), cmp.Or(a, d)
		}
		if reflect.DeepEqual(b, a) {
			s.Unchanged++
			continue
		}
		s.Changes = append(s.Changes, AttrChange{Path: path, Before: b, After: a})
	}
	if s.Action == ActionNoOp && len(s.Changes) > 0 {
		s.Action = ActionUpdate
	}
	return s
}

// diffSecret decides what happens to a provider's secret: set from the
// configured source when it differs from the stored hash, generated when
// the config names no source and none was generated before, or when the
// kind of auth changes: a bearer token does not silently become a Basic
// password (the clients must be set up again anyway, with what is
// printed). A secret from the configured source that the stored hash
// verifies, but with the fast hash of versions before argon2id, is
// stored again with argon2id: the clients keep it.
func diffSecret(s *Step, have *state.Provider, want *DesiredProvider) {
	switch {
	case want.Secret != nil && (have == nil || !have.Auth.Secret.Verify(want.Secret)):
		s.Secret, s.newSecret = SecretSet, want.Secret
	case want.Secret != nil && !have.Auth.Secret.Slow():
		s.Secret, s.newSecret = SecretRehash, want.Secret
		s.Notes = append(s.Notes, "the secret is unchanged: it was stored with a fast hash, and is stored again with argon2id, which makes a stolen data dir slow to brute-force")
	case want.Secret == nil && (have == nil || have.Auth.SecretSource != state.SecretSourceGenerated || have.Auth.Type != want.Auth.Type):
		s.Secret = SecretGenerate
	default:
		s.Unchanged++
		return
	}
	c := AttrChange{Path: secretPath, After: "", Sensitive: true}
	if have != nil {
		c.Before = ""
	}
	s.insertAfterAuth(c)
	if s.Action == ActionNoOp {
		s.Action = ActionUpdate
	}
}

// insertAfterAuth lists a secret change with the other auth attributes.
func (s *Step) insertAfterAuth(c AttrChange) {
	i := 0
	for j, other := range s.Changes {
		if strings.HasPrefix(other.Path, "auth.") {
			i = j + 1
		}
	}
	s.Changes = slices.Insert(s.Changes, i, c)
}

func (p *Plan) add(s *Step) {
	if s.Action == ActionNoOp {
		p.NoOps = append(p.NoOps, s)
		return
	}
	p.Steps = append(p.Steps, s)
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}
