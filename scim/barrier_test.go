package scim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

// lagging is a cluster leader's state as a request may find it: writes
// the log committed (pending) are not applied yet. They are before the
// barrier returns, and before any new entry is applied after them.
type lagging struct {
	*state.Store
	pending  []func()
	barriers int
}

func (l *lagging) catchUp() {
	p := l.pending
	l.pending = nil
	for _, f := range p {
		f()
	}
}

func (l *lagging) Apply(ctx context.Context, cmd *state.Command) (state.Result, error) {
	l.catchUp()
	return l.Store.Apply(ctx, cmd)
}

func (l *lagging) barrier(context.Context) error {
	l.barriers++
	l.catchUp()
	return nil
}

// TestDeferredBarrier: a write to a user with its barrier deferred
// (DeferBarrier) does not wait for it when the log commits the write, and
// answers anything else (nothing to change, 404, a userName taken) only
// after it, built again on a state that holds every acknowledged write.
// Without the barrier, each of these answers would be one a stale state
// gives: a PUT acknowledged without undoing a committed PATCH, a user
// not found, a user deleted through SCIM refused instead of created again.
func TestDeferredBarrier(t *testing.T) {
	type setup = barrierSetup
	tests := []struct {
		name         string
		mapping      string                      // the provider's organization mapping: fixed (eng) or attribute (department)
		pending      func(t *testing.T, s setup) // committed, not yet applied
		noBarrier    bool                        // a single node's request
		aliceDeleted bool                        // alice deleted through SCIM before what is pending
		method       string
		path         func(s setup) string
		body         string
		ifMatch      bool   // send alice's ETag as it was before what is pending
		token        string // the request's bearer token, if not the provider's
		want         int
		barriers     int
		check        func(t *testing.T, v *state.View, s setup)
	}{{
		name:   "a new user: committed, no barrier",
		method: "POST", path: func(setup) string { return "/Users" },
		body: `{"userName":"bob@example.com","externalId":"b1"}`, want: http.StatusCreated,
	}, {
		name: "a change: committed, no barrier",
		pending: func(t *testing.T, s setup) {
			send(t, s.srv, "PATCH", "/Users/"+s.alice, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"B"}]}`, 204)
		},
		method: "PUT", path: func(s setup) string { return "/Users/" + s.alice },
		body: `{"userName":"alice@example.com","externalId":"a1","title":"C"}`, want: http.StatusOK,
		check: wantTitle("C"),
	}, {
		name: "nothing to change on a stale state: written after the barrier",
		pending: func(t *testing.T, s setup) {
			send(t, s.srv, "PATCH", "/Users/"+s.alice, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"B"}]}`, 204)
		},
		method: "PUT", path: func(s setup) string { return "/Users/" + s.alice },
		body: `{"userName":"alice@example.com","externalId":"a1","title":"A"}`, want: http.StatusOK, barriers: 1,
		check: wantTitle("A"),
	}, {
		name:   "nothing to change: answered after the barrier",
		method: "PUT", path: func(s setup) string { return "/Users/" + s.alice },
		body: `{"userName":"alice@example.com","externalId":"a1","title":"A"}`, want: http.StatusOK, barriers: 1,
		check: wantTitle("A"),
	}, {
		name:         "not found on a stale state: created again meanwhile",
		aliceDeleted: true,
		pending: func(t *testing.T, s setup) {
			send(t, s.srv, "POST", "/Users", `{"userName":"alice@example.com","externalId":"a1","title":"A"}`, 201)
		},
		method: "PATCH", path: func(s setup) string { return "/Users/" + s.alice },
		body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"D"}]}`,
		want: http.StatusNoContent, barriers: 1,
		check: wantTitle("D"),
	}, {
		name: "userName taken on a stale state: deleted meanwhile, created again",
		pending: func(t *testing.T, s setup) {
			send(t, s.srv, "DELETE", "/Users/"+s.alice, "", 204)
		},
		method: "POST", path: func(setup) string { return "/Users" },
		body: `{"userName":"alice@example.com","externalId":"a1","title":"E"}`, want: http.StatusCreated, barriers: 1,
		check: wantTitle("E"),
	}, {
		name: "userName taken where the write is applied: created and deleted meanwhile, created again",
		pending: func(t *testing.T, s setup) {
			send(t, s.srv, "POST", "/Users", `{"userName":"carol@example.com","externalId":"c1"}`, 201)
			id := s.srv.store.View().UsersByUserName("carol@example.com")[0].ID
			send(t, s.srv, "DELETE", "/Users/"+id, "", 204)
		},
		method: "POST", path: func(setup) string { return "/Users" },
		body: `{"userName":"carol@example.com","externalId":"c1"}`, want: http.StatusCreated, barriers: 1,
		check: func(t *testing.T, v *state.View, _ setup) {
			if us := v.UsersByUserName("carol@example.com"); len(us) != 1 || us[0].SCIMDeleted {
				t.Errorf("carol: %+v, want one user, created again", us)
			}
		},
	}, {
		name: "the provider changed meanwhile: built again on it",
		pending: func(t *testing.T, s setup) {
			updateProvider(t, s.srv, func(p *state.Provider) { p.DeactivationDelay = 2 * time.Hour })
		},
		method: "POST", path: func(setup) string { return "/Users" },
		body: `{"userName":"bob@example.com"}`, want: http.StatusCreated, barriers: 1,
	}, {
		name: "the provider changed meanwhile, on a single node: built again on it",
		pending: func(t *testing.T, s setup) {
			updateProvider(t, s.srv, func(p *state.Provider) { p.DeactivationDelay = 2 * time.Hour })
		},
		noBarrier: true,
		method:    "POST", path: func(setup) string { return "/Users" },
		body: `{"userName":"bob@example.com"}`, want: http.StatusCreated,
	}, {
		name: "the provider's secret replaced meanwhile: refused",
		pending: func(t *testing.T, s setup) {
			updateProvider(t, s.srv, func(p *state.Provider) { p.Auth.Secret = state.HashSecret([]byte("another-token-0123456789")) })
		},
		method: "POST", path: func(setup) string { return "/Users" },
		body: `{"userName":"bob@example.com"}`, want: http.StatusUnauthorized, barriers: 1,
		check: func(t *testing.T, v *state.View, _ setup) {
			if us := v.UsersByUserName("bob@example.com"); len(us) != 0 {
				t.Errorf("bob was created with a replaced secret: %+v", us[0])
			}
		},
	}, {
		name: "the provider's secret rotated meanwhile, the new one sent: authenticated after the barrier",
		pending: func(t *testing.T, s setup) {
			updateProvider(t, s.srv, func(p *state.Provider) { p.Auth.Secret = state.HashSecret([]byte("another-token-0123456789")) })
		},
		token:  "another-token-0123456789",
		method: "POST", path: func(setup) string { return "/Users" },
		body: `{"userName":"bob@example.com"}`, want: http.StatusCreated, barriers: 1,
	}, {
		name:   "wrong credentials: refused after the barrier",
		token:  "another-token-0123456789",
		method: "PATCH", path: func(s setup) string { return "/Users/" + s.alice },
		body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"G"}]}`,
		want: http.StatusUnauthorized, barriers: 1,
		check: wantTitle("A"),
	}, {
		name:      "wrong credentials, on a single node: refused",
		noBarrier: true,
		token:     "another-token-0123456789",
		method:    "POST", path: func(setup) string { return "/Users" },
		body: `{"userName":"bob@example.com"}`, want: http.StatusUnauthorized,
	}, {
		name:    "organization by attribute: the barrier first",
		mapping: "attribute",
		pending: func(t *testing.T, s setup) {
			applyConfig(t, s.srv, state.ConfigChange{Action: state.ActionCreate, Kind: state.KindOrganization, Name: "ops",
				Organization: &state.Organization{Name: "ops", DisplayName: "Ops"}})
		},
		method: "POST", path: func(setup) string { return "/Users" },
		body: `{"userName":"bob@example.com","department":"ops"}`, want: http.StatusCreated, barriers: 1,
		check: func(t *testing.T, v *state.View, _ setup) {
			if us := v.UsersByUserName("bob@example.com"); len(us) != 1 || us[0].Organization != "ops" {
				t.Errorf("bob: %+v, want in ops", us)
			}
		},
	}, {
		name: "If-Match: the barrier first, the user's group renamed meanwhile",
		pending: func(t *testing.T, s setup) {
			send(t, s.srv, "PATCH", "/Groups/"+s.group, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Eng 2"}]}`, 204)
		},
		method: "PUT", path: func(s setup) string { return "/Users/" + s.alice },
		ifMatch: true,
		body:    `{"userName":"alice@example.com","externalId":"a1","title":"F"}`, want: http.StatusPreconditionFailed, barriers: 1,
		check: wantTitle("A"),
	}, {
		name:   "a group: the barrier first",
		method: "POST", path: func(setup) string { return "/Groups" },
		body: `{"displayName":"Eng"}`, want: http.StatusCreated, barriers: 1,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := state.NewMemory(state.Options{})
			mapping := state.OrganizationMapping{Method: "fixed", Organization: "eng"}
			if tt.mapping == "attribute" {
				mapping = state.OrganizationMapping{Method: "attribute", Attribute: "department", Organization: "fallback"}
			}
			configure(t, store, mapping)
			s := setup{srv: New(store, Options{})}
			send(t, s.srv, "POST", "/Users", `{"userName":"alice@example.com","externalId":"a1","title":"A"}`, 201)
			s.alice = store.View().UsersByUserName("alice@example.com")[0].ID
			send(t, s.srv, "POST", "/Groups", `{"displayName":"Eng","members":[{"value":"`+s.alice+`"}]}`, 201)
			s.group = store.View().Groups()[0].ID
			etag := send(t, s.srv, "GET", "/Users/"+s.alice, "", 200).Header().Get("ETag")
			if tt.aliceDeleted {
				send(t, s.srv, "DELETE", "/Users/"+s.alice, "", 204)
			}
			l := &lagging{Store: store}
			if tt.pending != nil {
				l.pending = append(l.pending, func() { tt.pending(t, s) })
			}
			srv := New(l, Options{})
			req := httptest.NewRequest(tt.method, "/scim/v2/p"+tt.path(s), strings.NewReader(tt.body))
			bearer := token
			if tt.token != "" {
				bearer = tt.token
			}
			req.Header.Set("Authorization", "Bearer "+bearer)
			if tt.ifMatch {
				req.Header.Set("If-Match", etag)
			}
			rec := httptest.NewRecorder()
			if tt.noBarrier {
				srv.ServeHTTP(rec, req)
			} else {
				srv.ServeHTTP(rec, DeferBarrier(req, l.barrier))
			}
			if rec.Code != tt.want || l.barriers != tt.barriers {
				t.Fatalf("%s: %d after %d barriers, want %d after %d: %s", tt.method, rec.Code, l.barriers, tt.want, tt.barriers, rec.Body)
			}
			if len(l.pending) != 0 {
				t.Fatal("the committed writes were never applied")
			}
			if tt.check != nil {
				tt.check(t, store.View(), s)
			}
		})
	}
}

