package protocol

import (
	"encoding/json"
	"testing"

	"github.com/reconcile-dev/reconcile/bench"
)

// BenchmarkFilterMatch is filter evaluation against a user: parsing the
// filter, and matching it.
func BenchmarkFilterMatch(b *testing.B) {
	var res map[string]any
	if err := json.Unmarshal([]byte(testUser), &res); err != nil {
		b.Fatal(err)
	}
	for _, f := range []string{
		`userName eq "bjensen@example.com"`,
		`emails[type eq "work"].value eq "bjensen@example.com"`,
		`userName eq "x" or (title co "tour" and emails.type eq "work")`,
	} {
		b.Run("parse/"+f, func(b *testing.B) {
			for b.Loop() {
				if _, err := ParseFilter(f); err != nil {
					b.Fatal(err)
				}
			}
		})
		expr, err := ParseFilter(f)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("match/"+f, func(b *testing.B) {
			m := matcher{rt: User}
			for b.Loop() {
				if ok, err := m.match(expr, res); !ok || err != nil {
					b.Fatalf("match = %v, %v", ok, err)
				}
			}
		})
	}
}

// BenchmarkPatchApply is a PATCH the way Entra sends one, applied to a
// stored user: decoding, applying and normalizing.
func BenchmarkPatchApply(b *testing.B) {
	raw, err := DecodeObject(bench.User("bjensen@example.com", true))
	if err != nil {
		b.Fatal(err)
	}
	stored, err := User.Normalize(raw)
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Replace","path":"active","value":"False"},
		{"op":"Replace","path":"emails[type eq \"work\"].value","value":"babs@example.com"},
		{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Tour Operations"},
		{"op":"Remove","path":"phoneNumbers"}]}`)
	for b.Loop() {
		ops, err := DecodePatch(body)
		if err != nil {
			b.Fatal(err)
		}
		res := deepCopy(stored).(map[string]any)
		if _, err := User.Patch(res, ops); err != nil {
			b.Fatal(err)
		}
	}
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}
