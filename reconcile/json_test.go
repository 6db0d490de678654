package reconcile

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/state"
)

// planOf plans files against store, with every secret a fixed one.
func planOf(t *testing.T, store *state.Store, files string, opts PlanOptions) *Plan {
	t.Helper()
	opts.Secrets = func(*schema.SecretRef) ([]byte, error) { return []byte("a-secret-of-16-characters"), nil }
	snap := &Snapshot{Revision: "main@sha1:2", Digest: "sha256:2", FS: fstest.MapFS{"config.yaml": {Data: []byte(files)}}}
	p, err := PlanRevision(snap, store, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPlanJSON: the machine-readable plan keeps Terraform's keys, flags
// a provider's secret as sensitive without showing it, and says why an
// object is destroyed.
func TestPlanJSON(t *testing.T) {
	store := state.NewMemory(state.Options{})
	p := planOf(t, store, fieldsConfig, PlanOptions{})
	var b strings.Builder
	if err := p.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var jp map[string]any
	if err := json.Unmarshal([]byte(b.String()), &jp); err != nil {
		t.Fatal(err)
	}
	var addresses []string
	for _, c := range jp["resource_changes"].([]any) {
		addresses = append(addresses, c.(map[string]any)["address"].(string))
	}
	if want := []string{"organization.acme", "organization.eng", "provider.entra", "provider.okta"}; !cmp.Equal(addresses, want) {
		t.Errorf("addresses %v, want %v", addresses, want)
	}
	okta := jp["resource_changes"].([]any)[3].(map[string]any)["change"].(map[string]any)
	if diff := cmp.Diff(map[string]any{"auth": map[string]any{"secret": true}}, okta["after_sensitive"]); diff != "" || okta["before"] != nil {
		t.Errorf("okta: before %v, after_sensitive (-want +got):\n%s", okta["before"], diff)
	}
	if strings.Contains(b.String(), "a-secret-of-16-characters") {
		t.Error("the plan shows the secret")
	}
	summary := jp["summary"].(map[string]any)
	users := summary["users"].(map[string]any)
	delete(summary, "users")
	if jp["format_version"] != JSONFormatVersion || jp["config_revision"] != "main@sha1:2" || jp["applyable"] != true ||
		!cmp.Equal(summary, map[string]any{"add": 4.0, "change": 0.0, "destroy": 0.0}) || users["changed"] != 0.0 ||
		!cmp.Equal(jp["user_changes"], []any{}) {
		t.Errorf("plan = %v", jp)
	}

	if _, err := Apply(context.Background(), store, p); err != nil {
		t.Fatal(err)
	}
	gone := planOf(t, store, "kind: Organization\nname: acme\ndisplayName: Acme\n", PlanOptions{AllowMassDestroy: true}).JSON()
	var reasons []string
	for _, c := range gone.ResourceChanges {
		if c.Change.Actions[0] == ActionDelete {
			reasons = append(reasons, c.Address+" "+c.ActionReason)
		}
	}
	// Providers go before the organizations they map to.
	want := []string{"provider.entra delete_because_no_resource_config", "provider.okta delete_because_no_resource_config", "organization.eng delete_because_no_resource_config"}
	if !cmp.Equal(reasons, want) || gone.LiveRevision != "main@sha1:2" {
		t.Errorf("destroys %v, live revision %q", reasons, gone.LiveRevision)
	}
}

func TestConfigErrorsJSON(t *testing.T) {
	var b strings.Builder
	errs := ConfigProblems(schema.Errors{{File: "c/x.yaml", Line: 2, Col: 7, Path: "name", Msg: "not a name"}})
	if err := ConfigErrorsJSON(&b, "", errs); err != nil {
		t.Fatal(err)
	}
	var jp JSONPlan
	if err := json.Unmarshal([]byte(b.String()), &jp); err != nil {
		t.Fatal(err)
	}
	if jp.Applyable || len(jp.ResourceChanges) != 0 || jp.ResourceChanges == nil || len(jp.Errors) != 1 || jp.Errors[0].String() != "c/x.yaml:2:7: name: not a name" {
		t.Errorf("plan = %+v", jp)
	}
}

func TestProblemString(t *testing.T) {
	for _, tt := range []struct {
		p    Problem
		want string
	}{
		{Problem{Address: "organization.eng", Message: "is protected"}, "organization.eng is protected"},
		{Problem{Message: "would destroy 2 of 2 providers"}, "would destroy 2 of 2 providers"},
		{Problem{File: "c/x.yaml", Line: 3, Column: 1, Path: "parent", Message: "unknown organization"}, "c/x.yaml:3:1: parent: unknown organization"},
	} {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%+v = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestCheckDriftMode(t *testing.T) {
	for mode, want := range map[string]string{DriftReport: "", DriftCorrect: "", "": `--drift: "" is not report or correct`, "ignore": `--drift: "ignore" is not report or correct`} {
		err := CheckDriftMode(mode)
		if got := ""; err != nil {
			got = err.Error()
			if got != want {
				t.Errorf("%q: %q, want %q", mode, got, want)
			}
		} else if want != "" {
			t.Errorf("%q: no error, want %q", mode, want)
		}
	}
}

// TestGuardMassDestroy: one plan may destroy one object, or up to a
// quarter of a kind, unless mass destroys are allowed; what the state
// would refuse is a problem too.
func TestGuardMassDestroy(t *testing.T) {
	store := state.NewMemory(state.Options{})
	if _, err := Apply(context.Background(), store, planOf(t, store, fieldsConfig, PlanOptions{})); err != nil {
		t.Fatal(err)
	}
	orgs := "kind: Organization\nname: acme\ndisplayName: Acme\n---\nkind: Organization\nname: eng\ndisplayName: Engineering\nparent: acme\nprotect: true\n"
	okta := fieldsConfig[strings.Index(fieldsConfig, "kind: Provider\nname: okta"):strings.Index(fieldsConfig, "---\nkind: Provider\nname: entra")]
	for _, tt := range []struct {
		name, files string
		allow       bool
		want        []string
	}{
		{"one provider of two", orgs + "---\n" + okta, false, nil},
		{"both providers", orgs, false, []string{"would destroy 2 of 2 providers (100%), more than the 25% allowed at once; if that is intended, re-run with --allow-mass-destroy"}},
		{"both providers, allowed", orgs, true, nil},
		{"a protected organization", "kind: Organization\nname: acme\ndisplayName: Acme\n---\n" + strings.Replace(okta, "organization: eng", "organization: acme", 1), false,
			[]string{"organization.eng cannot be destroyed: it is protected (protect: true in the live state); apply it with protect: false first"}},
	} {
		p := planOf(t, store, tt.files, PlanOptions{AllowMassDestroy: tt.allow})
		var got []string
		for _, pr := range p.Problems {
			got = append(got, pr.String())
		}
		if !cmp.Equal(got, tt.want) {
			t.Errorf("%s: problems %q, want %q", tt.name, got, tt.want)
		}
	}
}
