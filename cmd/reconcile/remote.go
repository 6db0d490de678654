package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/reconcile-dev/reconcile/internal/english"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/source"
	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/state"
)

// maxPushBytes bounds the config a client may send to plan or apply.
const maxPushBytes = 16 << 20

// RemoteRequest is the body of POST /api/v1/plan and /api/v1/apply: a
// config directory's files, planned on the daemon against its live state
// with the daemon's secrets.
type RemoteRequest struct {
	// Files maps slash-separated paths, relative to the config directory,
	// to their content.
	Files map[string]string `json:"files"`
	// Revision names the config (e.g. main@sha1:<hash>); the digest of the
	// files when empty.
	Revision string `json:"revision,omitempty"`
	// Dir prefixes file names in errors: the client's config directory.
	Dir              string `json:"dir,omitempty"`
	Drift            string `json:"drift,omitempty"`
	AllowMassDestroy bool   `json:"allowMassDestroy,omitempty"`
	// Format of Rendered: text (default) or markdown.
	Format string `json:"format,omitempty"`
	// PlanDigest (apply only) is the digest of the plan the user approved:
	// the apply is refused if the plan is no longer the same.
	PlanDigest string `json:"planDigest,omitempty"`
}

// RemoteResponse is the answer of POST /api/v1/plan and /api/v1/apply.
type RemoteResponse struct {
	Plan       *reconcile.JSONPlan `json:"plan,omitempty"`
	Rendered   string              `json:"rendered,omitempty"`
	PlanDigest string              `json:"planDigest,omitempty"`
	// Errors are the positioned errors of an invalid config.
	Errors []reconcile.Problem `json:"errors,omitempty"`
	Error  string              `json:"error,omitempty"`
	// Applied (apply only) says the plan was applied; Credentials are the
	// secrets it generated, shown this once.
	Applied     bool                    `json:"applied,omitempty"`
	Credentials []reconcile.Credentials `json:"credentials,omitempty"`
	// Follows (plan only) is what the daemon follows: one that follows a
	// directory or a branch refuses applies, which the CLI says before
	// asking to approve a plan it could not apply.
	Follows string `json:"follows,omitempty"`
}

// remote serves plans and pushed applies.
type remote struct {
	store   *state.Store
	log     *slog.Logger
	secrets reconcile.SecretReader
	// follows is what the daemon follows ("" when config is pushed):
	// applies are refused then.
	follows string
	drift   string
}

// followsError is why a daemon that follows a config refuses an apply.
func followsError(follows string) string {
	return "this daemon follows " + follows +
		": change the config there (merge to the branch, edit the directory); only a daemon started with --push accepts reconcile apply --server"
}

func (rm *remote) handlers() map[string]http.Handler {
	return map[string]http.Handler{
		"POST /api/v1/plan":  http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { rm.serve(w, r, false) }),
		"POST /api/v1/apply": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { rm.serve(w, r, true) }),
	}
}

