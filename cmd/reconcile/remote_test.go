package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/state"
)

func TestRemotePlanApply(t *testing.T) {
	store := state.NewMemory(state.Options{})
	push := &remote{store: store, log: slog.New(slog.DiscardHandler), secrets: reconcile.OSSecrets, drift: reconcile.DriftReport}
	follows := &remote{store: store, log: slog.New(slog.DiscardHandler), follows: "git https://example.com/config (branch main, path .)"}
	call := func(rm *remote, path, body string) (int, RemoteResponse) {
		t.Helper()
		mux := http.NewServeMux()
		for p, h := range rm.handlers() {
			mux.Handle(p, h)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("POST", path, strings.NewReader(body)))
		var resp RemoteResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("%s %s: %v: %s", path, body, err, rec.Body)
		}
		return rec.Code, resp
	}
	const org = `kind: Organization\nname: eng\ndisplayName: Engineering\n`
	good := `{"files": {"orgs.yaml": "` + org + `"}, "dir": "cfg"}`

	_, plan := call(push, "/api/v1/plan", good)
	if plan.Plan == nil || plan.Plan.Summary.Add != 1 || plan.PlanDigest == "" || !strings.Contains(plan.Rendered, `+ organization "eng"`) {
		t.Fatalf("plan = %+v", plan)
	}
	tests := []struct {
		rm         *remote
		path, body string
		code       int
		want       string
	}{
		{push, "/api/v1/plan", `{"files":`, 400, "invalid JSON body"},
		{push, "/api/v1/plan", `{"files": {}, "colour": 1}`, 400, `unknown field "colour"`},
		{push, "/api/v1/plan", `{"files": {}}`, 400, "no config files"},
		{push, "/api/v1/plan", `{"files": {"../x.yaml": ""}}`, 400, "clean, slash-separated path"},
		{push, "/api/v1/plan", `{"files": {"x.txt": ""}}`, 400, "not a config file"},
		{push, "/api/v1/plan", `{"files": {"x.yaml": ""}, "format": "html"}`, 400, `"html" is not text or markdown`},
		{push, "/api/v1/plan", `{"files": {"x.yaml": ""}, "drift": "ignore"}`, 400, `"ignore" is not report or correct`},
		{push, "/api/v1/plan", `{"files": {"x.yaml": "kind: Organization\nname: Eng\n"}, "dir": "cfg"}`, 422, "cfg/x.yaml:2:7"},
		{push, "/api/v1/apply", good, 400, "planDigest is required"},
		{push, "/api/v1/apply", strings.Replace(good, `"dir"`, `"planDigest": "sha256:0", "dir"`, 1), 409, "the plan changed since it was shown"},
		{follows, "/api/v1/apply", good, 409, "this daemon follows git https://example.com/config"},
		{push, "/api/v1/apply", strings.Replace(good, `"dir"`, `"planDigest": "`+plan.PlanDigest+`", "dir"`, 1), 200, ""},
	}
	for _, tc := range tests {
		code, resp := call(tc.rm, tc.path, tc.body)
		got := resp.Error
		for _, e := range resp.Errors {
			got += " " + e.String()
		}
		if code != tc.code || !strings.Contains(got, tc.want) {
			t.Errorf("%s %s = %d %q, want %d %q", tc.path, tc.body, code, got, tc.code, tc.want)
		}
	}
	if o := store.View().Organization("eng"); o == nil {
		t.Error("the approved plan was not applied")
	}
}
