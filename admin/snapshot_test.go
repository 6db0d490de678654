package admin

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/state"
)

func orgChange(name string) *state.Command {
	return &state.Command{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{Changes: []state.ConfigChange{
		{Action: state.ActionCreate, Kind: state.KindOrganization, Name: name, Organization: &state.Organization{Name: name, DisplayName: name}},
	}}}
}

// TestSnapshotAPI: GET /api/v1/snapshot sends an archive of the state,
// PUT restores one and runs the loop; a damaged archive is refused with
// 400 and changes nothing; only the admin token may do either.
func TestSnapshotAPI(t *testing.T) {
	ctx := context.Background()
	store, err := state.Open(ctx, t.TempDir(), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Apply(ctx, orgChange("kept")); err != nil {
		t.Fatal(err)
	}
	loop := &fakeLoop{}
	srv := httptest.NewServer(New(store, Options{Token: testToken, PlanToken: "plan-token-0123456789", Loop: loop, Snapshots: store}))
	defer srv.Close()
	c := &Client{URL: srv.URL, Token: testToken}

	var archive bytes.Buffer
	if err := c.SaveSnapshot(ctx, &archive); err != nil {
		t.Fatal(err)
	}
	info, err := state.VerifySnapshot(bytes.NewReader(archive.Bytes()))
	if err != nil {
		t.Fatalf("the archive the API sent: %v", err)
	}
	log := store.View().SyncLog()
	if last := log[len(log)-1]; last.Action != "snapshot.save" || last.Detail != "snapshot saved through the admin API from 127.0.0.1" {
		t.Errorf("the save's event: %s %q", last.Action, last.Detail)
	}

	if _, err := store.Apply(ctx, orgChange("later")); err != nil {
		t.Fatal(err)
	}
	damaged := bytes.Clone(archive.Bytes())
	damaged[len(damaged)/2] ^= 1
	_, err = c.RestoreSnapshot(ctx, bytes.NewReader(damaged), int64(len(damaged)))
	if err == nil || !strings.Contains(err.Error(), "the daemon answered 400 Bad Request: the snapshot archive was refused; nothing was restored: the snapshot archive is damaged: the SHA-256 of state.bin is") {
		t.Errorf("restoring a damaged archive: %v", err)
	}
	if store.View().Organization("later") == nil || loop.triggers.Load() != 0 {
		t.Error("a refused restore changed the state or ran the loop")
	}

	res, err := c.RestoreSnapshot(ctx, bytes.NewReader(archive.Bytes()), -1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Snapshot != info || res.Index <= info.Index {
		t.Errorf("restore answer %+v, archive %+v", res, info)
	}
	if store.View().Organization("later") != nil || store.View().Organization("kept") == nil {
		t.Error("the restore did not bring back the saved state")
	}
	if loop.triggers.Load() != 1 {
		t.Errorf("the loop ran %d times after the restore, want 1", loop.triggers.Load())
	}
	log = store.View().SyncLog()
	if last := log[len(log)-1]; last.Action != "snapshot.restore" || !strings.HasPrefix(last.Detail, "snapshot restored through the admin API from 127.0.0.1 at index ") {
		t.Errorf("the restore's event: %s %q", last.Action, last.Detail)
	}

	// Only with the admin token; not served without Snapshots.
	without := httptest.NewServer(New(store, Options{Token: testToken}))
	defer without.Close()
	for _, tt := range []struct {
		url, token, method string
		code               int
		want               string
	}{
		{srv.URL, "plan-token-0123456789", "GET", 403, "the plan token may only plan"},
		{srv.URL, "plan-token-0123456789", "PUT", 403, "the plan token may only plan"},
		{srv.URL, "", "GET", 401, "authentication failed"},
		{without.URL, testToken, "GET", 404, "no such admin endpoint: GET /api/v1/snapshot"},
		{without.URL, testToken, "PUT", 404, "no such admin endpoint: PUT /api/v1/snapshot"},
	} {
		req, _ := http.NewRequest(tt.method, tt.url+"/api/v1/snapshot", bytes.NewReader(archive.Bytes()))
		req.Header.Set("Authorization", "Bearer "+tt.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code || !strings.Contains(string(body), tt.want) {
			t.Errorf("%s %s with %q: %d %s, want %d %q", tt.method, tt.url, tt.token, resp.StatusCode, body, tt.code, tt.want)
		}
	}
	if store.View().Organization("later") != nil {
		t.Error("a refused request restored")
	}
}
