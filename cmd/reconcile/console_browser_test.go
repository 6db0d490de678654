package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// consoleDocs makes TestConsoleInBrowser write the README's screenshots.
var consoleDocs = flag.Bool("console.docs", false, "TestConsoleInBrowser: write the README's screenshots to docs/")

// consoleConfig is the config of the console's browser test.
const consoleConfig = `
kind: Organization
name: acme
displayName: Acme Corp
protect: true
---
kind: Organization
name: engineering
displayName: Engineering
parent: acme
---
kind: Organization
name: sales
displayName: Sales
parent: acme
coldStoragePeriod: 90d
---
kind: Provider
name: okta
displayName: Okta
auth: {type: bearer, secretFrom: {env: OKTA_TOKEN}}
deactivationDelay: 24h
deactivationGuard: {window: 1h, maxCount: 20}
organizationMapping: {method: fixed, organization: engineering}
`

// consoleUsers are the users the test's provider pushes: userName, given
// and family name, title.
var consoleUsers = [][4]string{
	{"alice@acme.test", "Alice", "Nguyen", "Staff Engineer"}, {"bob@acme.test", "Bob", "Okafor", "Engineer"},
	{"carol@acme.test", "Carol", "Schmidt", "Engineering Manager"}, {"dan@acme.test", "Dan", "Kowalski", "SRE"},
	{"erin@acme.test", "Erin", "Yamada", "Designer"}, {"frank@acme.test", "Frank", "Dubois", "Engineer"},
	{"<i>mallory</i>@acme.test", "Mallory", "<script>alert(1)</script>", "Intern"},
}

// browserPath finds Chromium, or skips the test, but fails it in CI,
// which installs one (.ci/run).
func browserPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found (chromium, chromium-browser, google-chrome): CI must run the browser test; install it with apt-get install -y chromium")
	}
	t.Skip("skipping the console's browser test: no Chromium found (apt-get install -y chromium)")
	return ""
}

// TestConsoleInBrowser drives the web console in a real headless Chromium
// against a daemon process, as a person would: sign in with the viewer
// token, open each page, search a user, follow a sync log link to the
// user's page, sign out. It asserts on the DOM and saves a screenshot of
// each page in the test's artifact directory (go test -artifacts keeps
// them); -console.docs writes the README's two to docs/.
func TestConsoleInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a daemon process and a browser")
	}
	chromium := browserPath(t)
	base := startConsoleDaemon(t)
	seedConsole(t, base)

	shots := t.ArtifactDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.WindowSize(1280, 900))
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(ctx)
	defer cancelTab()
	b := &browser{t: t, ctx: ctx, base: base, shots: shots}

	// Signing in: a page without a session leads to the sign-in form,
	// and back to the page after it.
	b.do(chromedp.Navigate(base+"/ui/providers"), chromedp.WaitVisible(chromedp.CSS("#token")))
	b.shot("signin")
	b.do(chromedp.SendKeys(chromedp.CSS("#token"), "viewer-token-0123456789"), chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#page-providers")))
	b.contains("#provider-okta .base-url", base+"/scim/v2/okta/")
	b.contains("#provider-okta", "bearer")
	b.contains("#provider-okta", "Pending deactivations: 1")
	// The countdown runs: the console's script loaded under its policy.
	b.poll(`document.querySelector("#provider-okta [data-deadline]").textContent.startsWith("in 23h")`)
	b.shot("providers")

	b.open("/ui/", "#page-overview")
	b.contains("#revision", "sha256:")
	b.contains("#ready", "True")
	b.contains("#users-by-state", "blocked\n1")
	b.shot("overview")
	b.open("/ui/plan", "#page-plan")
	b.contains("#no-plan", "No plan is pending")
	b.shot("plan")
	b.open("/ui/drift", "#page-drift")
	b.contains("#drift", "No drift.")
	b.shot("drift")
	b.open("/ui/organizations", "#page-organizations")
	b.contains("#org-engineering", "Engineering")
	b.contains("#org-sales", "cold storage 90d")
	b.shot("organizations")
	b.open("/ui/sync-log", "#page-synclog")
	b.contains("#events", "user.create")
	b.do(chromedp.WaitVisible(chromedp.CSS("#chart polyline.k-scim")))
	b.shot("sync-log")

	// Searching a user by email, and opening their page.
	b.open("/ui/users", "#page-users")
	b.shot("users")
	b.do(chromedp.SendKeys(chromedp.CSS("#q"), "CAROL@acme.test"), chromedp.Click(chromedp.CSS("#search")))
	// The list before the search has a #users too: wait for the answer's,
	// whose field holds the query as its value attribute (typing sets
	// only the property).
	b.do(chromedp.WaitVisible(chromedp.CSS(`#q[value="CAROL@acme.test"]`)), chromedp.WaitVisible(chromedp.CSS("#users")))
	if n := b.count("#users .user-link"); n != 1 {
		t.Fatalf("searching carol@acme.test found %d users, want 1", n)
	}
	b.do(chromedp.Click(chromedp.CSS("#users .user-link")), chromedp.WaitVisible(chromedp.CSS("#page-user")))
	b.contains("#username", "carol@acme.test")
	b.contains("#attributes", "Engineering Manager")
	b.contains("#history", "user.create")

	// Following the sync log's link to the user a provider deprovisioned.
	b.open("/ui/sync-log?user=bob@acme.test", "#page-synclog")
	b.do(chromedp.Click(chromedp.CSS("#events a.event-user")), chromedp.WaitVisible(chromedp.CSS("#page-user")))
	b.contains("#username", "bob@acme.test")
	b.contains("#state", "blocked")
	b.contains("#lifecycle", "Deactivation deadline")
	b.contains("#history", "state: active → blocked")
	b.shot("user")

	// A name holding markup is text, and no script of it runs.
	b.open("/ui/users?q=%3Ci%3Emallory%3C%2Fi%3E%40acme.test", "#page-users")
	b.do(chromedp.Click(chromedp.CSS("#users .user-link")), chromedp.WaitVisible(chromedp.CSS("#page-user")))
	b.contains("#username", "<i>mallory</i>@acme.test")
	if n := b.count("#page-user i, #page-user script"); n != 0 {
		t.Errorf("a user's name made %d elements", n)
	}

	// Signing out ends the session: the pages lead to the sign-in form.
	b.do(chromedp.Click(chromedp.CSS("#signout")), chromedp.WaitVisible(chromedp.CSS("#token")))
	b.do(chromedp.Navigate(base+"/ui/users"), chromedp.WaitVisible(chromedp.CSS("#token")))
	if loc := b.location(); !strings.Contains(loc, "/ui/signin?next=") {
		t.Errorf("after signing out, /ui/users went to %s", loc)
	}
	if *consoleDocs {
		for _, name := range []string{"overview", "user"} {
			data, err := os.ReadFile(filepath.Join(shots, "console-"+name+".png"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("..", "..", "docs", "console-"+name+".png"), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// browser is a tab of the test's browser on the console.
type browser struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
}

func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// open opens a page of the console and waits for its main element.
func (b *browser) open(path, main string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS(main)))
}

// contains checks that the text of the element sel contains want.
func (b *browser) contains(sel, want string) {
	b.t.Helper()
	text, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("reading %s: %v", sel, err)
	}
	if !strings.Contains(text, want) {
		b.t.Errorf("%s holds %q, want %q in it", sel, text, want)
	}
}

// count counts the elements sel selects.
func (b *browser) count(sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
	if err != nil {
		b.t.Fatalf("counting %s: %v", sel, err)
	}
	return n
}

// poll waits until the JavaScript expression is true.
func (b *browser) poll(expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr)); err != nil {
		b.t.Fatalf("waiting for %s: %v", expr, err)
	}
}

