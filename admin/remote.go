package admin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/source"
	"github.com/reconcile-dev/reconcile/schema"
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
	AllowMassMove    bool   `json:"allowMassMove,omitempty"`
	// Format of Rendered: text (default) or markdown.
	Format string `json:"format,omitempty"`
	// ListUsers lists every user the plan changes in Rendered, instead
	// of summarising long lists.
	ListUsers bool `json:"listUsers,omitempty"`
	// PlanDigest (apply only) is the digest of the plan the user approved:
	// the apply is refused if the plan is no longer the same.
	PlanDigest string `json:"planDigest,omitempty"`
}

// NewRemoteRequest carries the files of a config directory dir, read
// into snap.
func NewRemoteRequest(snap *source.Snapshot, dir string) *RemoteRequest {
	req := &RemoteRequest{Files: map[string]string{}, Revision: snap.Revision, Dir: filepath.ToSlash(dir)}
	for _, name := range snap.Files {
		data, err := fs.ReadFile(snap.FS, name)
		if err == nil {
			req.Files[name] = string(data)
		}
	}
	return req
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

// FollowsError is why a daemon that follows a config refuses an apply.
func FollowsError(follows string) string {
	return "this daemon follows " + follows +
		": change the config there (merge to the branch, edit the directory); only a daemon started with --push accepts reconcile apply --server"
}

// remoteAnswer is the status and body of an answer to a plan or apply.
type remoteAnswer struct {
	status int
	resp   *RemoteResponse
}

func remoteError(status int, msg string) *remoteAnswer {
	return &remoteAnswer{status, &RemoteResponse{Error: msg}}
}

// remote answers POST /api/v1/plan (apply false) and /api/v1/apply.
func (a *API) remote(apply bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ans := a.planOrApply(w, r, apply)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(ans.status)
		json.NewEncoder(w).Encode(ans.resp)
	}
}

func (a *API) planOrApply(w http.ResponseWriter, r *http.Request, apply bool) *remoteAnswer {
	follows := a.opts.Source.Follows()
	if apply && follows != "" {
		return remoteError(http.StatusConflict, FollowsError(follows))
	}
	req, fail := a.decodeRemote(w, r)
	if fail != nil {
		return fail
	}
	p, resp, fail := a.remotePlan(req)
	if fail != nil {
		return fail
	}
	resp.Follows = follows
	if !apply {
		return &remoteAnswer{http.StatusOK, resp}
	}
	switch {
	case !p.Applyable():
		resp.Error = "the plan cannot be applied: " + problemsText(p.Problems)
		return &remoteAnswer{http.StatusConflict, resp}
	case req.PlanDigest == "":
		return remoteError(http.StatusBadRequest, "planDigest is required: apply what a plan showed")
	case req.PlanDigest != resp.PlanDigest:
		resp.Error = "the plan changed since it was shown (the live state or the daemon's secrets changed): review the new plan and apply again"
		return &remoteAnswer{http.StatusConflict, resp}
	}
	p.Trigger = "push by " + who(r)
	out, err := reconcile.Apply(context.WithoutCancel(r.Context()), a.store, p)
	if err != nil {
		resp.Error = "apply failed, nothing was changed: " + err.Error()
		return &remoteAnswer{http.StatusConflict, resp}
	}
	add, change, destroy := p.Summary()
	a.opts.Logger.Info("applied a pushed config", "revision", p.Revision, "added", add, "changed", change, "destroyed", destroy, "remote", r.RemoteAddr)
	resp.Applied, resp.Credentials = true, out.Credentials
	return &remoteAnswer{http.StatusOK, resp}
}

// decodeRemote reads and checks the body of a plan or apply.
func (a *API) decodeRemote(w http.ResponseWriter, r *http.Request) (*RemoteRequest, *remoteAnswer) {
	var req RemoteRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxPushBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, remoteError(http.StatusBadRequest, "invalid JSON body: "+err.Error())
	}
	if req.Drift == "" {
		req.Drift = a.opts.Drift
	}
	if err := reconcile.CheckDriftMode(req.Drift); err != nil {
		return nil, remoteError(http.StatusBadRequest, err.Error())
	}
	if req.Format != "" && req.Format != "text" && req.Format != "markdown" {
		return nil, remoteError(http.StatusBadRequest, fmt.Sprintf("format: %q is not text or markdown", req.Format))
	}
	return &req, nil
}

// remotePlan plans a pushed config against the live state.
func (a *API) remotePlan(req *RemoteRequest) (*reconcile.Plan, *RemoteResponse, *remoteAnswer) {
	files := make(map[string][]byte, len(req.Files))
	for name, data := range req.Files {
		files[name] = []byte(data)
	}
	snap, err := source.FromFiles(files, req.Revision, schema.IsConfigFile)
	if err != nil {
		return nil, nil, remoteError(http.StatusBadRequest, err.Error())
	}
	p, err := reconcile.PlanRevision(snap, a.store,
		reconcile.PlanOptions{Dir: req.Dir, Secrets: a.opts.Secrets, Drift: req.Drift, AllowMassDestroy: req.AllowMassDestroy, AllowMassMove: req.AllowMassMove})
	var cerr *reconcile.ConfigError
	switch {
	case errors.As(err, &cerr):
		return nil, nil, &remoteAnswer{http.StatusUnprocessableEntity, &RemoteResponse{Error: cerr.Error(), Errors: cerr.Problems}}
	case err != nil:
		return nil, nil, remoteError(http.StatusUnprocessableEntity, err.Error())
	}
	// The digest is of the plan with every user listed, however it is
	// rendered: an apply insists on the same users too.
	var text, all strings.Builder
	p.ListUsers = true
	p.WriteText(&all)
	p.ListUsers = req.ListUsers
	p.WriteText(&text)
	resp := &RemoteResponse{Plan: p.JSON(), PlanDigest: planDigest(all.String()), Rendered: text.String()}
	if req.Format == "markdown" {
		var b strings.Builder
		p.WriteMarkdown(&b)
		resp.Rendered = b.String()
	}
	return p, resp, nil
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
