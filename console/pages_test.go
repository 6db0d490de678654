package console

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/state"
)

// TestPages: every page answers signed in, shows what it is for, and
// refuses bad filters with a clear message.
func TestPages(t *testing.T) {
	c := newConsole(fixture(t, 120))
	ck := signIn(t, c, viewerToken)
	tests := []struct {
		path    string
		code    int
		want    []string
		notWant []string
	}{
		{"/ui/", 200, []string{`id="revision">main@sha1:1111111`, `id="attempted">main@sha1:2222222`, `<span class="badge warn" id="reason">Stalled</span>`,
			`config/orgs.yaml:3:9: parent: unknown organization &#34;nowhere&#34;`, "Last applied</dt><dd>2026-12-01T09:00:00Z", `href="/ui/users?state=blocked">1</a>`,
			`href="/ui/users">123</a>`, "git https://git.example/acme/identity (branch main, path .)", `href="/ui/plan"`}, nil},
		{"/ui/plan", 200, []string{`<span class="add">  &#43; organization &#34;support&#34; {</span>`, `<span class="change">      ~ displayName = &#34;Engineering&#34; -&gt; &#34;R&amp;D&#34;</span>`,
			`<span class="destroy">  - organization &#34;sales&#34; {</span>`, "Plan: 1 to add, 1 to change, 1 to destroy."}, nil},
		{"/ui/drift", 200, []string{"No drift. The live state matches the configuration."}, nil},
		{"/ui/organizations", 200, []string{`id="org-acme"`, "Acme Corp", `<a href="/ui/users?org=eng">121 users</a>, cold storage 90d`,
			`<a href="/ui/users?org=sales">1 user</a>`, `okta</a> (group Sellers)`, `okta</a> (fallback)`}, nil},
		{"/ui/providers", 200, []string{"http://example.com/scim/v2/okta/", "<dd>bearer</dd>", `<a href="/ui/users?provider=okta">122</a>`,
			"124 events</a>", "1 rejected</a>", `<a href="/ui/users/leaver">leaver@acme.test</a>`, `data-deadline="`, "trips past 50 deprovisions in 1h0m0s; 1 recent",
			"Pending deactivations: 1"}, []string{scimToken, "env:OKTA", "salt", "Sum"}},
		{"/ui/users", 200, []string{`href="/ui/users/hostile"`, `<a id="next" href="/ui/users?after=u000046">`}, []string{"u000047"}},
		{"/ui/users?after=u000046", 200, []string{`href="/ui/users/u000047"`, `<a id="next" href="/ui/users?after=u000096">`, `href="/ui/users?">« first page`}, []string{`"/ui/users/u000046"`}},
		{"/ui/users?after=u000096", 200, []string{`href="/ui/users/u000119"`}, []string{`id="next"`}},
		{"/ui/users?state=blocked", 200, []string{`href="/ui/users/leaver"`}, []string{`href="/ui/users/u000001"`}},
		{"/ui/users?provider=-", 200, []string{`href="/ui/users/local1"`}, []string{`href="/ui/users/leaver"`}},
		{"/ui/users?org=sales&provider=okta", 200, []string{`href="/ui/users/leaver"`}, []string{`href="/ui/users/u000001"`, `href="/ui/users/local1"`}},
		{"/ui/users?q=USER7@acme.test", 200, []string{`href="/ui/users/u000007"`}, []string{`href="/ui/users/u000070"`, `id="next"`}},
		{"/ui/users?q=ext-70", 200, []string{`href="/ui/users/u000070"`}, []string{`href="/ui/users/u000007"`}},
		{"/ui/users?q=mail12%40acme.test", 200, []string{`href="/ui/users/u000012"`}, []string{`href="/ui/users/u000120"`}},
		{"/ui/users?q=mail12%40acme.test&state=blocked", 200, []string{`id="no-users"`}, nil},
		{"/ui/users?state=asleep", 400, []string{"state: want active, blocked, deactivated or purged, not asleep"}, nil},
		{"/ui/users?provider=nope", 404, []string{"no provider nope"}, nil},
		{"/ui/users/leaver", 200, []string{`id="state">blocked`, "Deprovisioned</dt><dd>by the provider", "Deactivation deadline", `data-deadline="`,
			"user.deprovision", "state: active → blocked"}, nil},
		{"/ui/users/u000007", 200, []string{`<dd id="external-id">ext-7</dd>`, `&#34;externalId&#34;: &#34;ext-7&#34;`}, nil},
		{"/ui/users/hostile", 200, []string{`&#34;title&#34;: &#34;Boss\u202e&#34;`, "\n  &#34;title"}, nil},
		{"/ui/users/nope", 404, []string{"no user nope"}, nil},
		{"/ui/sync-log", 200, []string{`<svg class="chart" id="chart"`, `<polyline class="k-scim" points="0,`, "scim 123", "rejected 1",
			`<a class="event-user" href="/ui/users/local1">local@acme.test</a>`, `<a id="older" href="/ui/sync-log?before=`}, nil},
		{"/ui/sync-log?kind=rejected", 200, []string{"userName is required"}, []string{"user.deprovision"}},
		{"/ui/sync-log?user=leaver%40ACME.test", 200, []string{"user.deprovision", "user.create"}, []string{"user7@"}},
		{"/ui/sync-log?provider=okta&since=2000-01-01&before=4", 200, []string{`<a class="event-user" href="/ui/users/u000001">`, `<a class="event-user" href="/ui/users/u000000">`, "« newest"}, []string{`id="older"`, "u000002"}},
		{"/ui/sync-log?kind=sideways", 400, []string{"kind: want scim, admin, config, timer or rejected"}, nil},
		{"/ui/sync-log?since=yesterday", 400, []string{"since: want an RFC 3339 time"}, nil},
		{"/ui/sync-log?before=x", 400, []string{"before: not a sequence number"}, nil},
		{"/ui/nothing", 404, []string{"no such page: GET /ui/nothing"}, nil},
	}
	for _, tt := range tests {
		code, body := get(t, c, ck, tt.path)
		if code != tt.code {
			t.Errorf("GET %s: %d, want %d", tt.path, code, tt.code)
		}
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s: no %q in\n%s", tt.path, w, main(body))
			}
		}
		for _, w := range tt.notWant {
			if strings.Contains(body, w) {
				t.Errorf("GET %s: %q in\n%s", tt.path, w, main(body))
			}
		}
	}
}

