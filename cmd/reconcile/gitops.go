package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path"
	"slices"
	"strings"
	"testing/fstest"
	"time"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/reconcile-dev/reconcile/admin"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/source"
	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/state"
	"github.com/spf13/cobra"
)

// gitFlags are serve's flags for following a git repository.
type gitFlags struct {
	url, branch, path  string
	poll               time.Duration
	tokenFile          string
	sshKey, knownHosts string
	caFile             string
}

func (f *gitFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.url, "git", "", "follow this git repository (https://... or ssh://... / git@host:path)")
	fl.StringVar(&f.branch, "branch", "main", "with --git: the branch to follow")
	fl.StringVar(&f.path, "path", "", "with --git: the directory of the config in the repository (default: its root)")
	fl.DurationVar(&f.poll, "poll", time.Minute, "with --git: how often to fetch (with 10% jitter); a webhook fetches at once")
	fl.StringVar(&f.tokenFile, "git-token-file", "", "with an https:// repository: file holding an access token (or set RECONCILE_GIT_TOKEN)")
	fl.StringVar(&f.sshKey, "git-ssh-key", "", "with an ssh repository: the private key file")
	fl.StringVar(&f.knownHosts, "git-known-hosts", "", "with an ssh repository: the known_hosts file that must list the server's key (default ~/.ssh/known_hosts)")
	fl.StringVar(&f.caFile, "git-ca-file", "", "with an https:// repository: extra trusted CA certificates (PEM)")
}

// source builds the git source, its credentials and its cache.
func (f *gitFlags) source(cache string) (*source.Git, error) {
	if f.poll < time.Second {
		return nil, usageErrorf("--poll: %v is too short (at least 1s)", f.poll)
	}
	if f.branch == "" {
		return nil, usageErrorf("--branch is empty")
	}
	g := &source.Git{URL: f.url, Branch: f.branch, Path: strings.Trim(path.Clean("/"+f.path), "/"), Cache: cache, Include: schema.IsConfigFile}
	isSSH := strings.HasPrefix(f.url, "ssh://") || (!strings.Contains(f.url, "://") && strings.Contains(f.url, "@"))
	switch {
	case isSSH:
		if f.sshKey == "" {
			return nil, usageErrorf("--git %s is an ssh repository: give --git-ssh-key", f.url)
		}
		keys, err := gitssh.NewPublicKeysFromFile("git", f.sshKey, "")
		if err != nil {
			return nil, fmt.Errorf("reading --git-ssh-key: %w", err)
		}
		known := f.knownHosts
		var files []string
		if known != "" {
			files = []string{known}
		}
		cb, err := gitssh.NewKnownHostsCallback(files...)
		if err != nil {
			return nil, fmt.Errorf("reading known_hosts: %w (the server's key must be known: no key is trusted on first use)", err)
		}
		keys.HostKeyCallback = cb
		g.Auth = keys
	case strings.HasPrefix(f.url, "https://") || strings.HasPrefix(f.url, "http://"):
		token, err := readGitToken(f.tokenFile)
		if err != nil {
			return nil, err
		}
		if token != "" {
			g.Auth = &githttp.BasicAuth{Username: "git", Password: token}
		}
	}
	if f.caFile != "" {
		ca, err := os.ReadFile(f.caFile)
		if err != nil {
			return nil, fmt.Errorf("reading --git-ca-file: %w", err)
		}
		g.CABundle = ca
	}
	return g, nil
}

func readGitToken(file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("reading --git-token-file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return strings.TrimSpace(os.Getenv("RECONCILE_GIT_TOKEN")), nil
}

// webhook triggers a reconcile on a GitHub-style push event whose
// X-Hub-Signature-256 is the HMAC-SHA256 of the body under the secret.
func webhook(secret string, loop *reconcile.Loop, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if secret == "" {
			http.Error(w, "the git webhook is disabled: start the daemon with --webhook-secret-file or RECONCILE_WEBHOOK_SECRET", http.StatusNotFound)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 5<<20))
		if err != nil {
			http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
			return
		}
		sig, ok := strings.CutPrefix(r.Header.Get("X-Hub-Signature-256"), "sha256=")
		want := hmac.New(sha256.New, []byte(secret))
		want.Write(body)
		got, decodeErr := hex.DecodeString(sig)
		if !ok || decodeErr != nil || !hmac.Equal(got, want.Sum(nil)) {
			log.Warn("webhook: bad signature", "remote", r.RemoteAddr)
			http.Error(w, "bad or missing X-Hub-Signature-256", http.StatusUnauthorized)
			return
		}
		switch ev := r.Header.Get("X-GitHub-Event"); ev {
		case "ping":
			fmt.Fprintln(w, "pong")
			return
		case "", "push":
		default:
			// Only a push can change the config.
			fmt.Fprintf(w, "ignored: %q events change no config\n", ev)
			return
		}
		loop.Trigger()
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintln(w, "reconcile triggered")
	})
}

// StatusReport is GET /api/v1/status.
type StatusReport struct {
	Source sourceInfo `json:"source"`
	reconcile.Status
	Drift        string `json:"driftMode"`
	Drifted      int    `json:"driftedObjects"`
	DriftedUsers int    `json:"driftedUsers"`
}

func statusReport(store *state.Store, loop *reconcile.Loop, src sourceInfo, drift string) StatusReport {
	v := store.View()
	st := loop.Status()
	if src.Kind == "push" {
		// Nothing to follow: what was pushed last is what is wanted.
		st.Ready = true
	}
	return StatusReport{Source: src, Status: st, Drift: drift, Drifted: len(driftOf(v)), DriftedUsers: v.CountDriftedUsers()}
}

