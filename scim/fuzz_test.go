package scim

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/reconcile-dev/reconcile/bench"
	"github.com/reconcile-dev/reconcile/scim/protocol"
)

// FuzzUserBody reads arbitrary bodies as users: never a panic, refusals
// (of the body, the userName, a value's length) are 400s, and what is
// stored reads back as itself (normalizing is idempotent).
func FuzzUserBody(f *testing.F) {
	f.Add(bench.User("bjensen@example.com", true))
	f.Add([]byte(`{"userName":"u","active":"True","emails":[{"Value":"a","Primary":"false"}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"Manager":"m"}}`))
	f.Add([]byte(`{"userName":"u","roles":[],"name":null,"addresses":[{"country":null}],"password":"p","meta":{}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		raw, err := protocol.DecodeObject(body)
		if err != nil {
			if protocol.AsError(err).Status != 400 {
				t.Fatalf("%v is not a 400", err)
			}
			return
		}
		once, err := protocol.User.Normalize(raw)
		if err != nil {
			if protocol.AsError(err).Status != 400 {
				t.Fatalf("%v is not a 400", err)
			}
			return
		}
		if err := protocol.User.CheckLengths(once, nil); err != nil && err.Status != 400 {
			t.Fatalf("%v is not a 400", err)
		}
		if name, ok := once["userName"].(string); ok {
			if err := checkName("userName", name); err != nil && err.Status != 400 {
				t.Fatalf("%v is not a 400", err)
			}
		}
		var back map[string]any
		text, err := encodeResource(once).JSON()
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(text, &back); err != nil {
			t.Fatal(err)
		}
		twice, err := protocol.User.Normalize(back)
		if err != nil {
			t.Fatalf("a normalized resource does not normalize again: %v", err)
		}
		if !reflect.DeepEqual(jsonRoundTrip(once), jsonRoundTrip(twice)) {
			t.Fatalf("normalize is not idempotent:\n%v\n%v", once, twice)
		}
		if _, ok := once["password"]; ok {
			t.Fatal("a password was kept")
		}
	})
}

func jsonRoundTrip(v any) any {
	b, _ := json.Marshal(v)
	var out any
	json.Unmarshal(b, &out)
	return out
}