// main is the page's <main>, what a failure shows.
func main(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		return body[i:]
	}
	return body
}

// TestEscaping: a userName and a title holding markup, a right-to-left
// override and a control character show as text, with the invisible
// characters made visible, on every page that shows them.
func TestEscaping(t *testing.T) {
	c := newConsole(fixture(t, 2))
	ck := signIn(t, c, adminToken)
	for _, path := range []string{"/ui/users", "/ui/users/hostile", "/ui/sync-log", "/ui/users?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E%E2%80%AEgpj.exe%1B%5B2J"} {
		code, body := get(t, c, ck, path)
		if code != 200 {
			t.Fatalf("GET %s: %d", path, code)
		}
		if !strings.Contains(body, `&lt;script&gt;alert(1)&lt;/script&gt;\u202egpj.exe\x1b[2J`) {
			t.Errorf("GET %s: the hostile userName is not shown escaped:\n%s", path, main(body))
		}
		if strings.Contains(body, "<script>alert") || strings.ContainsAny(body, "\u202e\x1b") {
			t.Errorf("GET %s: markup or an invisible character got through:\n%s", path, main(body))
		}
	}
}

// TestHeaders: every answer, the sign-in page and static files included,
// forbids framing, inline scripts and styles, and referrers; the pages
// need none of them.
func TestHeaders(t *testing.T) {
	c := newConsole(fixture(t, 2))
	ck := signIn(t, c, adminToken)
	inline := regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]|<script>|\sstyle=|\son[a-z]+=|javascript:`)
	for _, path := range []string{"/ui/signin", "/ui/", "/ui/plan", "/ui/drift", "/ui/organizations", "/ui/providers", "/ui/users", "/ui/users/leaver",
		"/ui/sync-log", "/ui/nothing", "/ui/static/console.css", "/ui/static/console.js"} {
		resp := do(c, "GET", path, nil, ck)
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe") {
			t.Errorf("GET %s: Content-Security-Policy %q", path, csp)
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: headers %v", path, h)
		}
		_, body := get(t, c, ck, path)
		if strings.HasSuffix(path, ".js") || strings.HasSuffix(path, ".css") {
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s: %s", path, resp.Status)
			}
			continue
		}
		if m := inline.FindString(body); m != "" {
			t.Errorf("GET %s: inline script or style %q, which the policy blocks", path, m)
		}
		if strings.Contains(body, "http://") && path != "/ui/providers" || strings.Contains(body, "https://") && !strings.Contains(body, "git.example") {
			t.Errorf("GET %s: a page loads or links to another site", path)
		}
	}
}

// TestBoundedScans: a page whose filter no index serves reads at most
// maxScan users or events, and links on from where it stopped, until the
// filter's matches are found.
func TestBoundedScans(t *testing.T) {
	defer func(n int) { maxScan = n }(maxScan)
	maxScan = 30
	c := newConsole(fixture(t, 100))
	ck := signIn(t, c, adminToken)
	// leaver sorts after hostile and local1, before the 100 users u0...
	_, body := get(t, c, ck, "/ui/users?state=blocked")
	if !strings.Contains(body, `href="/ui/users/leaver"`) {
		t.Errorf("the first page of blocked users misses leaver:\n%s", main(body))
	}
	// ... and the sync log's rejected event is its newest, the config's
	// its oldest: reaching it takes 4 pages of 30.
	path, pages := "/ui/sync-log?kind=config", 0
	for ; pages < 10; pages++ {
		_, body = get(t, c, ck, path)
		if strings.Contains(body, "config.apply") {
			break
		}
		m := regexp.MustCompile(`<a id="older" href="([^"]+)">search older »</a>`).FindStringSubmatch(body)
		if m == nil || !strings.Contains(body, `This page read 30 events and stopped`) {
			t.Fatalf("page %d of %s neither has the event nor goes on:\n%s", pages, path, main(body))
		}
		path = strings.ReplaceAll(m[1], "&amp;", "&")
	}
	if pages != 3 {
		t.Errorf("the config's event took %d pages more, want 3", pages)
	}
	_, body = get(t, c, ck, "/ui/users/u000000")
	if !strings.Contains(body, "No sync log events among the newest 30.") || !strings.Contains(body, `<a id="more" href="/ui/sync-log?before=`) {
		t.Errorf("the page of a user whose events are old:\n%s", main(body))
	}
}