// DriftReport is GET /api/v1/drift: the config objects changed outside of
// config (Terraform's resource_drift), and the provisioned users an admin
// changed since their provider's last push.
type DriftReport struct {
	Objects []reconcile.JSONDrift `json:"resource_drift"`
	Users   []UserDrift           `json:"user_drift"`
}

// UserDrift is a provisioned user changed by an admin.
type UserDrift struct {
	ID       string       `json:"id"`
	UserName string       `json:"userName"`
	Provider string       `json:"provider"`
	Fields   []FieldDrift `json:"fields"`
	Note     string       `json:"note"`
}

// FieldDrift is one attribute of a drifted user.
type FieldDrift struct {
	Field         string `json:"field"`
	ProviderValue string `json:"providerValue"`
	LocalValue    string `json:"localValue"`
}

func driftOf(v *state.View) []*reconcile.DriftEntry {
	return reconcile.Drift(reconcile.LiveFrom(v))
}

func driftReport(v *state.View) DriftReport {
	r := DriftReport{Objects: reconcile.DriftJSON(driftOf(v)), Users: []UserDrift{}}
	for _, u := range v.Users() {
		if len(u.ProviderValues) == 0 {
			continue
		}
		ud := UserDrift{ID: u.ID, UserName: u.UserName, Provider: u.Provider,
			Note: "the next push from provider " + u.Provider + " overwrites the local values"}
		for _, f := range slices.Sorted(maps.Keys(u.ProviderValues)) {
			ud.Fields = append(ud.Fields, FieldDrift{Field: f, ProviderValue: u.ProviderValues[f], LocalValue: userField(u, f)})
		}
		r.Users = append(r.Users, ud)
	}
	return r
}

func userField(u *state.User, f string) string {
	return map[string]string{
		"userName": u.UserName, "email": u.Email, "firstName": u.GivenName, "lastName": u.FamilyName, "title": u.Title,
		"division": u.Division, "department": u.Department, "employeeType": u.EmployeeType,
		"address.city": u.City, "address.state": u.Region, "address.country": u.Country,
	}[f]
}

// editableFields are the config fields admins may change outside of
// config, per kind; secrets and names are config's alone.
var editableFields = map[string][]string{
	state.KindOrganization: {"displayName", "parent", "coldStoragePeriod", "protect"},
	state.KindProvider:     {"displayName", "deactivationDelay", "organizationMapping", "roleMapping", "attributes", "rateLimit", "maxExpensiveQueries", "deactivationGuard"},
}

// editConfig validates an admin's change of a config object with the
// config's own schema (the object as a document, with stubs of every
// organization for its references) and returns it as an update.
func editConfig(v *state.View, kind, name string, patch map[string]any) (*state.ConfigChange, error) {
	var live any
	switch kind {
	case state.KindOrganization:
		if o := v.Organization(name); o != nil {
			live = o
		}
	case state.KindProvider:
		if p := v.Provider(name); p != nil {
			live = p
		}
	}
	if live == nil {
		return nil, &state.NotFoundError{Address: kind + "." + name}
	}
	doc := reconcile.ConfigDocument(live)
	if len(patch) == 0 {
		return nil, &admin.InvalidEditError{Msg: "nothing to change"}
	}
	for k, val := range patch {
		if !slices.Contains(editableFields[kind], k) {
			return nil, &admin.InvalidEditError{Msg: fmt.Sprintf("%s cannot be changed here (editable: %s)", k, strings.Join(editableFields[kind], ", "))}
		}
		if val == nil {
			delete(doc, k)
		} else {
			doc[k] = val
		}
	}
	docs := []any{doc}
	for _, o := range v.Organizations() {
		if kind == state.KindOrganization && o.Name == name {
			continue
		}
		stub := map[string]any{"kind": "Organization", "name": o.Name, "displayName": o.DisplayName}
		if o.Parent != "" {
			stub["parent"] = o.Parent // a top-level organization has none
		}
		docs = append(docs, stub)
	}
	var b strings.Builder
	for _, d := range docs {
		j, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		b.WriteString("---\n")
		b.Write(j)
		b.WriteString("\n")
	}
	cfg, err := schema.Load(fstest.MapFS{"edit.yaml": {Data: []byte(b.String())}}, "")
	if err != nil {
		var msgs []string
		if errs, ok := err.(schema.Errors); ok {
			for _, e := range errs {
				msgs = append(msgs, e.Path+": "+e.Msg)
			}
		} else {
			msgs = append(msgs, err.Error())
		}
		return nil, &admin.InvalidEditError{Msg: strings.Join(msgs, "; ")}
	}
	ch := &state.ConfigChange{Action: state.ActionUpdate, Kind: kind, Name: name}
	switch o := live.(type) {
	case *state.Organization:
		ch.ExpectIndex = o.ModifyIndex
		ch.Organization = reconcile.OrganizationFromConfig(cfg.Organization(name))
	case *state.Provider:
		ch.ExpectIndex = o.ModifyIndex
		np := reconcile.ProviderFromConfig(cfg.Providers[0])
		np.Auth = o.Auth // never edited here
		ch.Provider = np
	}
	return ch, nil
}

// configObject renders a config object as its config document, with
// secrets left out.
func configObject(v *state.View, kind, name string) any {
	switch kind {
	case state.KindOrganization:
		if o := v.Organization(name); o != nil {
			return reconcile.ConfigDocument(o)
		}
	case state.KindProvider:
		if p := v.Provider(name); p != nil {
			return reconcile.ConfigDocument(p)
		}
	}
	return nil
}
