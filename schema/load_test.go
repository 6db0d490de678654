package schema

import (
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func fsOf(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for name, data := range files {
		m[name] = &fstest.MapFile{Data: []byte(strings.TrimLeft(data, "\n"))}
	}
	return m
}

const validOrgs = `
kind: Organization
name: acme
displayName: Acme Corp
protect: true
---
kind: Organization
name: engineering
displayName: Engineering
parent: acme
coldStoragePeriod: 90d
---
# an empty document is fine
---
`

const validProvider = `
kind: Provider
name: pingone
displayName: PingOne
auth:
  type: basic
  username: code42-scim
  secretFrom: {env: PINGONE_SECRET}
organizationMapping:
  method: fixed
  organization: engineering
`

func TestLoadValid(t *testing.T) {
	cfg, err := Load(fsOf(map[string]string{
		"orgs.yaml":             validOrgs,
		"providers/pingone.yml": validProvider,
		"README.md":             "not config",
		".hidden/broken.yaml":   "kind: [",
		"providers/.draft.yaml": "kind: [",
		"providers/notes.yaml~": "kind: [",
	}), "")
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Files: 2,
		Organizations: []*Organization{
			{Name: "acme", DisplayName: "Acme Corp", ColdStoragePeriod: Duration(30 * Day), Protect: true, Source: Source{"orgs.yaml", 1}},
			{Name: "engineering", DisplayName: "Engineering", Parent: "acme", ColdStoragePeriod: Duration(90 * Day), Source: Source{"orgs.yaml", 6}},
		},
		Providers: []*Provider{{
			Name:                "pingone",
			DisplayName:         "PingOne",
			Auth:                Auth{Type: AuthBasic, Username: "code42-scim", SecretFrom: &SecretRef{Env: "PINGONE_SECRET"}},
			DeactivationDelay:   Duration(15 * time.Minute),
			OrganizationMapping: OrganizationMapping{Method: MethodFixed, Organization: "engineering"},
			RoleMapping:         RoleMapping{Method: MethodManual},
			Attributes:          Attributes{Preset: "pingone-directory"},
			DeactivationGuard:   DeactivationGuard{Window: Duration(time.Hour), MaxCount: 100, MaxPercent: 25},
			MassMoveGuard:       MassMoveGuard{MaxCount: 100, MaxPercent: 25},
			Rollout:             Rollout{Mode: RolloutLive},
			Source:              Source{"providers/pingone.yml", 1},
		}},
	}
	if diff := cmp.Diff(want, cfg, cmpopts.IgnoreUnexported(Organization{}, Provider{})); diff != "" {
		t.Errorf("Load mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadNumbersAndNulls(t *testing.T) {
	cfg, err := Load(fsOf(map[string]string{"p.yaml": `
kind: Provider
name: p
displayName: P
auth: {type: basic, username: 12345}
deactivationDelay: 0
rateLimit: {requestsPerSecond: 25}
maxExpensiveQueries: 3
organizationMapping: {method: fixed, organization: o}
roleMapping:
---
kind: Organization
name: o
displayName: O
parent: null
`}), "")
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Providers[0]
	if p.Auth.Username != "12345" || p.DeactivationDelay != 0 || p.RateLimit == nil || p.RateLimit.RequestsPerSecond != 25 || p.RoleMapping.Method != MethodManual ||
		p.MaxExpensiveQueries != 3 {
		t.Errorf("provider = %+v", p)
	}
}

func TestDisplayNames(t *testing.T) {
	for name, ok := range map[string]bool{"R&D": true, "Ünïcödé": true, "- ": true, "\u00a0": false, "\u200b": false, "a\tb": false, " ": false} {
		doc := "kind: Organization\nname: o\ndisplayName: " + strconv.Quote(name) + "\n"
		_, err := Load(fsOf(map[string]string{"o.yaml": doc}), "")
		if (err == nil) != ok {
			t.Errorf("displayName %q: err %v, want ok=%v", name, err, ok)
		}
	}
}