// TestActivityCounts: the chart and the providers' rates count each
// event once, the new ones as they come.
func TestActivityCounts(t *testing.T) {
	store := fixture(t, 3)
	c := newConsole(store)
	ck := signIn(t, c, adminToken)
	for i := range 3 {
		_, body := get(t, c, ck, "/ui/sync-log")
		if want := fmt.Sprintf(`<span class="k-rejected">rejected %d</span>`, i+1); !strings.Contains(body, want) {
			t.Errorf("round %d: no %q in the chart's legend:\n%s", i, want, main(body))
		}
		_, body = get(t, c, ck, "/ui/providers")
		if want := fmt.Sprintf(`%d rejected</a>`, i+1); !strings.Contains(body, want) {
			t.Errorf("round %d: no %q on the providers page", i, want)
		}
		store.Apply(context.Background(), &state.Command{Type: state.CmdSyncEvent, SyncEvent: &state.SyncEvent{Source: state.SourceSCIM,
			Action: "user.create", Outcome: state.OutcomeRejected, Provider: "okta", Detail: "again"}})
	}
}

// TestKindIndex: the activity's kind index names the kind kindOf does.
func TestKindIndex(t *testing.T) {
	for _, source := range []string{state.SourceSCIM, state.SourceAdmin, state.SourceConfig, state.SourceTimer} {
		for _, outcome := range []string{state.OutcomeOK, state.OutcomeRejected} {
			e := &state.SyncEvent{Source: source, Outcome: outcome}
			if got := eventKinds[kindIndex(e)]; got != kindOf(e) {
				t.Errorf("%s %s: index names %s, kindOf %s", source, outcome, got, kindOf(e))
			}
		}
	}
}