func (b *browser) location() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return loc
}

// shot saves a screenshot of the page as console-NAME.png.
func (b *browser) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot of %s: %v", name, err)
	}
	path := filepath.Join(b.shots, "console-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// startConsoleDaemon starts a daemon process on the console's config with
// the admin and viewer tokens, and returns its URL.
func startConsoleDaemon(t *testing.T) string {
	t.Helper()
	bin := buildDaemon(t, "")
	work := t.TempDir()
	cfg := filepath.Join(work, "cfg")
	os.MkdirAll(cfg, 0o755)
	os.WriteFile(filepath.Join(cfg, "config.yaml"), []byte(consoleConfig), 0o644)
	cmd := exec.Command(bin, "serve", "--config", cfg, "--data-dir", filepath.Join(work, "data"), "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "OKTA_TOKEN="+loadSCIMToken, "RECONCILE_ADMIN_TOKEN="+loadAdminToken, "RECONCILE_VIEWER_TOKEN=viewer-token-0123456789")
	dieWithTest(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if b, ok := strings.CutPrefix(sc.Text(), "reconcile is serving on "); ok {
			go io.Copy(io.Discard, out)
			return b
		}
	}
	t.Fatal("the daemon never said where it serves")
	return ""
}

// seedConsole has the provider push the console's users, deprovision bob
// and send one request the daemon rejects.
func seedConsole(t *testing.T, base string) {
	t.Helper()
	ids := map[string]string{}
	for i, u := range consoleUsers {
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,"externalId":"00u%d",`+
			`"name":{"givenName":%q,"familyName":%q},"emails":[{"value":%q,"primary":true,"type":"work"}],"title":%q,"active":true}`,
			u[0], i, u[1], u[2], u[0], u[3])
		var created struct{ ID string }
		if code := scimCall(t, base, "POST", "/Users", body, &created); code != http.StatusCreated {
			t.Fatalf("creating %s: %d", u[0], code)
		}
		ids[u[0]] = created.ID
	}
	patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`
	if code := scimCall(t, base, "PATCH", "/Users/"+ids["bob@acme.test"], patch, nil); code != http.StatusOK && code != http.StatusNoContent {
		t.Fatalf("deprovisioning bob: %d", code)
	}
	if code := scimCall(t, base, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}`, nil); code != http.StatusBadRequest {
		t.Fatalf("a user without a userName: %d, want 400", code)
	}
}

// scimCall sends a SCIM request as the test's provider and decodes the
// answer into out.
func scimCall(t *testing.T, base, method, path, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, base+"/scim/v2/okta"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+loadSCIMToken)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}
