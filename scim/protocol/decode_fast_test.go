package protocol

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fastCases are bodies decodeFast decodes itself (fast true) or leaves to
// json.Unmarshal.
var fastCases = []struct {
	body string
	fast bool
}{
	{`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com","name":{"givenName":"Ada","familyName":"Lovelace"},"emails":[{"primary":true,"type":"work","value":"ada@example.com"}],"active":true,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Engines","manager":null}}`, true},
	{" \t\r\n{ \"a\" : [ 1 , -0.5e+3 , 0 , 1E-2 , true , false , null , { } , [ ] ] } \n", true},
	{`{"a":"é\u00e9\"\\\/\b\f\n\r\t\u0000","a":"repeated: the last wins"}`, true},
	{`"a string"`, true},
	{`[]`, true},
	{`-0`, true},
	{`{"emoji":"😀"}`, true},
	{`{"surrogates":"\ud83d\ude00"}`, false},
	{`{"lone surrogate":"\ud800"}`, false},
	{"{\"invalid UTF-8\":\"\xff\"}", false},
	{`{"big":1e999}`, false},
	{`{"a":01}`, false},
	{`{"a":1.}`, false},
	{`{"a":.5}`, false},
	{`{"a":+1}`, false},
	{`{"a":0x10}`, false},
	{`{"a":1,}`, false},
	{`[1,]`, false},
	{`{"a" 1}`, false},
	{`{a:1}`, false},
	{`{"a":tru}`, false},
	{`{"a":truex}`, false},
	{`{"a":"unterminated}`, false},
	{"{\"a\":\"control\x01\"}", false},
	{`{"a":"\x"}`, false},
	{`{"a":"\u12"}`, false},
	{`{"a":1}{}`, false},
	{"\xef\xbb\xbf{}", false},
	{``, false},
	{`   `, false},
	{strings.Repeat("[", maxFastDepth+1) + strings.Repeat("]", maxFastDepth+1), false},
	{strings.Repeat("[", maxFastDepth) + strings.Repeat("]", maxFastDepth), true},
}

// TestDecodeFast: what decodeFast decodes, it decodes as json.Unmarshal
// does; what it leaves, json.Unmarshal decodes or refuses.
func TestDecodeFast(t *testing.T) {
	for _, tc := range fastCases {
		got, ok := decodeFast([]byte(tc.body))
		if ok != tc.fast {
			t.Errorf("decodeFast(%q) decoded: %v, want %v", tc.body, ok, tc.fast)
		}
		if ok {
			sameAsUnmarshal(t, []byte(tc.body), got)
		}
	}
}

func sameAsUnmarshal(t *testing.T, body []byte, got any) {
	t.Helper()
	var want any
	if err := json.Unmarshal(body, &want); err != nil {
		t.Fatalf("decodeFast decoded %q, which json.Unmarshal refuses: %v", body, err)
	}
	if reflect.DeepEqual(want, got) {
		return // cmp.Diff takes exponential time on deeply nested lists
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("decodeFast(%q) differs from json.Unmarshal (-json +fast):\n%s", body, diff)
	}
}

// FuzzDecodeFast: for any bytes, decodeFast either leaves them to
// json.Unmarshal or gives what json.Unmarshal gives.
func FuzzDecodeFast(f *testing.F) {
	for _, tc := range fastCases {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if got, ok := decodeFast(body); ok {
			sameAsUnmarshal(t, body, got)
		}
	})
}
