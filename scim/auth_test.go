package scim

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

// TestAuthenticationWithSlowHashes checks the SCIM server's side of
// secrets stored with argon2id: one KDF run for a provider's credential,
// then none while its secret stays; a new secret and the old credential
// no longer passes; a wrong credential for it costs one KDF run, one for a
// provider that does not exist none (a fast hash); and while every KDF
// slot is taken, cached credentials still pass, wrong ones for the
// provider get 503 with Retry-After, and those for no provider still 401.
func TestAuthenticationWithSlowHashes(t *testing.T) {
	store := state.NewMemory(state.Options{})
	configureWith(t, store, state.OrganizationMapping{Method: "fixed", Organization: "eng"}, state.HashChosenSecret([]byte(chosenSecret)))
	s := New(store, Options{})
	runs := countKDF(s.creds)
	srv := httpServer(t, s)

	step := func(name, provider, auth string, wantStatus int, wantRuns int64) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+Prefix+provider+"/Users", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != wantStatus || runs.Load() != wantRuns {
			t.Errorf("%s: status %d after %d KDF runs, want %d after %d", name, resp.StatusCode, runs.Load(), wantStatus, wantRuns)
		}
		return resp
	}
	step("first", "p", "Bearer "+chosenSecret, 200, 1)
	for range 5 {
		step("cached", "p", "Bearer "+chosenSecret, 200, 1)
	}
	step("wrong", "p", "Bearer chosen-by-a-person-1235", 401, 2)
	step("no such provider", "nobody", "Bearer "+chosenSecret, 401, 2)
	step("Basic to a bearer provider", "p", "Basic eDp5", 401, 2)
	step("no credentials", "p", "", 401, 2)
	step("no credentials, no such provider", "nobody", "", 401, 2)

	// A new secret: the old credential fails, the new one passes.
	p := *store.View().Provider("p")
	p.Auth.Secret = state.HashChosenSecret([]byte("another-chosen-secret-5678"))
	if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{
		Changes: []state.ConfigChange{{Action: state.ActionUpdate, Kind: state.KindProvider, Name: "p", ExpectIndex: p.ModifyIndex, Provider: &p}}}}); err != nil {
		t.Fatal(err)
	}
	step("old secret", "p", "Bearer "+chosenSecret, 401, 3)
	step("new secret", "p", "Bearer another-chosen-secret-5678", 200, 4)
	step("new secret cached", "p", "Bearer another-chosen-secret-5678", 200, 4)

	// Every KDF slot taken, by a flood of wrong credentials say.
	s.creds.wait = 10 * time.Millisecond
	if err := s.creds.slots.Acquire(context.Background(), int64(defaultKDFSlots())); err != nil {
		t.Fatal(err)
	}
	step("cached, while busy", "p", "Bearer another-chosen-secret-5678", 200, 4)
	resp := step("wrong, while busy", "p", "Bearer another-chosen-secret-0000", 503, 4)
	if got := resp.Header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After %q, want 1", got)
	}
	step("no such provider, while busy", "nobody", "Bearer x", 401, 4)
}

// TestAuthenticationWithFastHashes checks that generated secrets (and
// those stored before argon2id) pass without a KDF run, and that a wrong
// one costs none either.
func TestAuthenticationWithFastHashes(t *testing.T) {
	store := state.NewMemory(state.Options{})
	configure(t, store, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	s := New(store, Options{})
	runs := countKDF(s.creds)
	srv := httpServer(t, s)
	for _, tt := range []struct {
		auth     string
		status   int
		wantRuns int64
	}{
		{"Bearer " + token, 200, 0},
		{"Bearer " + token, 200, 0},
		{"Bearer not-" + token, 401, 0},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+Prefix+"p/Users", nil)
		req.Header.Set("Authorization", tt.auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status || runs.Load() != tt.wantRuns {
			t.Errorf("%s: status %d after %d KDF runs, want %d after %d", tt.auth, resp.StatusCode, runs.Load(), tt.status, tt.wantRuns)
		}
	}
}

// TestAuthenticationAfterRotation: after a rotation the new secret
// passes, and the old one too until its overlap ends, not after.
func TestAuthenticationAfterRotation(t *testing.T) {
	store := state.NewMemory(state.Options{})
	configure(t, store, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	p := *store.View().Provider("p")
	p.Auth.SecretSource = state.SecretSourceGenerated
	if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{
		Changes: []state.ConfigChange{{Action: state.ActionUpdate, Kind: state.KindProvider, Name: "p", ExpectIndex: p.ModifyIndex, Provider: &p}}}}); err != nil {
		t.Fatal(err)
	}
	srv := httpServer(t, New(store, Options{}))
	rotate := func(secret string, at time.Time) {
		t.Helper()
		if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdSecretRotate, Time: at,
			SecretRotate: &state.SecretRotate{Provider: "p", Secret: state.HashSecret([]byte(secret)), Overlap: time.Hour}}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(name, secret string, want int) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+Prefix+"p/Users", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: status %d, want %d", name, resp.StatusCode, want)
		}
	}
	rotate("second-secret-0123456789", time.Now())
	check("the new secret", "second-secret-0123456789", 200)
	check("the old one, within the overlap", token, 200)
	check("a wrong one", "not-"+token, 401)
	// Rotated again two hours ago: the second secret's hour is over.
	rotate("third-secret-0123456789", time.Now().Add(-2*time.Hour))
	check("the newest secret", "third-secret-0123456789", 200)
	check("the one before, its overlap over", "second-secret-0123456789", 401)
	check("the first", token, 401)
}
