package protocol

import (
	"encoding/json"
	"strings"
	"testing"
)

func resource(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

const testUser = `{
	"id": "2819c223", "userName": "Bjensen@Example.com", "externalId": "ext-1", "active": true, "title": "Tour Guide",
	"name": {"familyName": "Jensen", "givenName": "Barbara"},
	"emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}, {"value": "babs@jensen.org", "type": "home"}],
	"addresses": [{"type": "work", "locality": "Hollywood", "country": "US"}],
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Tour Operations", "manager": {"value": "26118915"}},
	"meta": {"created": "2011-08-01T18:29:49.793Z", "lastModified": "2011-08-01T21:32:44.882Z"}
}`

func TestFilter(t *testing.T) {
	res := resource(t, testUser)
	tests := []struct {
		filter string
		want   bool
	}{
		{`userName eq "bjensen@example.com"`, true}, // userName is not caseExact
		{`username Eq "BJENSEN@EXAMPLE.COM"`, true}, // PingOne's spelling
		{`USERNAME EQ "other"`, false},
		{`userName ne "other"`, true},
		{`externalId eq "ext-1"`, true},
		{`externalId eq "EXT-1"`, false}, // externalId is caseExact
		{`id eq "2819c223"`, true},
		{`title co "guide"`, true},
		{`title sw "Tour"`, true},
		{`title ew "Guide"`, true},
		{`title pr`, true},
		{`nickName pr`, false},
		// Value filters of any filter, which filter-parser alone refuses.
		{`emails[type eq "work" and value eq "bjensen@example.com" and primary eq true]`, true},
		{`emails[type eq "work" and value eq "babs@jensen.org" and primary eq true]`, false},
		{`emails[type eq "work" and value eq "x" or type eq "home"]`, true},
		{`emails[(type eq "work" or type eq "home") and value eq "babs@jensen.org"]`, true},
		{`emails[(type eq "work" or type eq "home") and value eq "nobody@example.com"]`, false},
		{`emails[type eq "work" or type eq "home"].value eq "nobody@example.com"`, false}, // (f) and value eq
		{`emails[type eq "work" or type eq "home"].value eq "babs@jensen.org"`, true},
		{`title eq "a[b]" or emails[not (type eq "home") and value sw "bjensen" and primary eq true]`, true},
		{`userName eq "x" or (addresses[type eq "work" and locality eq "Hollywood" and country eq "US"] and active eq true)`, true},
		{`name pr`, true},      // a complex attribute without a "value"
		{`addresses pr`, true}, // multi-valued, without a "value"
		{`emails pr`, true},
		{`x509Certificates pr`, false},
		{`phoneNumbers pr`, false},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager pr`, true},
		{`not (name pr)`, false},
		{`userName gt "a"`, true},
		{`userName lt "a"`, false},
		{`userName ge "bjensen@example.com"`, true},
		{`userName le "bjensen@example.com"`, true},
		{`emails eq "babs@jensen.org"`, true}, // any email value
		{`emails.value co "jensen.org"`, true},
		{`emails[type eq "work"].value eq "bjensen@example.com"`, true}, // Entra
		{`emails[type eq "home"].value eq "bjensen@example.com"`, false},
		{`emails[type eq "work" and value co "@example.com"]`, true},
		{`emails[type eq "other"]`, false},
		{`emails.primary eq true`, true},
		{`emails.primary eq "True"`, true},
		{`active eq true`, true},
		{`active eq "False"`, false},
		{`name.familyName eq "jensen"`, true},
		{`name.FamilyName eq Jensen`, true}, // unquoted, as Entra's tests send
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Tour Operations"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915"`, true},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "bj"`, true},
		{`meta.lastModified gt "2011-05-13T04:42:34Z"`, true},
		{`meta.created gt 2015-10-10T14:38:21.8617979-07:00`, false},
		{`meta.Created lt 2015-10-10T14:38:21.8617979-07:00`, true},
		{`title pr and not (userName eq "x")`, true},
		{`userName eq "x" or (title co "tour" and emails.type eq "work")`, true},
		{`not(title pr)`, false},
		{`addresses[type eq "work"].locality eq "Hollywood"`, true},
		{`noSuchAttribute eq "x"`, false},
		{`noSuchAttribute ne "x"`, true},
	}
	m := matcher{rt: User}
	for _, tt := range tests {
		expr, err := ParseFilter(tt.filter)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tt.filter, err)
			continue
		}
		got, err := m.match(expr, res)
		if err != nil || got != tt.want {
			t.Errorf("%s: got %v, %v; want %v", tt.filter, got, err, tt.want)
		}
	}
}

func TestFilterErrors(t *testing.T) {
	deep := "userName eq \"x\""
	for range 20 {
		deep = "not (" + deep + ")"
	}
	long := ""
	for range 300 {
		long += `userName eq "abcdefghij" or `
	}
	for _, f := range []string{
		`userName eq`,
		`userName xx "a"`,
		`(userName eq "a"`,
		deep,
		long + `title pr`,
		// The client's own attribute named like the value filters'
		// stand-ins is refused, not taken for one.
		`emails[type eq "work" and value sw "bj" and primary eq true] and reconcileValueFilter0 pr`,
	} {
		_, err := ParseFilter(f)
		if e := AsError(err); err == nil || e.ScimType != "invalidFilter" || e.Status != 400 {
			t.Errorf("ParseFilter(%.40q...): got %v, want 400 invalidFilter", f, err)
		}
	}
	// A flat chain of or is one level deep: its limit is the number of
	// comparisons, also inside a value filter.
	chain := func(n int, term string) string {
		return strings.TrimSuffix(strings.Repeat(term+" or ", n), " or ")
	}
	for f, want := range map[string]string{
		chain(150, `userName eq "a"`):                       "",
		"emails[" + chain(40, `value eq "a"`) + "]":         "",
		chain(201, `userName eq "a"`):                       "the filter has 201 comparisons; at most 200 are allowed",
		"not (" + chain(3, `userName eq "a"`) + ") or x pr": "",
	} {
		_, err := ParseFilter(f)
		if got := ""; err != nil {
			got = AsError(err).Detail
			if got != want {
				t.Errorf("ParseFilter(%.50q...): %q, want %q", f, got, want)
			}
		} else if want != "" {
			t.Errorf("ParseFilter(%.50q...): no error, want %q", f, want)
		}
	}
	expr, err := ParseFilter(`active gt true`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (matcher{rt: User}).match(expr, resource(t, testUser)); AsError(err).ScimType != "invalidFilter" {
		t.Errorf("ordering a boolean: got %v, want invalidFilter", err)
	}
}

func TestQuoteBareValues(t *testing.T) {
	tests := map[string]string{
		`userName sw O`: `userName sw "O"`,
		`name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)`: `name.FamilyName eq "Employee" and (emails.Value co "example.com" or emails.Value co "example.org")`,
		`active eq true`:          `active eq true`,
		`x eq 12`:                 `x eq 12`,
		`x eq "a b eq c"`:         `x eq "a b eq c"`,
		`members[value eq abc]`:   `members[value eq "abc"]`,
		`title eq "say \"eq x\""`: `title eq "say \"eq x\""`,
	}
	for in, want := range tests {
		if got := quoteBareValues(in); got != want {
			t.Errorf("quoteBareValues(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzFilter(f *testing.F) {
	for _, s := range []string{`userName eq "a"`, `emails[type eq "work"].value eq "x"`, `not (a pr) and (b sw c or d gt 1)`, `x eq "\"]"`} {
		f.Add(s)
	}
	res := map[string]any{}
	json.Unmarshal([]byte(testUser), &res)
	f.Fuzz(func(t *testing.T, s string) {
		expr, err := ParseFilter(s)
		if err != nil {
			if e := AsError(err); e.Status != 400 {
				t.Fatalf("parse error %v is not a 400", err)
			}
			return
		}
		if _, err := (matcher{rt: User}).match(expr, res); err != nil && AsError(err).Status != 400 {
			t.Fatalf("match error %v is not a 400", err)
		}
	})
}
