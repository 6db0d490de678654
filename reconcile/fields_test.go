package reconcile

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"github.com/google/go-cmp/cmp"

	"github.com/reconcile-dev/reconcile/schema"
)

// fieldsConfig sets every attribute of the field tables to a value that
// is not its default, across two providers (a provider maps organizations
// by one method: the attribute method's attribute is on the second).
const fieldsConfig = `
kind: Organization
name: acme
displayName: Acme
---
kind: Organization
name: eng
displayName: Engineering
parent: acme
coldStoragePeriod: 90d
protect: true
---
kind: Provider
name: okta
displayName: Okta
auth: {type: basic, username: scim-okta, secretFrom: {env: OKTA_SECRET}}
deactivationDelay: 2h
organizationMapping:
  method: group
  organization: acme
  rules: [{group: Engineers, organization: eng}]
roleMapping:
  method: group
  rules: [{group: Admins, roles: [Customer Cloud Admin, Desktop User]}]
attributes:
  preset: okta
  map: {title: ignore, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": department}
deactivationGuard: {window: 30m, maxCount: 0, maxPercent: 10}
massMoveGuard: {maxCount: 5000, maxPercent: 0}
rollout: {mode: canary, users: [alice@acme.com], groups: [Pilots]}
rateLimit: {requestsPerSecond: 2.5, burst: 5}
maxExpensiveQueries: 3
---
kind: Provider
name: entra
displayName: Entra
auth: {type: bearer, secretFrom: {file: /run/secrets/entra}}
organizationMapping: {method: attribute, organization: acme, attribute: c42OrgName}
`

