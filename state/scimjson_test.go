package state

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
)

func TestTopLevelString(t *testing.T) {
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
	}
	for _, tt := range tests {
		got, ok := topLevelString([]byte(tt.doc), tt.key)
		if got != tt.want || ok != tt.ok {
			t.Errorf("topLevelString(%s, %q) = %q, %v; want %q, %v", tt.doc, tt.key, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzTopLevelString checks the scanner against encoding/json on any
// valid JSON object.
func FuzzTopLevelString(f *testing.F) {
	f.Add([]byte(`{"externalId":"e1","userName":"a"}`))
	f.Add([]byte(`{"a":[{"externalId":"x"}],"externalId":"e\u0032"}`))
	f.Add([]byte(`{"externalId":true}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		var m map[string]any
		if json.Unmarshal(doc, &m) != nil || m == nil {
			return
		}
		if bytes.Count(doc, []byte("xternal"))+bytes.Count(doc, []byte(`\u`)) > 1 {
			return // maybe a duplicated key: encoding/json keeps the last one
		}
		got, ok := topLevelString(doc, "externalId")
		want, wantOK := m["externalId"].(string)
		if got != want || ok != wantOK {
			t.Fatalf("topLevelString(%s) = %q, %v; encoding/json says %q, %v", doc, got, ok, want, wantOK)
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
		if bytes.Count(doc, []byte("mails"))+bytes.Count(doc, []byte(`\u`)) > 1 || bytes.Count(doc, []byte("alue"))+bytes.Count(doc, []byte(`\u`)) > len(emails) {
			return // maybe duplicated keys: encoding/json keeps the last one
		}
		var want []string
		for _, e := range emails {
			if obj, ok := e.(map[string]any); ok {
				if v, ok := obj["value"].(string); ok {
					want = append(want, v)
				}
			}
		}
		var got []string
		forEachElement(topLevelValue(doc, "emails"), func(e []byte) {
			if v, ok := topLevelString(e, "value"); ok {
				got = append(got, v)
			}
		})
		if !slices.Equal(got, want) {
			t.Fatalf("email values of %s: scanned %q, encoding/json says %q", doc, got, want)
		}
	})
}
