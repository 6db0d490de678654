package reconcile

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/state"
)

// bigConfig is 10,000 organizations (100 top level, 99 children each) and
// 1,000 providers, in 110 files.
func bigConfig() fstest.MapFS {
	fsys := fstest.MapFS{}
	for f := range 100 {
		var b strings.Builder
		fmt.Fprintf(&b, "kind: Organization\nname: top-%d\ndisplayName: Top %d\ncoldStoragePeriod: 90d\n", f, f)
		for i := range 99 {
			fmt.Fprintf(&b, "---\nkind: Organization\nname: org-%d-%d\ndisplayName: Org %d/%d\nparent: top-%d\n", f, i, f, i, f)
		}
		fsys[fmt.Sprintf("orgs/%03d.yaml", f)] = &fstest.MapFile{Data: []byte(b.String())}
	}
	for f := range 10 {
		var b strings.Builder
		for i := range 100 {
			fmt.Fprintf(&b, "---\nkind: Provider\nname: p-%d-%d\ndisplayName: Provider %d/%d\nauth: {type: bearer}\ndeactivationDelay: 1h\norganizationMapping: {method: fixed, organization: org-%d-%d}\nattributes: {preset: entra, map: {title: ignore}}\n", f, i, f, i, f, i%99)
		}
		fsys[fmt.Sprintf("providers/%02d.yaml", f)] = &fstest.MapFile{Data: []byte(b.String())}
	}
	return fsys
}

// BenchmarkPlanLarge is validate + diff of 10,000 organizations and 1,000
// providers against a live state that already has them all (the steady
// state of a daemon following git), and against an empty one.
func BenchmarkPlanLarge(b *testing.B) {
	fsys := bigConfig()
	plan := func(live *Live) *Plan {
		cfg, err := schema.Load(fsys, "")
		if err != nil {
			b.Fatal(err)
		}
		d, err := Desire(cfg, "rev", "rev", nil)
		if err != nil {
			b.Fatal(err)
		}
		return Diff(d, live)
	}
	b.Run("empty", func(b *testing.B) {
		for range b.N {
			if p := plan(&Live{}); len(p.Steps) != 11000 {
				b.Fatalf("%d steps", len(p.Steps))
			}
		}
	})
	b.Run("converged", func(b *testing.B) {
		cfg, _ := schema.Load(fsys, "")
		d, _ := Desire(cfg, "rev", "rev", nil)
		live := &Live{Organizations: d.Organizations}
		for _, p := range d.Providers {
			lp := *p.Provider
			lp.Auth.Secret = state.HashSecret([]byte("x"))
			live.Providers = append(live.Providers, &lp)
		}
		b.ResetTimer()
		for range b.N {
			if p := plan(live); len(p.Steps) != 0 {
				b.Fatalf("%d steps", len(p.Steps))
			}
		}
	})
}
