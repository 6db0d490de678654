package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls the admin API of a running daemon, with the wire types
// the API answers with: what the CLI (and later the console) use.
type Client struct {
	// URL is the daemon's base URL, e.g. http://127.0.0.1:8080.
	URL string
	// Token is the admin token, or the plan token for what it may do.
	Token string
	// HTTP sends the requests; one with a 60s timeout when nil.
	HTTP *http.Client
	// Actor says who sends the requests (e.g. alice@laptop), for the
	// sync log: sent as X-Reconcile-Actor. The token, shared, cannot
	// tell.
	Actor string
}

// ActorHeader names who sends an admin request, as the client says.
const ActorHeader = "X-Reconcile-Actor"

// maxAnswerBytes bounds an answer of the daemon.
const maxAnswerBytes = 64 << 20

// Status is GET /api/v1/status.
func (c *Client) Status(ctx context.Context) (StatusReport, error) {
	var st StatusReport
	return st, c.Get(ctx, "/api/v1/status", nil, &st)
}

// Drift is GET /api/v1/drift.
func (c *Client) Drift(ctx context.Context) (DriftReport, error) {
	var d DriftReport
	return d, c.Get(ctx, "/api/v1/drift", nil, &d)
}

// DriftText is GET /api/v1/drift?format=text: the drift for people.
func (c *Client) DriftText(ctx context.Context) (string, error) {
	var text string
	return text, c.Get(ctx, "/api/v1/drift", url.Values{"format": {"text"}}, &text)
}

// Users is a page of GET /api/v1/users with the query q.
func (c *Client) Users(ctx context.Context, q url.Values) (UserPage, error) {
	var page UserPage
	return page, c.Get(ctx, "/api/v1/users", q, &page)
}

// User is GET /api/v1/users/{id}.
func (c *Client) User(ctx context.Context, id string) (User, error) {
	var u User
	return u, c.Get(ctx, "/api/v1/users/"+url.PathEscape(id), nil, &u)
}

// CreateUser is POST /api/v1/users: a local user.
func (c *Client) CreateUser(ctx context.Context, in UserInput) (User, error) {
	var u User
	return u, c.Call(ctx, http.MethodPost, "/api/v1/users", in, &u)
}

// UserAction acts on a user: POST /api/v1/users/{id}/{action} with an
// ActionInput, or, for "roles", PUT .../roles with the roles.
func (c *Client) UserAction(ctx context.Context, id, action string, in any) (User, error) {
	var u User
	method := http.MethodPost
	if action == "roles" {
		method = http.MethodPut
	}
	return u, c.Call(ctx, method, "/api/v1/users/"+url.PathEscape(id)+"/"+action, in, &u)
}

// Deactivations is GET /api/v1/deactivations.
func (c *Client) Deactivations(ctx context.Context) (Deactivations, error) {
	var d Deactivations
	return d, c.Get(ctx, "/api/v1/deactivations", nil, &d)
}

// ResolveDeactivations approves or cancels (action) the deactivations a
// provider's tripped guard paused.
func (c *Client) ResolveDeactivations(ctx context.Context, provider, action string) (Deactivations, error) {
	var d Deactivations
	return d, c.Call(ctx, http.MethodPost, "/api/v1/deactivations/"+url.PathEscape(provider)+"/"+action, nil, &d)
}

// Organizations is GET /api/v1/organizations.
func (c *Client) Organizations(ctx context.Context) ([]Organization, error) {
	var out struct {
		Organizations []Organization `json:"organizations"`
	}
	return out.Organizations, c.Get(ctx, "/api/v1/organizations", nil, &out)
}

// SyncLog is a page of GET /api/v1/sync-log with the query q.
func (c *Client) SyncLog(ctx context.Context, q url.Values) (SyncLogPage, error) {
	var page SyncLogPage
	return page, c.Get(ctx, "/api/v1/sync-log", q, &page)
}

// Sync is POST /api/v1/sync: the daemon's config loop (its leader's, on
// a cluster) fetches and applies now; unless in.NoWait the answer waits
// for the run's end, which ctx bounds (and in.TimeoutSeconds, on the
// daemon).
func (c *Client) Sync(ctx context.Context, in SyncRequest) (SyncReport, error) {
	var out SyncReport
	return out, c.call(ctx, http.MethodPost, "/api/v1/sync", in, &out, 0)
}

// Approve is POST /api/v1/approve: the stalled revision in.Revision may
// pass the mass-destroy and mass-move guards it stalled on once, and the loop runs, as Sync.
func (c *Client) Approve(ctx context.Context, in SyncRequest) (SyncReport, error) {
	var out SyncReport
	return out, c.call(ctx, http.MethodPost, "/api/v1/approve", in, &out, 0)
}

// Suspend is POST /api/v1/suspend, or with resume POST /api/v1/resume.
func (c *Client) Suspend(ctx context.Context, resume bool, reason string) (StatusReport, error) {
	path := "/api/v1/suspend"
	if resume {
		path = "/api/v1/resume"
	}
	var st StatusReport
	return st, c.Call(ctx, http.MethodPost, path, SyncRequest{Reason: reason}, &st)
}

// Revision is GET /api/v1/revisions/{rev}: where a revision stands.
func (c *Client) Revision(ctx context.Context, rev string) (RevisionState, error) {
	var rs RevisionState
	return rs, c.Get(ctx, "/api/v1/revisions/"+url.PathEscape(rev), nil, &rs)
}

