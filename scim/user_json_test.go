package scim

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reconcile-dev/reconcile/state"
)

// TestAppendUser checks the user written around its stored JSON text
// against the user decoded, completed and encoded again.
func TestAppendUser(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "manual", Organization: "eng"})
	for _, body := range []string{
		`{"userName":"plain","name":{"givenName":"Ada"},"emails":[{"value":"a@example.com","type":"work"}]}`,
		`{"userName":"ext","active":false,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D <lab>"}}`,
		`{"userName":"unicode","displayName":"Zoë \"Z\" \\ \u2028 tab\t","externalId":"e-1"}`,
	} {
		if code, _ := call(t, srv, "POST", "/Users", body); code != 201 {
			t.Fatalf("POST %s: %d", body, code)
		}
	}
	v := store.View()
	plain := v.UsersByUserName("plain")[0]
	if code, _ := call(t, srv, "POST", "/Groups", `{"displayName":"Eng & Ops","members":[{"value":"`+plain.ID+`"}]}`); code != 201 {
		t.Fatalf("POST /Groups: %d", code)
	}
	v = store.View()
	users := v.Users()
	at := time.Date(2026, 11, 22, 14, 0, 0, 5, time.UTC)
	synthetic := func(userName, doc string) *state.User {
		return &state.User{ID: "u-" + userName, Provider: "p", UserName: userName, State: state.UserActive,
			SCIM: state.Resource(doc), Created: at, Modified: at.Add(time.Second), ModifyIndex: 9}
	}
	users = append(users,
		synthetic("renamed", `{"userName":"old name","active":true}`),
		synthetic("no-scim", ``),
		synthetic("stale-groups", `{"userName":"x","groups":[{"value":"g"}],"schemas":["wrong"],"id":"wrong","meta":{"version":"wrong"}}`),
		synthetic("escaped-keys", `{"user\u004eame":"x","\u0061ctive":false,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:Us\u0065r":{"a":1}}`),
		synthetic("spaces", ` { "title" : "t" , "x" : [ 1 , 2 ] } `),
	)
	// Each stored one packed, as the store keeps them, and each
	// synthetic one as JSON text, as a store of an earlier version kept
	// them.
	for _, u := range slices.Clone(users) {
		c := *u
		if c.SCIM.Packed() {
			text, err := c.SCIM.JSON()
			if err != nil {
				t.Fatal(err)
			}
			c.SCIM = state.Resource(text)
		} else {
			c.SCIM = state.PackResource(c.SCIM)
		}
		if !bytes.Equal(c.SCIM, u.SCIM) {
			c.ID += "-other-form"
			users = append(users, &c)
		}
	}
	s := New(store, Options{})
	r := &request{base: "https://example.com/scim/v2/p"}
	for _, u := range users {
		tag := userETag(v, u)
		got, ok := s.appendUser(nil, r, v, u, tag)
		if !ok {
			t.Errorf("%s: stored text %s not read", u.UserName, u.SCIM)
			continue
		}
		var gotJSON any
		if err := json.Unmarshal(got, &gotJSON); err != nil {
			t.Fatalf("%s: %s is not JSON: %v", u.UserName, got, err)
		}
		want := jsonRoundTrip(s.userJSON(r, v, u, true))
		if diff := cmp.Diff(want, gotJSON); diff != "" {
			t.Errorf("%s: appendUser differs from userJSON (-userJSON +appendUser):\n%s", u.UserName, diff)
		}
	}
	// What is not a JSON object is left to userJSON.
	for _, doc := range []string{`[1]`, `{"a":`, `{"a":1} {}`, `"text"`, `{"title":tru}`, `{"x":[1 2]}`, `{"a":"\q"}`} {
		if got, ok := s.appendUser([]byte("x"), r, v, synthetic("bad", doc), "t"); ok || string(got) != "x" {
			t.Errorf("appendUser with stored %s = %q, %v; want it to give up and leave dst alone", doc, got, ok)
		}
	}
}

// FuzzAppendUser compares appendUser with userJSON for any stored text
// that is a JSON object.
func FuzzAppendUser(f *testing.F) {
	f.Add([]byte(`{"userName":"a","active":false,"groups":[],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{}}`))
	f.Add([]byte(`{"\u0069d":"x","meta":null,"title":"\u00e9"}`))
	store := state.NewMemory(state.Options{})
	s := New(store, Options{})
	r := &request{base: "https://example.com/scim/v2/p"}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var m map[string]any
		if json.Unmarshal(doc, &m) != nil || m == nil {
			return
		}
		// As JSON text (a store before packing), and as the store keeps
		// it.
		for _, stored := range []state.Resource{state.Resource(doc), state.PackResource(doc)} {
			u := &state.User{ID: "u1", Provider: "p", UserName: "ada", SCIM: stored}
			v := store.View()
			got, ok := s.appendUser(nil, r, v, u, userETag(v, u))
			if !ok {
				t.Fatalf("appendUser gave up on %s (packed %v)", doc, stored.Packed())
			}
			var gotJSON any
			if err := json.Unmarshal(got, &gotJSON); err != nil {
				t.Fatalf("%s gives %s, not JSON: %v", doc, got, err)
			}
			if diff := cmp.Diff(jsonRoundTrip(s.userJSON(r, v, u, true)), gotJSON); diff != "" {
				t.Fatalf("stored %s (packed %v): appendUser differs from userJSON (-userJSON +appendUser):\n%s", doc, stored.Packed(), diff)
			}
		}
	})
}