// TestDeferredBarrierFails: a write that would answer from the state
// while its barrier fails (no leader) gets 503 with Retry-After, and
// changes nothing.
func TestDeferredBarrierFails(t *testing.T) {
	store := state.NewMemory(state.Options{})
	configure(t, store, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	srv := New(store, Options{})
	send(t, srv, "POST", "/Users", `{"userName":"alice@example.com","title":"A"}`, 201)
	id := store.View().UsersByUserName("alice@example.com")[0].ID
	before := store.AppliedIndex()
	for _, w := range []struct{ method, path, body string }{
		{"PUT", "/Users/" + id, `{"userName":"alice@example.com","title":"A"}`},
		{"DELETE", "/Users/nobody", ""},
		{"POST", "/Groups", `{"displayName":"Eng"}`},
	} {
		req := httptest.NewRequest(w.method, "/scim/v2/p"+w.path, strings.NewReader(w.body))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, DeferBarrier(req, func(context.Context) error { return errors.New("no leader") }))
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "no leader") {
			t.Errorf("%s %s: %d %v %s", w.method, w.path, rec.Code, rec.Header(), rec.Body)
		}
	}
	if after := store.AppliedIndex(); after != before {
		t.Errorf("the state moved from %d to %d", before, after)
	}
}

// barrierSetup is the state of a TestDeferredBarrier case.
type barrierSetup struct {
	srv   *Server // the same state, without a barrier: what other nodes' requests did
	alice string  // id of alice@example.com, title "A", externalId "a1"
	group string  // id of group Eng, with alice
}

