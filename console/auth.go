package console

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"github.com/reconcile-dev/reconcile/state"
)

// cookieName names the session cookie.
const cookieName = "reconcile_console"

// At most refusedLogRate refused sign-ins a second are logged, after a
// burst of refusedLogBurst, as the SCIM server does for its 401s.
const (
	refusedLogRate  = 5
	refusedLogBurst = 20
)

// Roles: which token a session signed in with.
const (
	roleAdmin  = "admin"
	rolePlan   = "plan"
	roleViewer = "viewer"
)

// roleOf says which token token is, "" for none. Every token is compared
// in constant time, whichever matches.
func (c *Console) roleOf(token string) string {
	role := ""
	for _, t := range []struct{ role, token string }{
		{roleAdmin, c.opts.AdminToken}, {rolePlan, c.opts.PlanToken}, {roleViewer, c.opts.ViewerToken},
	} {
		if t.token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(t.token)) == 1 {
			role = t.role
		}
	}
	return role
}

// enabled says whether any token can sign in.
func (c *Console) enabled() bool {
	return c.opts.AdminToken != "" || c.opts.PlanToken != "" || c.opts.ViewerToken != ""
}

// signInData is the sign-in page's.
type signInData struct {
	Enabled bool
	Next    string
	Error   string
}

func (c *Console) signInForm(w http.ResponseWriter, r *http.Request) {
	c.pages.render(w, http.StatusOK, "signin", frame{Title: "Sign in", Body: signInData{Enabled: c.enabled(), Next: localNext(r.URL.Query().Get("next"))}})
}

// signIn trades a token for a session cookie.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		c.pages.render(w, http.StatusForbidden, "signin", frame{Title: "Sign in", Body: signInData{Enabled: c.enabled(), Error: "this form was sent from another site"}})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	r.ParseForm()
	next := localNext(r.PostForm.Get("next"))
	role := c.roleOf(strings.TrimSpace(r.PostForm.Get("token")))
	if role == "" {
		if c.refusedLog.Allow() {
			c.opts.Logger.Warn("console: sign-in refused", "remote", r.RemoteAddr)
		}
		c.pages.render(w, http.StatusUnauthorized, "signin", frame{Title: "Sign in", Body: signInData{Enabled: c.enabled(), Next: next,
			Error: "that is not the admin, plan or viewer token of this daemon"}})
		return
	}
	c.opts.Logger.Info("console: signed in", "role", role, "remote", r.RemoteAddr)
	http.SetCookie(w, c.cookie(r, c.sessions.create(role), 0))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// signOut ends the session.
func (c *Console) signOut(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, "this form was sent from another site", http.StatusForbidden)
		return
	}
	if ck, err := r.Cookie(cookieName); err == nil {
		c.sessions.end(ck.Value)
	}
	http.SetCookie(w, c.cookie(r, "", -1))
	http.Redirect(w, r, Prefix+"signin", http.StatusSeeOther)
}

// cookie is the session cookie: out of reach of scripts, sent only to
// the console and only from its own pages, and only over TLS when the
// daemon serves it.
func (c *Console) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: cookieName, Value: value, Path: Prefix, MaxAge: maxAge, HttpOnly: true,
		Secure: r.TLS != nil || strings.HasPrefix(c.opts.ExternalURL, "https://"), SameSite: http.SameSiteStrictMode}
}

// role is the role of the request's session, "" when it has none.
func (c *Console) role(r *http.Request) string {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return ""
	}
	return c.sessions.use(ck.Value)
}

// sameOrigin refuses a form posted from another site (SameSite=Strict
// already keeps the cookie from it; this covers the sign-in form).
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" && r.Header.Get("Sec-Fetch-Site") == "same-origin" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

// localNext is where to go after signing in: a page of the console, never
// another site.
func localNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") || next == Prefix+"signin" {
		return Prefix
	}
	return next
}

// pageFunc reads what a page shows.
type pageFunc func(r *http.Request, v *state.View) (any, error)

// page serves a page to a signed-in browser; others go to the sign-in
// page, and come back after.
func (c *Console) page(name string, read pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		role := c.role(r)
		if role == "" {
			http.Redirect(w, r, Prefix+"signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		body, err := read(r, c.store.View())
		f := frame{Title: titles[name], Nav: name, Role: role, Body: body}
		if err != nil {
			status := http.StatusInternalServerError
			if pe, ok := err.(*pageError); ok {
				status = pe.status
			}
			f.Error = err.Error()
			c.pages.render(w, status, "error", f)
			return
		}
		c.pages.render(w, http.StatusOK, name, f)
	})
}

// pageError is a request a page cannot answer: a bad filter, a user that
// does not exist.
type pageError struct {
	status int
	msg    string
}

func (e *pageError) Error() string { return e.msg }

func badRequest(msg string) error { return &pageError{http.StatusBadRequest, msg} }
func notFound(msg string) error   { return &pageError{http.StatusNotFound, msg} }