func loadFieldsConfig(t *testing.T) *schema.Config {
	t.Helper()
	cfg, err := schema.Load(fstest.MapFS{"config.yaml": {Data: []byte(fieldsConfig)}}, "")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// schemaPaths lists the dotted paths of the leaves of a kind's CUE
// definition: scalars, lists and maps (structs with no named fields);
// kind and name are the document's address, not attributes.
func schemaPaths(t *testing.T, kind string) []string {
	t.Helper()
	v := cuecontext.New().CompileString(schema.CUE).LookupPath(cue.MakePath(cue.Def(kind)))
	if err := v.Err(); err != nil {
		t.Fatal(err)
	}
	var paths []string
	var walk func(v cue.Value, prefix string)
	walk = func(v cue.Value, prefix string) {
		it, err := v.Fields(cue.Optional(true))
		if err != nil {
			t.Fatal(err)
		}
		leaf := true
		for it.Next() {
			leaf = false
			name := prefix + it.Selector().Unquoted()
			if name == "kind" || name == "name" {
				continue
			}
			if it.Value().IncompleteKind() == cue.StructKind {
				walk(it.Value(), name+".")
			} else {
				paths = append(paths, name)
			}
		}
		if leaf && prefix != "" {
			paths = append(paths, strings.TrimSuffix(prefix, "."))
		}
	}
	walk(v, "")
	return paths
}

func fieldPaths[S, C any](fields []field[S, C]) []string {
	var paths []string
	for _, f := range fields {
		paths = append(paths, f.path)
	}
	return paths
}

// TestFieldsCoverTheSchema: every attribute the CUE schema defines has a
// row (one row may stand for a whole struct, as auth.secretFrom does),
// and every row is an attribute of the schema. A field added to
// config.cue without a row fails here.
func TestFieldsCoverTheSchema(t *testing.T) {
	for _, tt := range []struct {
		kind string
		rows []string
	}{
		{schema.KindOrganization, fieldPaths(organizationFields)},
		{schema.KindProvider, fieldPaths(providerFields)},
	} {
		leaves := schemaPaths(t, tt.kind)
		if len(leaves) < len(tt.rows) {
			t.Fatalf("%s: the schema walk found %d attributes: %v", tt.kind, len(leaves), leaves)
		}
		covered := func(leaf string) bool {
			return slices.ContainsFunc(tt.rows, func(row string) bool { return leaf == row || strings.HasPrefix(leaf, row+".") })
		}
		for _, leaf := range leaves {
			if !covered(leaf) {
				t.Errorf("%s.%s is in config.cue but has no row in the field table", tt.kind, leaf)
			}
		}
		for _, row := range tt.rows {
			if !slices.ContainsFunc(leaves, func(leaf string) bool { return leaf == row || strings.HasPrefix(leaf, row+".") }) {
				t.Errorf("the row %s.%s is not in config.cue", tt.kind, row)
			}
		}
	}
}

// TestFieldsRoundTrip: an object made from a config document shows, in
// its attributes, exactly what the document set.
func TestFieldsRoundTrip(t *testing.T) {
	cfg := loadFieldsConfig(t)
	for _, tt := range []struct {
		name string
		got  []attr
		want string
	}{
		{"organization eng", organizationAttrs(OrganizationFromConfig(cfg.Organization("eng"))),
			`{"displayName":"Engineering","parent":"acme","coldStoragePeriod":"90d","protect":true}`},
		{"provider okta", providerAttrs(ProviderFromConfig(cfg.Providers[1])), `{"displayName":"Okta",
			"auth":{"type":"basic","username":"scim-okta","secretFrom":"env:OKTA_SECRET"},"deactivationDelay":"2h",
			"organizationMapping":{"method":"group","organization":"acme","rules":[{"group":"Engineers","organization":"eng"}]},
			"roleMapping":{"method":"group","rules":[{"group":"Admins","roles":["Customer Cloud Admin","Desktop User"]}]},
			"attributes":{"preset":"okta","map":{"title":"ignore","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"department"}},
			"deactivationGuard":{"window":"30m","maxCount":0,"maxPercent":10},"massMoveGuard":{"maxCount":5000,"maxPercent":0},
			"rollout":{"mode":"canary","users":["alice@acme.com"],"groups":["Pilots"]},"rateLimit":{"requestsPerSecond":2.5,"burst":5},
			"maxExpensiveQueries":3}`},
		{"provider entra", providerAttrs(ProviderFromConfig(cfg.Providers[0])), `{"displayName":"Entra",
			"auth":{"type":"bearer","secretFrom":"file:/run/secrets/entra"},"deactivationDelay":"15m",
			"organizationMapping":{"method":"attribute","organization":"acme","attribute":"c42OrgName"},
			"roleMapping":{"method":"manual"},"attributes":{"preset":"pingone-directory"},
			"deactivationGuard":{"window":"1h","maxCount":100,"maxPercent":25},"massMoveGuard":{"maxCount":100,"maxPercent":25}}`},
	} {
		var want map[string]any
		if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, jsonOf(t, nest(tt.got))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

// TestFieldsSetWhatTheyGet: each row's set changes the attribute its get
// reads, and no other: a row whose set and get name different fields
// fails here.
func TestFieldsSetWhatTheyGet(t *testing.T) {
	cfg := loadFieldsConfig(t)
	checkRows(t, organizationFields, []*schema.Organization{cfg.Organization("eng")})
	checkRows(t, providerFields, cfg.Providers)
}

func checkRows[S, C any](t *testing.T, fields []field[S, C], docs []*C) {
	t.Helper()
	zero := attrMap(t, fields, new(S))
	for _, f := range fields {
		changed := false
		for _, doc := range docs {
			obj := new(S)
			f.set(obj, doc)
			got := attrMap(t, fields, obj)
			for path := range got {
				if path != f.path && !cmp.Equal(got[path], zero[path]) {
					t.Errorf("the row %s sets %s too", f.path, path)
				}
			}
			changed = changed || !cmp.Equal(got[f.path], zero[f.path])
		}
		if !changed {
			t.Errorf("the row %s: no document of the test config changes it; set it to a value that is not its default", f.path)
		}
	}
}

// attrMap is every row's attribute of obj, as JSON decodes it.
func attrMap[S, C any](t *testing.T, fields []field[S, C], obj *S) map[string]any {
	out := map[string]any{}
	for _, f := range fields {
		out[f.path] = jsonOf(t, f.get(obj))
	}
	return out
}

func jsonOf(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEditableKeys: admins may change the attributes of organizations and
// providers, but not how a provider authenticates; the rows below one
// top-level key agree on it.
func TestEditableKeys(t *testing.T) {
	if got, want := editableKeys(organizationFields), []string{"displayName", "parent", "coldStoragePeriod", "protect"}; !slices.Equal(got, want) {
		t.Errorf("organizations: %v, want %v", got, want)
	}
	want := []string{"displayName", "deactivationDelay", "organizationMapping", "roleMapping", "attributes", "deactivationGuard", "massMoveGuard", "rateLimit", "maxExpensiveQueries"}
	if got := editableKeys(providerFields); !slices.Equal(got, want) {
		t.Errorf("providers: %v, want %v", got, want)
	}
	byKey := map[string]bool{}
	for _, f := range providerFields {
		key, _, _ := strings.Cut(f.path, ".")
		if e, seen := byKey[key]; seen && e != f.editable {
			t.Errorf("the rows below %s disagree on whether admins may edit them", key)
		}
		byKey[key] = f.editable
	}
}