// send sends a request as the provider and wants status.
func send(t *testing.T, srv *Server, method, path, body string, status int) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "/scim/v2/p"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != status {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, rec.Code, status, rec.Body)
	}
	return rec
}

// updateProvider applies a config change to provider p.
func updateProvider(t *testing.T, srv *Server, change func(p *state.Provider)) {
	t.Helper()
	cur := srv.store.View().Provider("p")
	p := *cur
	change(&p)
	applyConfig(t, srv, state.ConfigChange{Action: state.ActionUpdate, Kind: state.KindProvider, Name: "p", ExpectIndex: cur.ModifyIndex, Provider: &p})
}

// applyConfig applies config changes through srv's store.
func applyConfig(t *testing.T, srv *Server, changes ...state.ConfigChange) {
	t.Helper()
	if _, err := srv.store.Apply(context.Background(), &state.Command{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{Changes: changes}}); err != nil {
		t.Fatal(err)
	}
}

// wantTitle checks alice's title: the last write's.
func wantTitle(title string) func(t *testing.T, v *state.View, s barrierSetup) {
	return func(t *testing.T, v *state.View, s barrierSetup) {
		t.Helper()
		u := v.User(s.alice)
		if u == nil {
			t.Fatal("alice is gone")
		}
		var res struct{ Title string }
		text, err := u.SCIM.JSON()
		if err == nil {
			err = json.Unmarshal(text, &res)
		}
		if err != nil || res.Title != title || u.SCIMDeleted {
			t.Errorf("alice: title %q (deleted %v), want %q", res.Title, u.SCIMDeleted, title)
		}
	}
}