// History is GET /api/v1/history.
func (c *Client) History(ctx context.Context) (History, error) {
	var h History
	return h, c.Get(ctx, "/api/v1/history", nil, &h)
}

// RotateSecret is POST /api/v1/providers/{name}/rotate-secret: a new
// generated secret for provider name, the old one working for overlap.
func (c *Client) RotateSecret(ctx context.Context, name string, overlap time.Duration) (RotateAnswer, error) {
	var ans RotateAnswer
	in := RotateRequest{}
	if overlap > 0 {
		in.Overlap = overlap.String()
	}
	return ans, c.Call(ctx, http.MethodPost, "/api/v1/providers/"+url.PathEscape(name)+"/rotate-secret", in, &ans)
}

// Cluster is GET /api/v1/cluster.
func (c *Client) Cluster(ctx context.Context) (ClusterStatus, error) {
	var st ClusterStatus
	return st, c.Get(ctx, "/api/v1/cluster", nil, &st)
}

// JoinCluster is POST /api/v1/cluster/join: the daemon joins the cluster
// whose node has its cluster port at addr.
func (c *Client) JoinCluster(ctx context.Context, addr string) (ClusterStatus, error) {
	var st ClusterStatus
	return st, c.Call(ctx, http.MethodPost, "/api/v1/cluster/join", JoinRequest{Address: addr}, &st)
}

// RemoveMember is DELETE /api/v1/cluster/members/{id}.
func (c *Client) RemoveMember(ctx context.Context, id string) (ClusterStatus, error) {
	var st ClusterStatus
	return st, c.Call(ctx, http.MethodDelete, "/api/v1/cluster/members/"+url.PathEscape(id), nil, &st)
}

// Plan sends a config to POST /api/v1/plan. Whatever the status, an
// answer with a plan or errors is returned with it: a config error
// comes back as the response's Errors.
func (c *Client) Plan(ctx context.Context, req *RemoteRequest) (*RemoteResponse, int, error) {
	return c.remote(ctx, "/api/v1/plan", req)
}

// Apply sends a config to POST /api/v1/apply, as Plan does.
func (c *Client) Apply(ctx context.Context, req *RemoteRequest) (*RemoteResponse, int, error) {
	return c.remote(ctx, "/api/v1/apply", req)
}

func (c *Client) remote(ctx context.Context, path string, req *RemoteRequest) (*RemoteResponse, int, error) {
	var resp RemoteResponse
	status, err := c.do(ctx, http.MethodPost, path, req, callTimeout, func(status int, body []byte) error {
		if err := json.Unmarshal(body, &resp); err != nil {
			return fmt.Errorf("the daemon answered %d with no plan: %s", status, strings.TrimSpace(string(body)))
		}
		return nil
	})
	return &resp, status, err
}

// Get calls GET path?q and decodes the JSON answer into out.
func (c *Client) Get(ctx context.Context, path string, q url.Values, out any) error {
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return c.Call(ctx, http.MethodGet, path, nil, out)
}

// Call sends in (nil for no body) as JSON and decodes the JSON answer
// into out, or keeps it as text when out is a *string. An answer other
// than 2xx is an error with the API's message.
func (c *Client) Call(ctx context.Context, method, path string, in, out any) error {
	return c.call(ctx, method, path, in, out, callTimeout)
}

// callTimeout bounds a call when c.HTTP is nil: the API answers quickly,
// but for the verbs that wait (sync), which ctx alone bounds.
const callTimeout = 60 * time.Second

func (c *Client) call(ctx context.Context, method, path string, in, out any, timeout time.Duration) error {
	_, err := c.do(ctx, method, path, in, timeout, func(status int, answer []byte) error {
		if status/100 != 2 {
			return answerError(status, answer)
		}
		if text, ok := out.(*string); ok {
			*text = string(answer)
			return nil
		}
		return json.Unmarshal(answer, out)
	})
	return err
}

// answerError is the error of an answer other than 2xx: the API's
// message, if it sent one.
func answerError(status int, answer []byte) error {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(answer, &e) == nil && e.Error != "" {
		return fmt.Errorf("the daemon answered %d %s: %s", status, http.StatusText(status), e.Error)
	}
	return fmt.Errorf("the daemon answered %d %s", status, http.StatusText(status))
}

// do sends a request with the token and hands the answer's status and
// body to read.
func (c *Client) do(ctx context.Context, method, path string, in any, timeout time.Duration, read func(status int, body []byte) error) (int, error) {
	var body io.Reader
	contentType := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body, contentType = bytes.NewReader(b), "application/json"
	}
	resp, err := c.send(ctx, method, path, body, contentType, timeout)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("reading the daemon's answer: %w", err)
	}
	return resp.StatusCode, read(resp.StatusCode, answer)
}

// send sends a request with the token; timeout bounds it when c.HTTP is
// nil (0: only ctx does).
func (c *Client) send(ctx context.Context, method, path string, body io.Reader, contentType string, timeout time.Duration) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.URL, "/")+path, body)
	if err != nil {
		return nil, fmt.Errorf("the daemon's URL: %w", err)
	}
	if s, ok := body.(*sized); ok && s.n >= 0 {
		req.ContentLength = s.n
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if c.Actor != "" {
		req.Header.Set(ActorHeader, c.Actor)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	client := c.HTTP
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("calling the daemon at %s: %w", c.URL, err)
	}
	return resp, nil
}
