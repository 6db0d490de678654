package schema

import (
	"errors"
	"testing"
	"testing/fstest"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must return a config or
// positioned Errors, never panic, and a config it returns must hold
// together.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(validOrgs), []byte(validProvider))
	f.Add([]byte("kind: Organization\nname: a\ndisplayName: A\nparent: a\n"), []byte("kind: [\n"))
	f.Add([]byte("a: &x {kind: Provider}\nb: *x\n"), []byte("---\n---\n- 1\n"))
	f.Add([]byte("kind: Provider\nname: p\ndisplayName: P\nauth: {type: basic}\norganizationMapping: {method: group, organization: x, rules: [{group: g, organization: y}]}\nattributes: {map: {\"emails[type eq \\\"work\\\"].value\": email}}\n"), []byte(""))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		cfg, err := Load(fstest.MapFS{"a.yaml": {Data: a}, "sub/b.yml": {Data: b}}, "cfg")
		if err != nil {
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("Load returned %T %v, want Errors", err, err)
			}
			for _, e := range errs {
				if e.File != "cfg/a.yaml" && e.File != "cfg/sub/b.yml" {
					t.Fatalf("error in unknown file: %v", e)
				}
			}
			return
		}
		orgs := map[string]bool{}
		for _, o := range cfg.Organizations {
			if orgs[o.Name] {
				t.Fatalf("duplicate organization %q accepted", o.Name)
			}
			orgs[o.Name] = true
		}
		for _, o := range cfg.Organizations {
			if o.Parent != "" && !orgs[o.Parent] {
				t.Fatalf("organization %q has unknown parent %q", o.Name, o.Parent)
			}
		}
		for _, p := range cfg.Providers {
			if !orgs[p.OrganizationMapping.Organization] {
				t.Fatalf("provider %q maps to unknown organization", p.Name)
			}
		}
	})
}
