package admin

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reconcile-dev/reconcile/state"
)

// TestStagedUsersInTheAPI: a provider in preview's staged users are in no
// user list or count of the admin API; its status says what making the
// provider live would do.
func TestStagedUsersInTheAPI(t *testing.T) {
	ctx := context.Background()
	store := state.NewMemory(state.Options{})
	p := &state.Provider{Name: "ping", Auth: state.ProviderAuth{Type: "bearer", Secret: state.HashSecret([]byte("s"))},
		OrganizationMapping: state.OrganizationMapping{Method: "fixed", Organization: "eng"}, Rollout: state.Rollout{Mode: state.RolloutPreview}}
	if _, err := store.Apply(ctx, &state.Command{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{Changes: []state.ConfigChange{
		{Action: state.ActionCreate, Kind: state.KindOrganization, Name: "eng", Organization: &state.Organization{Name: "eng"}},
		{Action: state.ActionCreate, Kind: state.KindProvider, Name: "ping", Provider: p},
	}}}); err != nil {
		t.Fatal(err)
	}
	active := true
	if _, err := store.Apply(ctx, &state.Command{Type: state.CmdUserWrite, UserWrite: &state.UserWrite{Provider: "ping", Active: &active,
		User: &state.User{ID: "s1", Provider: "ping", UserName: "alice@acme.com", Organization: "eng"}}}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(store, Options{Token: testToken, Loop: &fakeLoop{}}))
	defer srv.Close()
	if code, body := call(t, srv, "Bearer "+testToken, "GET", "/api/v1/users", ""); code != 200 || strings.Contains(body, "alice") {
		t.Errorf("user list: %d %s, want no staged user", code, body)
	}
	if code, _ := call(t, srv, "Bearer "+testToken, "GET", "/api/v1/users/s1", ""); code != 404 {
		t.Errorf("GET a staged user: %d, want 404", code)
	}
	code, body := call(t, srv, "Bearer "+testToken, "GET", "/api/v1/status", "")
	var st StatusReport
	if err := json.Unmarshal([]byte(body), &st); err != nil || code != 200 || len(st.Rollouts) != 1 {
		t.Fatalf("status: %d %s", code, body)
	}
	r := st.Rollouts[0]
	if r.Provider != "ping" || r.Mode != "preview" || r.Staged != 1 || !cmp.Equal(r.Organizations, map[string]int{"eng": 1}) || len(r.UserChanges) != 1 || r.UserChanges[0].UserID != "s1" {
		t.Errorf("status rollout: %+v", r)
	}
}
