package schema

import (
	"errors"
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
			Source:              Source{"providers/pingone.yml", 1},
		}},
	}
	if diff := cmp.Diff(want, cfg, cmpopts.IgnoreUnexported(Organization{}, Provider{})); diff != "" {
		t.Errorf("Load mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{{
		name: "issue example",
		files: map[string]string{"providers/pingone.yaml": `
kind: Provider
name: pingone
displayName: PingOne
auth:
  type: bearer
deactivationDelay: 15 minutes
organizationMapping: {method: fixed, organization: eng}
---
kind: Organization
name: eng
displayName: Eng
`},
		want: []string{`providers/pingone.yaml:6:20: deactivationDelay: invalid duration "15 minutes" (want whole numbers with units ms, s, m, h or d, e.g. 15m, 1h30m, 30d, or 0)`},
	}, {
		name:  "broken yaml",
		files: map[string]string{"a.yaml": "kind: Organization\nname: [a, b\n", "b.yaml": "kind: Organization\nname: Bad\ndisplayName: x\n"},
		want: []string{
			`a.yaml:2: invalid YAML: did not find expected ',' or ']'`,
			`b.yaml:2:7: name: invalid name "Bad" (want a lowercase slug of a-z, 0-9 and inner hyphens, at most 63 characters, e.g. "pingone-prod")`,
		},
	}, {
		name: "every error in a document at once",
		files: map[string]string{"o.yaml": `
kind: Organization
name: eng
colour: red
displayname: Eng
protect: "yes"
coldStoragePeriod: 1.5d
`},
		want: []string{
			`o.yaml:1:1: displayName: required field is missing`,
			`o.yaml:3:1: colour: unknown field (want one of kind, name, displayName, parent, coldStoragePeriod, protect)`,
			`o.yaml:4:1: displayname: unknown field (did you mean "displayName"?)`,
			`o.yaml:5:10: protect: must be true or false, got "yes"`,
			`o.yaml:6:20: coldStoragePeriod: invalid duration "1.5d" (want whole numbers with units ms, s, m, h or d, e.g. 15m, 1h30m, 30d, or 0)`,
		},
	}, {
		name: "kinds and shapes",
		files: map[string]string{"k.yaml": `
kind: Org
name: x
---
- a list
---
name: nokind
---
kind: Provider
name: p
displayName: [P]
auth: bearer
organizationMapping:
  method: copy
  organization: x
attributes:
  map:
    title: jobTitle
    "not a path": title
`},
		want: []string{
			`k.yaml:1:7: kind: unknown kind "Org" (want one of Organization, Provider)`,
			`k.yaml:4:1: a document must be a mapping with kind and name, got a list`,
			`k.yaml:6:1: kind: required field is missing (want one of Organization, Provider)`,
			`k.yaml:10:14: displayName: must be a string, got a list`,
			`k.yaml:11:7: auth: must be a mapping, got "bearer"`,
			`k.yaml:13:11: organizationMapping.method: invalid value "copy" (want one of "fixed", "attribute", "group")`,
			`k.yaml:14:17: organizationMapping.organization: unknown organization "x"`,
			`k.yaml:17:12: attributes.map.title: invalid value "jobTitle" (want one of "email", "firstName", "lastName", "title", "division", "department", "employeeType", "city", "state", "country", "externalId", "ignore")`,
			`k.yaml:18:5: attributes.map: invalid SCIM attribute path "not a path" (want e.g. title, name.givenName, emails[type eq "work"].value or urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department)`,
		},
	}, {
		name: "duplicates",
		files: map[string]string{
			"a.yaml":   "kind: Organization\nname: a\ndisplayName: A\n",
			"b/c.yaml": "kind: Organization\nname: a\ndisplayName: A again\n---\nkind: Provider\nname: a\ndisplayName: P\nauth: {type: bearer}\norganizationMapping: {method: fixed, organization: a}\n",
		},
		want: []string{`b/c.yaml:2:7: name: duplicate organization "a" (first defined at a.yaml:1)`},
	}, {
		name: "references and cycles",
		files: map[string]string{
			"orgs.yaml": `
kind: Organization
name: a
displayName: A
parent: c
---
kind: Organization
name: b
displayName: B
parent: a
---
kind: Organization
name: c
displayName: C
parent: b
---
kind: Organization
name: self
displayName: Self
parent: self
---
kind: Organization
name: orphan
displayName: Orphan
parent: enginering
---
kind: Organization
name: engineering
displayName: Eng
`,
			"p.yaml": `
kind: Provider
name: okta
displayName: Okta
auth: {type: bearer, username: me, secretFrom: {env: X, file: /y}}
organizationMapping:
  method: group
  organization: nowhere
  attribute: c42OrgName
  rules:
    - {group: Sales, organization: a}
    - {group: Sales, organization: missing}
roleMapping:
  method: group
  rules:
    - group: Admins
      roles: []
`,
		},
		want: []string{
			`orgs.yaml:4:9: parent: cycle of parents: a -> c -> b -> a`,
			`orgs.yaml:19:9: parent: an organization cannot be its own parent`,
			`orgs.yaml:24:9: parent: unknown organization "enginering" (did you mean "engineering"?)`,
			`p.yaml:4:32: auth.username: only used with type: basic (a bearer token has no username)`,
			`p.yaml:4:48: auth.secretFrom: set exactly one of env or file`,
			`p.yaml:7:17: organizationMapping.organization: unknown organization "nowhere"`,
			`p.yaml:8:14: organizationMapping.attribute: only used with method: attribute`,
			`p.yaml:11:15: organizationMapping.rules[1].group: group "Sales" already has a rule (rules[0]); only the first would ever match`,
			`p.yaml:11:36: organizationMapping.rules[1].organization: unknown organization "missing"`,
			`p.yaml:16:14: roleMapping.rules[0].roles: at least one role is required`,
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(fsOf(tt.files), "")
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Load: got %v, want Errors", err)
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
		})
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
	_, err = Load(fsOf(map[string]string{"p.yaml": `
kind: Provider
name: p
displayName: P
auth: {type: bearer}
rateLimit: {requestsPerSecond: -1, burst: 2.5}
organizationMapping: {method: fixed, organization: o}
---
kind: Organization
name: o
displayName: O
`}), "")
	want := "p.yaml:5:32: rateLimit.requestsPerSecond: invalid value -1: want a number more than 0 and at most 1000000\np.yaml:5:43: rateLimit.burst: must be an integer, got \"2.5\""
	if err == nil || err.Error() != want {
		t.Errorf("errors:\n%v\nwant:\n%s", err, want)
	}
	// Bounds are said in words, without CUE's types or default markers.
	_, err = Load(fsOf(map[string]string{"p.yaml": `
kind: Provider
name: p
displayName: P
auth: {type: bearer}
rateLimit: {requestsPerSecond: 5, burst: 0}
maxExpensiveQueries: 0
deactivationGuard: {maxPercent: 150}
organizationMapping: {method: fixed, organization: o}
---
kind: Organization
name: o
displayName: O
`}), "")
	for _, line := range []string{
		"rateLimit.burst: invalid value 0: want a whole number from 1 to 1000000",
		"deactivationGuard.maxPercent: invalid value 150: want a whole number from 0 to 100",
		"maxExpensiveQueries: invalid value 0: want a whole number from 1 to 1000",
	} {
		if err == nil || !strings.Contains(err.Error(), line) {
			t.Errorf("errors:\n%v\nwant a line with %q", err, line)
		}
	}
}

