package scim

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/reconcile-dev/reconcile/scim/protocol"
)

// FuzzPatch applies arbitrary PatchOp bodies to a user: never a panic, and
// every refusal is a SCIM 400.
func FuzzPatch(f *testing.F) {
	for _, s := range []string{
		`{"Operations":[{"op":"replace","value":{"active":false}}]}`,
		`{"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"x@y"}]}`,
		`{"Operations":[{"op":"Add","value":{"name.givenName":"G","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":"m"}}]}`,
		`{"Operations":[{"op":"remove","path":"emails[type eq \"home\"]"},{"op":"add","path":"phoneNumbers","value":[{"value":"1"}]}]}`,
		`{"Operations":[{"op":"remove","path":"members","value":[{"value":"a"}]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		res := map[string]any{}
		json.Unmarshal([]byte(testUser), &res)
		ops, err := decodePatch(body)
		if err == nil {
			err = userType.applyPatch(res, ops)
		}
		if err == nil {
			_, err = userType.normalize(res)
		}
		if err != nil && protocol.AsError(err).Status != 400 {
			t.Fatalf("%v is not a 400", err)
		}
	})
}

// FuzzUserBody reads arbitrary bodies as users: never a panic, refusals
// (of the body, the userName, a value's length) are 400s, and what is
// stored reads back as itself (normalizing is idempotent).
func FuzzUserBody(f *testing.F) {
	f.Add([]byte(testUser))
	f.Add([]byte(`{"userName":"u","active":"True","emails":[{"Value":"a","Primary":"false"}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"Manager":"m"}}`))
	f.Add([]byte(`{"userName":"u","roles":[],"name":null,"addresses":[{"country":null}],"password":"p","meta":{}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		raw, err := decodeObject(body)
		if err != nil {
			if protocol.AsError(err).Status != 400 {
				t.Fatalf("%v is not a 400", err)
			}
			return
		}
		once, err := userType.normalize(raw)
		if err != nil {
			if protocol.AsError(err).Status != 400 {
				t.Fatalf("%v is not a 400", err)
			}
			return
		}
		if err := checkLengths(userType, once, nil); err != nil && err.Status != 400 {
			t.Fatalf("%v is not a 400", err)
		}
		if name, ok := once["userName"].(string); ok {
			if err := checkName("userName", name); err != nil && err.Status != 400 {
				t.Fatalf("%v is not a 400", err)
			}
		}
		var back map[string]any
		if err := json.Unmarshal(encodeResource(once), &back); err != nil {
			t.Fatal(err)
		}
		twice, err := userType.normalize(back)
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
