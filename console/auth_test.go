package console

import (
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

// TestSignIn: the admin, plan and viewer tokens sign in; anything else,
// a SCIM token included, does not; the session cookie holds neither the
// token nor anything a script or another site can use; signing out ends
// the session.
func TestSignIn(t *testing.T) {
	c := newConsole(fixture(t, 3))
	if resp := do(c, "GET", "/ui/users?q=x", nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/signin?next=%2Fui%2Fusers%3Fq%3Dx" {
		t.Errorf("a page without a session: %s to %q, want the sign-in page", resp.Status, resp.Header.Get("Location"))
	}
	for _, token := range []string{"", "wrong", scimToken, "Bearer " + adminToken, adminToken + "x"} {
		resp := do(c, "POST", "/ui/signin", url.Values{"token": {token}})
		if resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
			t.Errorf("signing in with %q: %s, cookies %v; want 401 and none", token, resp.Status, resp.Cookies())
		}
	}
	for _, token := range []string{adminToken, planToken, viewerToken} {
		resp := do(c, "POST", "/ui/signin", url.Values{"token": {" " + token + "\n"}, "next": {"/ui/users?state=active"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/users?state=active" {
			t.Fatalf("signing in with %s: %s to %q", token, resp.Status, resp.Header.Get("Location"))
		}
		ck := resp.Cookies()[0]
		if ck.Name != cookieName || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/ui/" || ck.Secure || strings.Contains(ck.Value, token) || len(ck.Value) < 40 {
			t.Errorf("the session cookie of %s: %+v", token, ck)
		}
		if code, body := get(t, c, ck, "/ui/"); code != 200 || !strings.Contains(body, "main@sha1:1111111") {
			t.Errorf("the overview with %s's session: %d", token, code)
		}
		resp = do(c, "POST", "/ui/signout", nil, ck)
		if resp.StatusCode != http.StatusSeeOther || resp.Cookies()[0].MaxAge >= 0 {
			t.Errorf("signing out: %s, cookie %+v", resp.Status, resp.Cookies()[0])
		}
		if resp := do(c, "GET", "/ui/", nil, ck); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("the overview after signing out: %s, want a redirect to sign in", resp.Status)
		}
	}
	// Over TLS the cookie is Secure.
	r := httptest.NewRequest("POST", "/ui/signin", strings.NewReader(url.Values{"token": {viewerToken}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.TLS = &tls.ConnectionState{}
	w := httptest.NewRecorder()
	c.ServeHTTP(w, r)
	if cks := w.Result().Cookies(); len(cks) != 1 || !cks[0].Secure {
		t.Errorf("the session cookie over TLS: %+v, want Secure", cks)
	}
	// Where to go after signing in is a page of the console, never
	// another site.
	for next, want := range map[string]string{"https://evil.example/": "/ui/", "//evil.example/ui/": "/ui/", "/ui/sync-log?kind=scim": "/ui/sync-log?kind=scim", "/api/v1/users": "/ui/"} {
		if got := do(c, "POST", "/ui/signin", url.Values{"token": {adminToken}, "next": {next}}).Header.Get("Location"); got != want {
			t.Errorf("signing in with next %q went to %q, want %q", next, got, want)
		}
	}
	// A form posted from another site is refused.
	r = httptest.NewRequest("POST", "/ui/signin", strings.NewReader(url.Values{"token": {adminToken}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", "https://evil.example")
	w = httptest.NewRecorder()
	c.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden || len(w.Result().Cookies()) != 0 {
		t.Errorf("a sign-in posted from another site: %d", w.Code)
	}
}

// TestDisabled: with no token the console says how to enable it, and no
// token opens it.
func TestDisabled(t *testing.T) {
	c := New(fixture(t, 0), Options{})
	if code, body := get(t, c, nil, "/ui/signin"); code != 200 || !strings.Contains(body, "--viewer-token-file") {
		t.Errorf("the sign-in page of a console without tokens: %d %s", code, body)
	}
	if resp := do(c, "POST", "/ui/signin", url.Values{"token": {""}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("signing in with no token: %s", resp.Status)
	}
}

// TestIdleExpiry: a session lasts while it is used, and ends once it was
// left unused for the idle timeout.
func TestIdleExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New(state.NewMemory(state.Options{}), Options{ViewerToken: viewerToken, IdleTimeout: 30 * time.Minute})
		ck := signIn(t, c, viewerToken)
		for range 3 {
			time.Sleep(29 * time.Minute)
			if resp := do(c, "GET", "/ui/organizations", nil, ck); resp.StatusCode != http.StatusOK {
				t.Fatalf("a session used every 29 minutes: %s", resp.Status)
			}
		}
		time.Sleep(30 * time.Minute)
		if resp := do(c, "GET", "/ui/organizations", nil, ck); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("a session unused for 30 minutes: %s, want a redirect to sign in", resp.Status)
		}
		if n := len(c.sessions.m); n != 0 {
			t.Errorf("%d sessions kept after expiry", n)
		}
	})
}

// TestSessionsStoreNoID: the sessions are kept by a hash of their id,
// never the id or the token.
func TestSessionsStoreNoID(t *testing.T) {
	c := newConsole(fixture(t, 0))
	ck := signIn(t, c, adminToken)
	for k, s := range c.sessions.m {
		if strings.Contains(string(k[:]), ck.Value) || s.role != roleAdmin {
			t.Errorf("session %x: %+v", k, s)
		}
	}
}

// TestSignInRefusedLog: a client posting wrong tokens in a loop gets a
// 401 each time, but the log holds a bounded burst of the refusals, not
// one line each.
func TestSignInRefusedLog(t *testing.T) {
	var logged strings.Builder
	c := New(fixture(t, 1), Options{AdminToken: adminToken, Loop: fakeLoop{},
		Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	const tries = 200
	start := time.Now()
	for i := range tries {
		if resp := do(c, "POST", "/ui/signin", url.Values{"token": {"wrong" + strconv.Itoa(i)}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong token %d: %s, want 401", i, resp.Status)
		}
	}
	// The burst, and what the rate let through while the loop ran.
	n := strings.Count(logged.String(), "sign-in refused")
	if most := refusedLogBurst + int(time.Since(start).Seconds()*refusedLogRate) + 1; n < refusedLogBurst || n > most {
		t.Errorf("%d refused sign-ins logged %d lines, want %d to %d", tries, n, refusedLogBurst, most)
	}
	if resp := do(c, "POST", "/ui/signin", url.Values{"token": {adminToken}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the admin token after the refusals: %s, want a session", resp.Status)
	}
}