func TestLoadMappingAndYAMLEdgeCases(t *testing.T) {
	_, err := Load(fsOf(map[string]string{"p.yaml": `
kind: Provider
name: p
displayName: P
displayName: Again
auth: {type: basic}
organizationMapping:
  <<: {method: fixed}
  method: fixed
  organization: o
protect: !!bool maybe
attributes:
  map:
    title: title
    Title: ignore
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": title
    nickName: userName
---
kind: Organization
name: o
displayName: O
parent:
parent: o
`}), "")
	want := []string{
		`p.yaml:4:1: displayName: duplicate field (first set at line 3)`,
		`p.yaml:5:7: auth.username: required with type: basic`,
		`p.yaml:7:3: organizationMapping: merge keys (<<) are not supported: write the fields out`,
		`p.yaml:10:1: protect: unknown field (want one of kind, name, displayName, auth, deactivationDelay, organizationMapping, roleMapping, attributes, deactivationGuard, rateLimit, maxExpensiveQueries)`,
		`p.yaml:14:5: attributes.map.Title: "title" and "Title" name the same SCIM attribute (paths compare without case)`,
		`p.yaml:15:5: attributes.map.urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department: user field title is already mapped from "title": map each user field from one SCIM attribute`,
		`p.yaml:16:15: attributes.map.nickName: invalid value "userName" (want one of "email", "firstName", "lastName", "title", "division", "department", "employeeType", "city", "state", "country", "externalId", "ignore")`,
		`p.yaml:22:1: parent: duplicate field (first set at line 21)`,
	}
	var got []string
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %v", err)
	}
	for _, e := range errs {
		got = append(got, e.Error())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
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

// TestSyntaxErrorLines: a YAML syntax error names the line a reader finds
// it on (yaml.v3 gives its parser's errors one line early), and a quoted
// string left open is said to be.
func TestSyntaxErrorLines(t *testing.T) {
	const openQuote = "a quoted string that starts on this line is not closed"
	tests := []struct {
		doc       string
		line      int
		openQuote bool
	}{
		{"kind: Organization\nname: o\ndisplayName: [unclosed\nother: x\n", 3, false}, // yaml.v3: 2
		{"kind: Organization\nname: [a, b\n", 2, false},                               // yaml.v3: 1
		{"kind: X\nname: {a: 1\nb: 2\n", 2, false},                                    // yaml.v3: 1
		{"kind: X\nlist: [\n  a,\n  b\n  c: d\n]\n", 2, false},                        // where the [ opens; yaml.v3: 1
		{"a: 1\nb: 2\n- c\n", 3, false},                                               // yaml.v3: 2
		{"kind: Organization\nname: o\ndisplayName: O\n\t- tab\n", 4, false},          // yaml.v3: 3
		{"kind: Organization\nname: o\n  bad: indent\ndisplayName: O\n", 3, false},    // right already
		{"kind: Organization\nname: \"o\ndisplayName: O\n", 2, true},                  // right already
		{"kind: Organization\nname: 'o\ndisplayName: O\n---\nkind: X\n", 2, true},     // before the next document
		{"kind: X\nname\nother: y\n", 2, false},                                       // right already
		{"kind: Organization\nname: o\ndisplayName: O\n---\nb: [\n", 5, false},        // a later document
	}
	for _, tt := range tests {
		_, err := Load(fsOf(map[string]string{"a.yaml": tt.doc}), "")
		var errs Errors
		if !errors.As(err, &errs) || len(errs) != 1 {
			t.Errorf("%q: got %v, want one syntax error", tt.doc, err)
			continue
		}
		if !strings.Contains(errs[0].Msg, "invalid YAML") || errs[0].Line != tt.line {
			t.Errorf("%q: %v; want an invalid YAML error on line %d", tt.doc, errs[0], tt.line)
		}
		if got := strings.HasSuffix(errs[0].Msg, ": "+openQuote); got != tt.openQuote {
			t.Errorf("%q: %v; says a quote is open: %v, want %v", tt.doc, errs[0], got, tt.openQuote)
		}
	}
}

// TestMergeKeyAtTheTop checks that a document whose kind comes from a
// merge key is told merge keys are not supported, not that kind is
// missing.
func TestMergeKeyAtTheTop(t *testing.T) {
	_, err := Load(fsOf(map[string]string{"o.yaml": `
base: &base {kind: Organization, displayName: Base}
---
<<: *base
name: o
`}), "")
	want := "o.yaml:3:1: merge keys (<<) are not supported: write the fields out"
	if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "o.yaml:3:1: kind") {
		t.Errorf("errors:\n%v\nwant %q, not that kind is missing", err, want)
	}
}
