package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/internal/english"
	"github.com/reconcile-dev/reconcile/internal/names"
)

//go:embed templates
var templates embed.FS

// frame is what every page's layout shows around the page's own body.
type frame struct {
	Title string
	Nav   string // the page's name, to mark it in the navigation
	Role  string // the signed-in session's token, "" on the sign-in page
	Error string
	Body  any
}

// titles are the pages' titles, by name.
var titles = map[string]string{
	"overview": "Overview", "plan": "Plan", "drift": "Drift", "organizations": "Organizations",
	"providers": "Providers", "users": "Users", "user": "User", "synclog": "Sync log", "notfound": "Not found",
}

// pages are the parsed templates, one set per page: its file with the
// layout.
type pages struct {
	byName map[string]*template.Template
}

// funcs are the templates' helpers. Every string a provider or an admin
// sent goes through show: html/template escapes it for HTML, show makes
// control and bidirectional characters visible first, so that a name
// cannot reorder or hide what surrounds it.
var funcs = template.FuncMap{
	"show":     names.Escape,
	"time":     formatTime,
	"dur":      formatDuration,
	"join":     func(s []string) string { return names.Escape(strings.Join(s, ", ")) },
	"unix":     func(t time.Time) int64 { return t.Unix() },
	"navPages": func() []navPage { return nav },
	"kind":     kindOf,
	"plural":   english.Plural,
	"maxScan":  func() int { return maxScan },
	"inc":      func(n uint64) uint64 { return n + 1 },
}

// navPage is a page of the navigation.
type navPage struct{ Name, Path, Title string }

// nav is the navigation, in order.
var nav = []navPage{
	{"overview", Prefix, "Overview"}, {"plan", Prefix + "plan", "Plan"}, {"drift", Prefix + "drift", "Drift"},
	{"organizations", Prefix + "organizations", "Organizations"}, {"providers", Prefix + "providers", "Providers"},
	{"users", Prefix + "users", "Users"}, {"synclog", Prefix + "sync-log", "Sync log"},
}

func mustParsePages() *pages {
	p := &pages{byName: map[string]*template.Template{}}
	entries, err := templates.ReadDir("templates")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".html")
		if name == "layout" {
			continue
		}
		p.byName[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templates, "templates/layout.html", "templates/"+e.Name()))
	}
	return p
}

// render writes the page name with status, or a 500 when the template
// fails (before anything of it is written).
func (p *pages) render(w http.ResponseWriter, status int, name string, f frame) {
	var b bytes.Buffer
	if err := p.byName[name].Execute(&b, f); err != nil {
		http.Error(w, "rendering the page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// link is the URL of the console's page path with the params that are
// not empty as its query: a stable URL, its parameters sorted.
func link(path string, params map[string]string) string {
	q := url.Values{}
	for k, v := range params {
		if v != "" {
			q.Set(k, v)
		}
	}
	return Prefix + path + "?" + q.Encode()
}

// formatTime shows a time in UTC to the second, "—" for none.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format(time.RFC3339)
}

// formatDuration shows whole days as days (90d), as the config writes
// them.
func formatDuration(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
