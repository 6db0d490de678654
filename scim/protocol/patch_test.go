package protocol

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPatch(t *testing.T) {
	base := `{"userName": "bjensen", "active": true, "title": "Guide",
		"name": {"givenName": "Barbara", "familyName": "Jensen"},
		"emails": [{"value": "b@work.com", "type": "work", "primary": true}, {"value": "b@home.org", "type": "home"}],
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Tours"}}`
	tests := []struct {
		name string
		base string // instead of base
		ops  string
		want string // the changed attributes, merged over base
		drop []string
	}{{
		name: "Okta deactivates with a no-path replace",
		ops:  `[{"op":"replace","value":{"active":false}}]`,
		want: `{"active": false}`,
	}, {
		name: "Entra: capitalised op and a string boolean",
		ops:  `[{"op":"Replace","path":"active","value":"False"}]`,
		want: `{"active": false}`,
	}, {
		name: "Entra: dotted keys and a URN key in a no-path replace",
		ops:  `[{"op":"Replace","value":{"name.givenName":"Babs","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Sales"}}]`,
		want: `{"name": {"givenName": "Babs", "familyName": "Jensen"}, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales"}}`,
	}, {
		name: "an extension object in a no-path add",
		ops:  `[{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"division":"EMEA"}}}]`,
		want: `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Tours", "division": "EMEA"}}`,
	}, {
		name: "a URN path; a manager given as its id",
		ops:  `[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m-1"}]`,
		want: `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Tours", "manager": {"value": "m-1"}}}`,
	}, {
		name: "value filter with a sub-attribute",
		ops:  `[{"op":"replace","path":"emails[type eq \"work\"].value","value":"new@work.com"}]`,
		want: `{"emails": [{"value": "new@work.com", "type": "work", "primary": true}, {"value": "b@home.org", "type": "home"}]}`,
	}, {
		name: "value filter matching nothing adds the element it describes",
		ops:  `[{"op":"add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555"}]`,
		want: `{"phoneNumbers": [{"type": "mobile", "value": "+1 555"}]}`,
	}, {
		name: "remove by value filter",
		ops:  `[{"op":"remove","path":"emails[type eq \"home\"]"}]`,
		want: `{"emails": [{"value": "b@work.com", "type": "work", "primary": true}]}`,
	}, {
		name: "add to a multi-valued attribute appends, without duplicates",
		ops:  `[{"op":"add","path":"emails","value":[{"value":"b@home.org","type":"home"},{"value":"x@y.z","type":"other"}]}]`,
		want: `{"emails": [{"value": "b@work.com", "type": "work", "primary": true}, {"value": "b@home.org", "type": "home"}, {"value": "x@y.z", "type": "other"}]}`,
	}, {
		name: "remove a simple attribute; a sub-attribute",
		ops:  `[{"op":"remove","path":"title"},{"op":"remove","path":"name.familyName"}]`,
		want: `{"name": {"givenName": "Barbara"}}`,
		drop: []string{"title"},
	}, {
		name: "adding a primary email takes primary from the others",
		ops:  `[{"op":"add","path":"emails","value":[{"value":"n@y.com","type":"other","primary":true}]}]`,
		want: `{"emails": [{"value": "b@work.com", "type": "work"}, {"value": "b@home.org", "type": "home"}, {"value": "n@y.com", "type": "other", "primary": true}]}`,
	}, {
		name: "adding an email already there, as primary, makes it primary",
		ops:  `[{"op":"add","path":"emails","value":[{"value":"B@HOME.ORG","primary":true}]}]`,
		want: `{"emails": [{"value": "b@work.com", "type": "work"}, {"value": "b@home.org", "type": "home", "primary": true}]}`,
	}, {
		name: "a value filter of three comparisons in a path",
		ops:  `[{"op":"replace","path":"emails[type eq \"work\" and value co \"work\" and primary eq true].value","value":"new@work.com"}]`,
		want: `{"emails": [{"value": "new@work.com", "type": "work", "primary": true}, {"value": "b@home.org", "type": "home"}]}`,
	}, {
		name: "a value filter with parentheses in a path",
		ops:  `[{"op":"remove","path":"emails[(type eq \"home\" or type eq \"other\") and value ew \".org\"]"}]`,
		want: `{"emails": [{"value": "b@work.com", "type": "work", "primary": true}]}`,
	}, {
		name: "an add leaves the emails already there as they are",
		base: `{"userName": "bjensen", "emails": [{"value": "b@work.com", "type": "work", "primary": true}, {"value": "B@WORK.COM", "type": "other"}]}`,
		ops:  `[{"op":"add","path":"emails","value":[{"value":"x@y.z"}]}]`,
		want: `{"emails": [{"value": "b@work.com", "type": "work", "primary": true}, {"value": "B@WORK.COM", "type": "other"}, {"value": "x@y.z"}]}`,
	}, {
		name: "making a filtered email primary, as Entra sends it",
		ops:  `[{"op":"Replace","path":"emails[type eq \"home\"].primary","value":"True"}]`,
		want: `{"emails": [{"value": "b@work.com", "type": "work"}, {"value": "b@home.org", "type": "home", "primary": true}]}`,
	}, {
		name: "replacing a filtered email with a primary one",
		ops:  `[{"op":"replace","path":"emails[type eq \"home\"]","value":{"value":"h@home.org","primary":true}}]`,
		want: `{"emails": [{"value": "b@work.com", "type": "work"}, {"value": "h@home.org", "type": "home", "primary": true}]}`,
	}, {
		name: "emails are matched without case when added and removed",
		ops:  `[{"op":"add","path":"emails","value":[{"value":"B@WORK.COM","type":"work"}]},{"op":"remove","path":"emails","value":[{"value":"B@HOME.ORG"}]}]`,
		want: `{"emails": [{"value": "b@work.com", "type": "work", "primary": true}]}`,
	}, {
		name: "the whole extension as the path",
		ops:  `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":{"department":"NEW","division":"EMEA"}}]`,
		want: `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "NEW", "division": "EMEA"}}`,
	}, {
		name: "removing the whole extension",
		ops:  `[{"op":"remove","path":"URN:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]`,
		want: `{}`,
		drop: []string{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
	}, {
		name: "unknown attributes are ignored; id and meta too",
		ops:  `[{"op":"replace","path":"favouriteColour","value":"teal"},{"op":"replace","value":{"id":"x","meta":{"version":"1"},"nickName":"B"}}]`,
		want: `{"nickName": "B"}`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := base
			if tt.base != "" {
				b = tt.base
			}
			res := resource(t, b)
			want := resource(t, b)
			for k, v := range resource(t, tt.want) {
				want[k] = v
			}
			for _, k := range tt.drop {
				delete(want, k)
			}
			ops, err := DecodePatch([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":` + tt.ops + `}`))
			if err != nil {
				t.Fatal(err)
			}
			got, err := User.Patch(res, ops)
			if err != nil {
				t.Fatal(err)
			}
			// Compare as JSON, so numbers and nesting compare alike.
			var g, w any
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(want)
			json.Unmarshal(gb, &g)
			json.Unmarshal(wb, &w)
			if diff := cmp.Diff(w, g); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPatchErrors(t *testing.T) {
	tests := map[string]string{
		`{"Operations":[]}`:                                                                                                 "invalidSyntax",
		`{"Operations":[{"op":"move","path":"title"}]}`:                                                                     "invalidSyntax",
		`{"Operations":[{"op":"remove"}]}`:                                                                                  "noTarget",
		`{"Operations":[{"op":"replace","path":"title"}]}`:                                                                  "invalidValue",
		`{"Operations":[{"op":"replace","value":"not an object"}]}`:                                                         "invalidValue",
		`{"Operations":[{"op":"replace","path":"[[","value":"x"}]}`:                                                         "invalidPath",
		`{"Operations":[{"op":"replace","path":"groups","value":[]}]}`:                                                      "mutability",
		`{"Operations":[{"op":"replace","path":"active","value":"maybe"}]}`:                                                 "invalidValue",
		`{"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":"x"}]}`: "invalidValue",
		`{"Operations":[{"op":"replace","path":"name","value":"notanobject"}]}`:                                             "invalidValue",
		`not json`: "invalidSyntax",
	}
	for body, want := range tests {
		res := resource(t, `{"userName":"u"}`)
		ops, err := DecodePatch([]byte(body))
		if err == nil {
			_, err = User.Patch(res, ops)
		}
		if e := AsError(err); err == nil || e.ScimType != want {
			t.Errorf("%s: got %v, want %s", body, err, want)
		}
	}
}

func TestNormalize(t *testing.T) {
	in := resource(t, `{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
		"id": "client-id", "meta": {"created": "2019-01-01T00:00:00Z"}, "password": "secret", "groups": [{"value": "g"}],
		"USERNAME": "u", "active": "True", "unknown": 1,
		"emails": [{"Value": "a@b.c", "Primary": "true", "type": "work"}, null],
		"name": {"givenName": "G", "honorificPrefix": null},
		"roles": [],
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"Department": "D", "Manager": {"Value": "m", "displayName": "ro"}}
	}`)
	got, err := User.Normalize(in)
	if err != nil {
		t.Fatal(err)
	}
	want := resource(t, `{
		"userName": "u", "active": true,
		"emails": [{"value": "a@b.c", "primary": true, "type": "work"}],
		"name": {"givenName": "G"},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "D", "manager": {"value": "m"}}
	}`)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("normalize (-want +got):\n%s", diff)
	}
	// Errors name the attribute's whole path.
	many := `{"userName":"u","emails":[` + strings.Repeat(`{"value":"a@b.c"},`, maxValues) + `{"value":"a@b.c"}]}`
	for bad, detail := range map[string]string{
		`{"userName": {"a": 1}}`:                     "userName must be a string, not an object",
		`{"userName":"u","name":"x"}`:                "name must be an object",
		`{"userName":"u","active":"yes"}`:            `active must be a boolean (true or false), not "yes"`,
		`{"userName":"u","emails":[{"primary":[]}]}`: "emails.primary must be a boolean (true or false), not a list",
		`{"userName":"u","name":{"givenName":{}}}`:   "name.givenName must be a string, not an object",
		many: "emails has 101 values; at most 100 are allowed",
		`{"userName":"u","` + URNEnterpriseUser + `":{"manager":{"value":[]}}}`: "manager.value must be a string, not a list",
	} {
		_, err := User.Normalize(resource(t, bad))
		if e := AsError(err); e == nil || e.ScimType != "invalidValue" || e.Detail != detail {
			t.Errorf("normalize(%.60s): got %v, want invalidValue %q", bad, err, detail)
		}
	}
}
