package metrics

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/reconcile-dev/reconcile/scim"
	"github.com/reconcile-dev/reconcile/state"
)

// TestSCIMLabelsBounded floods a SCIM server with made-up methods and
// provider names, with and without credentials: the SCIM series stay the
// few that known methods, configured providers and the server's statuses
// make, however many odd requests arrive.
func TestSCIMLabelsBounded(t *testing.T) {
	const token = "token-0123456789abcdef"
	store := state.NewMemory(state.Options{})
	_, err := store.Apply(context.Background(), &state.Command{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{Changes: []state.ConfigChange{
		{Action: state.ActionCreate, Kind: state.KindOrganization, Name: "eng", Organization: &state.Organization{Name: "eng", DisplayName: "Eng"}},
		{Action: state.ActionCreate, Kind: state.KindProvider, Name: "okta", Provider: &state.Provider{
			Name: "okta", Auth: state.ProviderAuth{Type: "bearer", Secret: state.HashSecret([]byte(token))},
			DeactivationDelay: time.Hour, OrganizationMapping: state.OrganizationMapping{Method: "fixed", Organization: "eng"},
			RoleMapping: state.RoleMapping{Method: "manual"}, Attributes: state.Attributes{Preset: "okta"},
		}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	m := New()
	srv := httptest.NewServer(scim.New(store, scim.Options{Observe: m.ObserveSCIM}))
	defer srv.Close()

	send := func(method, provider, auth string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+scim.Prefix+provider+"/Users", nil)
		if err != nil {
			t.Fatal(err)
		}
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	const odd = 300
	for i := range odd {
		method := fmt.Sprintf("M%d", i)
		send(method, "okta", "")                     // no credentials
		send(method, fmt.Sprintf("nobody%d", i), "") // no such provider
		send(method, "okta", token)                  // authenticated: 405
		send("get", "okta", token)                   // methods are case-sensitive
		send(http.MethodGet, fmt.Sprintf("nobody%d", i), "")
		if i%50 == 0 { // with credentials too (each costs an argon2id run)
			send(method, fmt.Sprintf("nobody%d", i), token)
		}
	}
	send(http.MethodGet, "okta", token)

	want := map[string]float64{
		"-/other/401":    2*odd + odd/50,
		"-/GET/401":      odd,
		"okta/other/405": 2 * odd,
		"okta/GET/200":   1,
	}
	if diff := cmp.Diff(want, counts(t, m.scim, "provider", "method", "status")); diff != "" {
		t.Errorf("reconcile_scim_requests_total (-want +got):\n%s", diff)
	}
	if n := testutil.CollectAndCount(m.scimLatency); n != 4 {
		t.Errorf("reconcile_scim_request_duration_seconds has %d series, want 4 (-/other, -/GET, okta/other, okta/GET)", n)
	}
}

// counts returns the values of a counter vector by its labels, joined by
// "/".
func counts(t *testing.T, c prometheus.Collector, labels ...string) map[string]float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 1000)
	c.Collect(ch)
	close(ch)
	out := map[string]float64{}
	for metric := range ch {
		var pb dto.Metric
		if err := metric.Write(&pb); err != nil {
			t.Fatal(err)
		}
		byName := map[string]string{}
		for _, l := range pb.GetLabel() {
			byName[l.GetName()] = l.GetValue()
		}
		key := ""
		for i, l := range labels {
			if i > 0 {
				key += "/"
			}
			key += byName[l]
		}
		out[key] = pb.GetCounter().GetValue()
	}
	return out
}

// TestLabelSets checks the known sets themselves.
func TestLabelSets(t *testing.T) {
	for in, want := range map[string]string{
		"GET": "GET", "HEAD": "HEAD", "POST": "POST", "PUT": "PUT", "PATCH": "PATCH", "DELETE": "DELETE",
		"OPTIONS": "OPTIONS", "CONNECT": "CONNECT", "TRACE": "TRACE",
		"get": "other", "PROPFIND": "other", "": "other", "X-" + string(make([]byte, 1000)): "other",
	} {
		if got := methodLabel(in); got != want {
			t.Errorf("methodLabel(%.20q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[int]string{200: "200", 100: "100", 599: "599", 0: "other", 99: "other", 600: "other", 1000: "other", -1: "other"} {
		if got := statusLabel(in); got != want {
			t.Errorf("statusLabel(%d) = %q, want %q", in, got, want)
		}
	}
}
