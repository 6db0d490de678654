package jsonscan

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

func TestString(t *testing.T) {
	tests := []struct {
		doc, key, want string
		ok             bool
	}{
		{`{"externalId":"e1","userName":"a"}`, "externalId", "e1", true},
		{`{"active":true,"addresses":[{"externalId":"no"}],"emails":[{"value":"x"}],"externalId":"e2"}`, "externalId", "e2", true},
		{`{"name":{"externalId":"nested"}}`, "externalId", "", false},
		{`{ "a" : [1, {"b": "]}\"["}] , "externalId" : "e\"3\u00e9" }`, "externalId", "e\"3é", true},
		{`{"externalId":12}`, "externalId", "", false},
		{`{"externalId":null}`, "externalId", "", false},
		{`{"extern\u0061lId":"escaped key"}`, "externalId", "escaped key", true},
		{`{}`, "externalId", "", false},
		{``, "externalId", "", false},
		{`[]`, "externalId", "", false},
		{`{"a":"unterminated`, "externalId", "", false},
		{`{"a":1,"externalId":"after a number"}`, "externalId", "after a number", true},
		{`{"a":false,"b":null,"externalId":""}`, "externalId", "", true},
		{`{"externalId":"first","externalId":"last"}`, "externalId", "last", true},
		{`{"externalId":"first","ext\u0065rnalId":7}`, "externalId", "", false},
	}
	for _, tt := range tests {
		got, ok := String([]byte(tt.doc), tt.key)
		if got != tt.want || ok != tt.ok {
			t.Errorf("String(%s, %q) = %q, %v; want %q, %v", tt.doc, tt.key, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzString checks the scanner against encoding/json on any
// valid JSON object.
func FuzzString(f *testing.F) {
	f.Add([]byte(`{"externalId":"e1","userName":"a"}`))
	f.Add([]byte(`{"a":[{"externalId":"x"}],"externalId":"e\u0032"}`))
	f.Add([]byte(`{"externalId":true}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		var m map[string]any
		if json.Unmarshal(doc, &m) != nil || m == nil {
			return
		}
		got, ok := String(doc, "externalId")
		want, wantOK := m["externalId"].(string)
		if got != want || ok != wantOK {
			t.Fatalf("String(%s) = %q, %v; encoding/json says %q, %v", doc, got, ok, want, wantOK)
		}
	})
}

// FuzzEmailValues checks the scan for email values against encoding/json.
func FuzzEmailValues(f *testing.F) {
	f.Add([]byte(`{"emails":[{"type":"work","value":"a@x.com"},{"value":"b@x.com","primary":true}]}`))
	f.Add([]byte(`{"emails":[{"value":7},{"value":"\u0041@x"}, "x", [1], {"value":["no"]}]}`))
	f.Add([]byte(`{"emails":{"value":"not an array"}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		var m map[string]any
		if json.Unmarshal(doc, &m) != nil {
			return
		}
		emails, _ := m["emails"].([]any)
		var want []string
		for _, e := range emails {
			if obj, ok := e.(map[string]any); ok {
				if v, ok := obj["value"].(string); ok {
					want = append(want, v)
				}
			}
		}
		var got []string
		Elements(Value(doc, "emails"), func(e []byte) {
			if v, ok := String(e, "value"); ok {
				got = append(got, v)
			}
		})
		if !slices.Equal(got, want) {
			t.Fatalf("email values of %s: scanned %q, encoding/json says %q", doc, got, want)
		}
	})
}

func TestMembers(t *testing.T) {
	tests := []struct {
		doc  string
		keys []string
		ok   bool
	}{
		{`{}`, nil, true},
		{` { } `, nil, true},
		{`{"a":1,"b":{"c":[1,"]"]},"d":"x"}`, []string{`"a"`, `"b"`, `"d"`}, true},
		{`{"\u0061":null}`, []string{`"\u0061"`}, true},
		{`{"a":1,}`, []string{`"a"`}, false},
		{`{"a":1} x`, []string{`"a"`}, false},
		{`{"a":1`, []string{`"a"`}, false},
		{`{"a" 1}`, nil, false},
		{`[1]`, nil, false},
		{``, nil, false},
	}
	for _, tt := range tests {
		var keys []string
		ok := Members([]byte(tt.doc), func(k []byte, _ bool, _ []byte) bool {
			keys = append(keys, string(k))
			return true
		})
		if ok != tt.ok || !slices.Equal(keys, tt.keys) {
			t.Errorf("Members(%s): keys %q, %v; want %q, %v", tt.doc, keys, ok, tt.keys, tt.ok)
		}
	}
	if KeyIs(nil, false, "") || KeyIs([]byte(`"`), true, "") {
		t.Error("KeyIs took a key shorter than its quotes")
	}
	// fn stops the walk.
	n := 0
	Members([]byte(`{"a":1,"b":2}`), func([]byte, bool, []byte) bool { n++; return false })
	if n != 1 {
		t.Errorf("Members went on after fn returned false: %d calls", n)
	}
}

// FuzzMembers checks Members against encoding/json on any valid JSON
// object: every member, in order, with the value encoding/json decodes.
func FuzzMembers(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":{"c":[1,"]"]},"d":"x"}`))
	f.Add([]byte(`{"\u0061":null, "b" : [ true ] }`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		var want map[string]any
		if json.Unmarshal(doc, &want) != nil || want == nil {
			return
		}
		got := map[string]any{}
		ok := Members(doc, func(k []byte, _ bool, v []byte) bool {
			var key string
			var value any
			if err := json.Unmarshal(k, &key); err != nil {
				t.Fatalf("key %s of %s: %v", k, doc, err)
			}
			if err := json.Unmarshal(v, &value); err != nil {
				t.Fatalf("value %s of %s: %v", v, doc, err)
			}
			got[key] = value // the last of duplicates, as encoding/json
			return true
		})
		if !ok {
			t.Fatalf("Members(%s) gave up on a valid object", doc)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Members(%s) read %v; encoding/json says %v", doc, got, want)
		}
	})
}