func (rm *remote) serve(w http.ResponseWriter, r *http.Request, apply bool) {
	answer := func(status int, resp *RemoteResponse) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(resp)
	}
	if apply && rm.follows != "" {
		answer(http.StatusConflict, &RemoteResponse{Error: followsError(rm.follows)})
		return
	}
	var req RemoteRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxPushBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		answer(http.StatusBadRequest, &RemoteResponse{Error: "invalid JSON body: " + err.Error()})
		return
	}
	if req.Drift == "" {
		req.Drift = rm.drift
	}
	if err := checkDrift(req.Drift); err != nil {
		answer(http.StatusBadRequest, &RemoteResponse{Error: err.Error()})
		return
	}
	if req.Format != "" && req.Format != "text" && req.Format != "markdown" {
		answer(http.StatusBadRequest, &RemoteResponse{Error: fmt.Sprintf("format: %q is not text or markdown", req.Format)})
		return
	}
	files := make(map[string][]byte, len(req.Files))
	for name, data := range req.Files {
		files[name] = []byte(data)
	}
	snap, err := source.FromFiles(files, req.Revision, schema.IsConfigFile)
	if err != nil {
		answer(http.StatusBadRequest, &RemoteResponse{Error: err.Error()})
		return
	}
	p, err := reconcile.PlanRevision(snap, rm.store,
		reconcile.PlanOptions{Dir: req.Dir, Secrets: rm.secrets, Drift: req.Drift, AllowMassDestroy: req.AllowMassDestroy})
	var cerr *reconcile.ConfigError
	switch {
	case errors.As(err, &cerr):
		answer(http.StatusUnprocessableEntity, &RemoteResponse{Error: cerr.Error(), Errors: cerr.Problems})
		return
	case err != nil:
		answer(http.StatusUnprocessableEntity, &RemoteResponse{Error: err.Error()})
		return
	}
	var text strings.Builder
	p.WriteText(&text)
	resp := &RemoteResponse{Plan: p.JSON(), PlanDigest: planDigest(text.String()), Rendered: text.String(), Follows: rm.follows}
	if req.Format == "markdown" {
		var b strings.Builder
		p.WriteMarkdown(&b)
		resp.Rendered = b.String()
	}
	if !apply {
		answer(http.StatusOK, resp)
		return
	}
	switch {
	case !p.Applyable():
		resp.Error = "the plan cannot be applied: " + problemsText(p.Problems)
		answer(http.StatusConflict, resp)
		return
	case req.PlanDigest == "":
		answer(http.StatusBadRequest, &RemoteResponse{Error: "planDigest is required: apply what a plan showed"})
		return
	case req.PlanDigest != resp.PlanDigest:
		resp.Error = "the plan changed since it was shown (the live state or the daemon's secrets changed): review the new plan and apply again"
		answer(http.StatusConflict, resp)
		return
	}
	out, err := reconcile.Apply(context.WithoutCancel(r.Context()), rm.store, p)
	if err != nil {
		resp.Error = "apply failed, nothing was changed: " + err.Error()
		answer(http.StatusConflict, resp)
		return
	}
	add, change, destroy := p.Summary()
	rm.log.Info("applied a pushed config", "revision", p.Revision, "added", add, "changed", change, "destroyed", destroy, "remote", r.RemoteAddr)
	resp.Applied, resp.Credentials = true, out.Credentials
	answer(http.StatusOK, resp)
}

// planDigest names a plan by what it shows (its text rendering), so that
// an apply can insist on the plan the user approved.
func planDigest(text string) string {
	h := sha256.Sum256([]byte(text))
	return "sha256:" + hex.EncodeToString(h[:])
}

func problemsText(ps []reconcile.Problem) string {
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = p.String()
	}
	return strings.Join(msgs, "; ")
}

// remoteCall sends a config to a daemon's plan or apply endpoint. A
// config error answer comes back as the response with its Errors.
func (f *serverFlags) remoteCall(ctx context.Context, path string, req *RemoteRequest) (*RemoteResponse, int, error) {
	var resp RemoteResponse
	status, err := f.callRaw(ctx, http.MethodPost, path, req, func(status int, body []byte) error {
		if err := json.Unmarshal(body, &resp); err != nil {
			return fmt.Errorf("the daemon answered %d with no plan: %s", status, strings.TrimSpace(string(body)))
		}
		return nil
	})
	return &resp, status, err
}

// remoteRequest carries a loaded config directory's files.
func remoteRequest(dir string, l *loaded) *RemoteRequest {
	req := &RemoteRequest{Files: map[string]string{}, Revision: l.snap.Revision, Dir: filepath.ToSlash(dir)}
	for _, name := range l.snap.Files {
		data, err := fs.ReadFile(l.snap.FS, name)
		if err == nil {
			req.Files[name] = string(data)
		}
	}
	return req
}

// remote sends a config to a daemon to plan or apply. Errors in the
// config are printed positioned, as validate does, and end the command
// with status 1.
func (c *cli) remote(ctx context.Context, sf *serverFlags, path string, req *RemoteRequest) (*RemoteResponse, error) {
	resp, status, err := sf.remoteCall(ctx, path, req)
	if err != nil {
		return nil, err
	}
	switch {
	case len(resp.Errors) > 0:
		if c.jsonErrors {
			if err := reconcile.ConfigErrorsJSON(c.stdout, "", resp.Errors); err != nil {
				return nil, err
			}
		}
		for _, e := range resp.Errors {
			fmt.Fprintln(c.stderr, e)
		}
		fmt.Fprintf(c.stderr, "\n%d %s in %s (checked by the daemon at %s)\n", len(resp.Errors), english.Plural(len(resp.Errors), "error", "errors"), req.Dir, sf.url)
		return nil, exitCode(1)
	case resp.Plan == nil && resp.Error != "":
		return nil, fmt.Errorf("the daemon answered %d %s: %s", status, http.StatusText(status), resp.Error)
	case resp.Plan == nil:
		return nil, fmt.Errorf("the daemon answered %d %s with no plan", status, http.StatusText(status))
	}
	return resp, nil
}
