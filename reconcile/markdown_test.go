package reconcile

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/reconcile-dev/reconcile/state"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

func TestMarkdownGolden(t *testing.T) {
	ctx := context.Background()
	store := state.NewMemory(state.Options{})
	src := &fakeSource{}
	src.set(map[string]string{"orgs.yaml": orgsYAML + `---
kind: Organization
name: legacy
displayName: Legacy
`, "okta.yaml": `kind: Provider
name: okta
displayName: Okta
auth: {type: bearer}
deactivationDelay: 15m
organizationMapping: {method: fixed, organization: eng}
`})
	l := &Loop{Source: src, Store: store}
	l.RunOnce(ctx)
	if st := l.Status(); !st.Ready {
		t.Fatalf("%+v", st)
	}
	edit(t, store, "acme", func(o *state.Organization) { o.DisplayName = "ACME (by hand)" })

	src.set(map[string]string{"orgs.yaml": orgsYAML + "coldStoragePeriod: 90d\n---\nkind: Organization\nname: sales\ndisplayName: Sales\nparent: acme\n",
		"okta.yaml": "kind: Provider\nname: okta\ndisplayName: Okta\nauth: {type: bearer}\ndeactivationDelay: 1h\norganizationMapping: {method: fixed, organization: sales}\n"})
	snap, _ := src.Fetch(ctx)
	for _, tc := range []struct {
		name      string
		drift     string
		maxDelete bool
	}{
		{"plan.md", DriftReport, true},
		{"plan-correct.md", DriftCorrect, true},
		{"plan-refused.md", DriftReport, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := PlanRevision(snap, store, PlanOptions{Drift: tc.drift, AllowMassDestroy: tc.maxDelete})
			if err != nil {
				t.Fatal(err)
			}
			if !tc.maxDelete {
				// One destroy of four is not mass destruction: refuse it
				// another way, as a guard would.
				p.Problems = append(p.Problems, Problem{Address: "organization.legacy", Message: "is protected: set protect: false <first> and apply"})
			}
			var b strings.Builder
			if err := p.WriteMarkdown(&b); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.name)
			if *update {
				os.WriteFile(golden, []byte(b.String()), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), b.String()); diff != "" {
				t.Errorf("markdown differs from %s (-want +got; go test -run TestMarkdownGolden -update to accept):\n%s", golden, diff)
			}
		})
	}
}

func TestDiffLine(t *testing.T) {
	for in, want := range map[string]string{
		`  + organization "x" {`:                     `+   organization "x" {`,
		`      ~ displayName = "a" -> "b"`:           `!       displayName = "a" -> "b"`,
		`      - parent      = "a" -> null`:          `-       parent      = "a" -> null`,
		`  # organization.x will be created`:         `  # organization.x will be created`,
		`Plan: 1 to add, 0 to change, 0 to destroy.`: `Plan: 1 to add, 0 to change, 0 to destroy.`,
		"      ~ displayName = \"```\" -> \"b\"":     "!       displayName = \"`\u200b``\" -> \"b\"",
		`  -`:                                        `-   `,
	} {
		if got := diffLine(in); got != want {
			t.Errorf("diffLine(%q) = %q, want %q", in, got, want)
		}
	}
}
