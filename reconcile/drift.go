package reconcile

import (
	"fmt"

	"github.com/reconcile-dev/reconcile/state"
)

// CheckDriftMode refuses a drift mode other than DriftReport and
// DriftCorrect.
func CheckDriftMode(mode string) error {
	if mode != DriftReport && mode != DriftCorrect {
		return fmt.Errorf("--drift: %q is not report or correct", mode)
	}
	return nil
}

// PlanFor plans the desired state against the live one, with the drift
// mode's take on changes made outside of config: DriftReport keeps them
// (see KeepDrift), DriftCorrect reverts them. Either way the plan lists
// them in Drift.
func PlanFor(d *Desired, live *Live, mode string) *Plan {
	want := d
	if mode != DriftCorrect {
		want = KeepDrift(d, live)
	}
	p := Diff(want, live)
	p.Drift, p.DriftMode = Drift(live), mode
	return p
}

// KeepDrift returns the desired state with the changes made outside of
// config kept: each field an admin changed stays as the admin set it,
// unless the config changed that field since it was last applied. Planning
// for it reports drift instead of reverting it (--drift=report).
func KeepDrift(d *Desired, live *Live) *Desired {
	orgs := make(map[string]*state.Organization, len(live.Organizations))
	for _, o := range live.Organizations {
		orgs[o.Name] = o
	}
	provs := make(map[string]*state.Provider, len(live.Providers))
	for _, p := range live.Providers {
		provs[p.Name] = p
	}
	out := &Desired{Revision: d.Revision, Digest: d.Digest}
	for _, o := range d.Organizations {
		if l := orgs[o.Name]; l != nil {
			o = state.KeepDrift(o, l)
		}
		out.Organizations = append(out.Organizations, o)
	}
	for _, p := range d.Providers {
		if l := provs[p.Name]; l != nil {
			kept := state.KeepDrift(p.Provider, l)
			kept.Auth = p.Provider.Auth // never edited outside of config
			p = &DesiredProvider{Provider: kept, Secret: p.Secret}
		}
		out.Providers = append(out.Providers, p)
	}
	return out
}

// DriftEntry is an object changed outside of config: Changes go from what
// config last applied (Before) to what is live (After).
type DriftEntry struct {
	Kind    string
	Name    string
	Changes []AttrChange
	Live    any // the live object
}

// Address is the object's address.
func (e *DriftEntry) Address() string { return e.Kind + "." + e.Name }

// Drift lists the organizations and providers changed outside of config,
// sorted by kind and name.
func Drift(live *Live) []*DriftEntry {
	var out []*DriftEntry
	add := func(kind, name string, obj any, applied, current []attr) {
		s := pair(kind, name, obj, obj, applied, current)
		if len(s.Changes) > 0 {
			out = append(out, &DriftEntry{Kind: kind, Name: name, Changes: s.Changes, Live: obj})
		}
	}
	for _, o := range live.Organizations {
		if o.Applied != nil {
			add(state.KindOrganization, o.Name, o, organizationAttrs(o.Applied), organizationAttrs(o))
		}
	}
	for _, p := range live.Providers {
		if p.Applied != nil {
			add(state.KindProvider, p.Name, p, providerAttrs(p.Applied), providerAttrs(p))
		}
	}
	return out
}

// ConfigDocument is a live object as a config document would declare it
// (kind, name and the attributes config sets, secrets left out), for
// validating an edit with the config's own schema.
func ConfigDocument(obj any) map[string]any {
	switch o := obj.(type) {
	case *state.Organization:
		doc := nest(organizationAttrs(o))
		doc["kind"], doc["name"] = "Organization", o.Name
		return doc
	case *state.Provider:
		doc := nest(providerAttrs(o))
		doc["kind"], doc["name"] = "Provider", o.Name
		if auth, ok := doc["auth"].(map[string]any); ok {
			delete(auth, "secretFrom")
		}
		return doc
	}
	return nil
}
