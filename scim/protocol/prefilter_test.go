package protocol

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/reconcile-dev/reconcile/internal/packjson"
)

func TestRequiredTexts(t *testing.T) {
	// As the scim handlers store users: the stored resource has none of
	// these as the user's SCIM representation has them.
	unstored := map[string]bool{"id": true, "username": true, "meta": true, "groups": true, "active": true, "schemas": true}
	for f, want := range map[string][]string{
		`emails[type eq "work"].value eq "a@x.com"`:             {"work", "a@x.com"},
		`externalId eq "e1" and title co "x"`:                   {"e1"},
		`userName eq "a" and id eq "b" and meta.version eq "c"`: nil,
		`title eq "a" or title eq "b"`:                          nil,
		`not (title eq "a")`:                                    nil,
		`title eq "R&D"`:                                        nil,
		`emails[type eq "work" and primary eq true]`:            {"work"},
	} {
		expr, err := ParseFilter(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if diff := cmp.Diff(want, requiredTexts(User, expr, unstored)); diff != "" {
			t.Errorf("requiredTexts(%s) (-want +got):\n%s", f, diff)
		}
	}
}

func TestContainsFoldASCII(t *testing.T) {
	for _, tt := range []struct {
		doc, text string
		want      bool
	}{
		{`{"value":"Alice@Example.com"}`, "alice@example.COM", true},
		{`{"value":"Alice@Example.com"}`, "alice@example.org", false},
		{`{"a":"x@y","value":"Alice@Example.com"}`, "alice@example.com", true},
		{`@lice`, "x@lice", false}, // the anchor too near the start
		{`{"type":"Work"}`, "work", true},
		{`{"type":"wor"}`, "work", false},
		{`work`, "work", true},
		{`12-34`, "34", true},
		{`1234`, "2345", false},
	} {
		if got := containsFoldASCII([]byte(tt.doc), tt.text); got != tt.want {
			t.Errorf("containsFoldASCII(%s, %q) = %v, want %v", tt.doc, tt.text, got, tt.want)
		}
	}
	if !hasNonASCII([]byte("{\"title\":\"1234567\u212Aitchen\"}")) || !hasNonASCII([]byte("12345678\xe2")) || hasNonASCII([]byte("123456789")) {
		t.Error("hasNonASCII is wrong")
	}
}

// TestMayMatchPacked: a stored resource packed (packjson) is ruled out
// where its JSON text is, but never for a text a token holds as a byte
// ("work", "User"), nor in another case.
func TestMayMatchPacked(t *testing.T) {
	doc := []byte(`{"emails":[{"primary":true,"type":"work","value":"w@acme.com"}],"externalId":"E1","title":"Truest","userType":"User"}`)
	packed, ok := packjson.Pack(nil, doc)
	if !ok {
		t.Fatal("not packed")
	}
	for f, want := range map[string]bool{
		`emails[type eq "work"].value eq "w@acme.com"`: true,
		`emails[type eq "WORK"].value eq "W@ACME.COM"`: true,
		`emails[type eq "work"].value eq "x@acme.com"`: false,
		`externalId eq "e1"`:                           true,
		`externalId eq "e2"`:                           false,
		`userType eq "user"`:                           true, // a dictionary string
		`userType eq "ser"`:                            true, // part of one: cannot tell
		`title eq "true"`:                              true, // a literal's text
		`title eq "Trues"`:                             true,
		`title eq "Other"`:                             true, // "other" is a dictionary string
		`title eq "Boss"`:                              false,
	} {
		expr, err := ParseFilter(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		p := User.Prefilter(expr, nil)
		got := p.MayMatch(packed)
		if got != want {
			t.Errorf("%s: MayMatch(packed) = %v, want %v", f, got, want)
		}
		if p.MayMatch(doc) && !got {
			t.Errorf("%s: packed, ruled out; as JSON text, not", f)
		}
	}
}
