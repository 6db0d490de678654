package scim

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/state"
)

// TestWriteTooLate: a write whose context is done before it is built (the
// cluster node that forwarded it has answered its client) is refused with
// 503 and changes nothing, for users and for groups; a read is served.
func TestWriteTooLate(t *testing.T) {
	store := state.NewMemory(state.Options{})
	configure(t, store, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	srv := New(store, Options{})
	done, cancel := context.WithCancel(context.Background())
	cancel()
	send := func(ctx context.Context, method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequestWithContext(ctx, method, "/scim/v2/p"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}
	for _, w := range []struct{ method, path, body string }{
		{"POST", "/Users", `{"userName":"late@example.com"}`},
		{"POST", "/Groups", `{"displayName":"Late"}`},
	} {
		rec := send(done, w.method, w.path, w.body)
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" ||
			!strings.Contains(rec.Body.String(), "nothing was changed") {
			t.Errorf("%s %s too late: %d %v %s", w.method, w.path, rec.Code, rec.Header(), rec.Body)
		}
	}
	if n := store.View().CountUsers(); n != 0 {
		t.Errorf("%d users stored by writes that came too late", n)
	}
	if rec := send(done, "GET", "/Groups", ""); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"totalResults":0`) {
		t.Errorf("groups after a write that came too late: %d %s", rec.Code, rec.Body)
	}
	if rec := send(context.Background(), "POST", "/Users", `{"userName":"late@example.com"}`); rec.Code != http.StatusCreated {
		t.Errorf("the same write in time: %d %s", rec.Code, rec.Body)
	}
}
