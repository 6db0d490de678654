package protocol

import (
	"encoding/json"
	"testing"
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
		ops, err := DecodePatch(body)
		if err == nil {
			_, err = User.Patch(res, ops)
		}
		if err != nil && AsError(err).Status != 400 {
			t.Fatalf("%v is not a 400", err)
		}
	})
}
