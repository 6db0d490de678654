package scim

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
	"golang.org/x/time/rate"
)

// Store is the state the server reads and writes; *state.Store
// implements it.
type Store interface {
	View() *state.View
	Apply(ctx context.Context, cmd *state.Command) (state.Result, error)
}

// Options tune a Server; the zero value is fine.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// MaxBodyBytes bounds request bodies (413 beyond); 1 MiB by default.
	MaxBodyBytes int64
	// MaxResults caps the count of a list page (filter.maxResults); 1000
	// by default.
	MaxResults int
	// ExternalURL is the daemon's URL as clients reach it (e.g.
	// https://scim.example.com), for meta.location; by default it is
	// derived from each request.
	ExternalURL string
	// Observe is told about every request: the provider ("" when it did
	// not authenticate), the method, the status and how long it took.
	Observe func(provider, method string, status int, d time.Duration)
	// ObserveRejected is told about every request refused with an error
	// after it authenticated: the provider, the kind ("read" or "write")
	// and the reason (the scimType, or the status code without one).
	ObserveRejected func(provider, kind, reason string)
	// RejectedWritesPerMinute is how many rejected writes of a provider
	// the sync log records one by one in a minute; one event then says
	// how many more there were. 20 by default.
	RejectedWritesPerMinute int
	// AccessLog, when set, is told a line per request at info level
	// (accesslog.go).
	AccessLog *slog.Logger
}

// Server serves SCIM 2.0 for every provider at /scim/v2/{provider}/.
type Server struct {
	store Store
	opts  Options
	log   *slog.Logger

	mu       sync.Mutex
	limiters map[string]*limiter
	authLog  *rate.Limiter
	rejects  *rejectSampler
	creds    *credentials
	queries  *queryGate
}

type limiter struct {
	rps   float64
	burst int
	lim   *rate.Limiter
}

// New returns a SCIM server over store.
func New(store Store, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.MaxResults == 0 {
		opts.MaxResults = 1000
	}
	if opts.RejectedWritesPerMinute == 0 {
		opts.RejectedWritesPerMinute = 20
	}
	opts.ExternalURL = strings.TrimSuffix(opts.ExternalURL, "/")
	s := &Server{store: store, opts: opts, log: opts.Logger, limiters: make(map[string]*limiter), authLog: rate.NewLimiter(5, 20),
		creds: newCredentials(defaultKDFSlots(), kdfWait, maxVerifiedCached), queries: newQueryGate(defaultExpensiveQueries(), expensiveWait)}
	s.rejects = newRejectSampler(opts.RejectedWritesPerMinute, opts.Now, s.summarizeRejections)
	return s
}

// Prefix is where the SCIM service is mounted.
const Prefix = "/scim/v2/"

// request is one authenticated SCIM request.
type request struct {
	*http.Request
	w        http.ResponseWriter
	provider *state.Provider
	base     string // the provider's SCIM base URL, without a trailing slash
	id       string // request id, for the sync log
	now      time.Time
	// barrier is what the request must wait for before it answers from
	// the state, until it has (settle); nil when nothing (DeferBarrier).
	barrier func(context.Context) error
}

// ServeHTTP routes /scim/v2/{provider}/{resource}[/{id}]. Resource names
// match without case and a trailing slash is ignored, as Entra's clients
// expect.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opts.Observe == nil && s.opts.AccessLog == nil {
		s.serve(w, r)
		return
	}
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	s.serve(rec, r)
	d := time.Since(start)
	if s.opts.Observe != nil {
		s.opts.Observe(rec.provider, r.Method, rec.status, d)
	}
	if s.opts.AccessLog != nil {
		logAccess(s.opts.AccessLog, r, rec, d)
	}
}

// statusRecorder remembers the status of a response, and the provider
// the request authenticated as.
type statusRecorder struct {
	http.ResponseWriter
	status   int
	provider string
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		writeError(w, protocol.NotFound("not a SCIM path"))
		return
	}
	rest = strings.TrimSuffix(rest, "/")
	parts := strings.Split(rest, "/")
	if parts[0] == "" {
		writeError(w, protocol.NotFound("the SCIM base URL is %s{provider}/", Prefix))
		return
	}
	barrier := deferredBarrier(r)
	checked := s.store.View().Provider(parts[0])
	p, err := s.authenticate(r, checked)
	if err != nil && err.Status == http.StatusUnauthorized && barrier != nil {
		// This node's state may not hold the provider, or its secret, yet:
		// a node restarted from an older snapshot. Only a state that holds
		// every acknowledged write may refuse the credentials; checked
		// again only if the provider changed (a slow hash costs a KDF).
		if berr := waitBarrier(r.Context(), barrier); berr != nil {
			err = berr
		} else if now := s.store.View().Provider(parts[0]); now != nil && (checked == nil || now.ModifyIndex != checked.ModifyIndex) {
			barrier = nil
			p, err = s.authenticate(r, now)
		}
	}
	if err != nil {
		if s.authLog.Allow() { // at most a few a second, whatever a client sends
			name := parts[0]
			if len(name) > 64 {
				name = name[:64] + "..."
			}
			s.log.Warn("scim: authentication failed", "provider", name, "remote", r.RemoteAddr, "reason", err.Detail)
		}
		writeError(w, err)
		return
	}
	if rec, ok := w.(*statusRecorder); ok {
		rec.provider = p.Name
	}
	if err := s.allow(p); err != nil {
		writeError(w, err)
		s.observeRejected(r, p.Name, err)
		return
	}
	req := &request{Request: r, w: w, provider: p, base: s.baseURL(r, p.Name), id: requestID(r), now: s.opts.Now().UTC(), barrier: barrier}
	w.Header().Set("X-Request-Id", req.id)
	s.route(req, parts[1:])
}

func (s *Server) route(r *request, parts []string) {
	if len(parts) == 0 {
		writeError(r.w, protocol.NotFound("no resource named: try %s/Users", r.base))
		return
	}
	resource := strings.ToLower(parts[0])
	id := ""
	if len(parts) > 1 {
		id = parts[1]
	}
	if len(parts) > 2 {
		writeError(r.w, protocol.NotFound("no such resource"))
		return
	}
	if resource != "users" || IsRead(r.Request) {
		// Only a write to a user waits for its barrier later, if at all.
		if err := s.settle(r); err != nil {
			writeError(r.w, err)
			return
		}
	}
	var err *protocol.Error
	switch resource {
	case "users", "groups":
		rt := protocol.User
		if resource == "groups" {
			rt = protocol.Group
		}
		err = s.resource(r, rt, id)
	case ".search":
		switch {
		case id != "":
			err = protocol.NotFound("no such resource")
		case r.Method == http.MethodPost:
			err = s.searchRoot(r)
		default:
			err = methodNotAllowed(r, "POST") // RFC 7644 §3.4.3: a search is a POST
		}
	case "serviceproviderconfig", "serviceconfiguration":
		err = s.serviceProviderConfig(r, id)
	case "resourcetypes":
		err = s.resourceTypes(r, id)
	case "schemas":
		err = s.schemas(r, id)
	case "bulk":
		err = protocol.Errorf(http.StatusNotImplemented, "", "bulk operations are not supported (see ServiceProviderConfig)")
	case "me":
		err = protocol.Errorf(http.StatusNotImplemented, "", "/Me is not supported: providers act on behalf of no user")
	default:
		err = protocol.NotFound("no resource %q: this service has Users, Groups, ServiceProviderConfig, ResourceTypes and Schemas", parts[0])
	}
	if err != nil {
		s.reject(r, err)
	}
}

func (s *Server) resource(r *request, rt *protocol.ResourceType, id string) *protocol.Error {
	users := rt == protocol.User
	switch {
	case id == "" && r.Method == http.MethodGet:
		return s.list(r, rt, protocol.QueryFromURL(r.URL.Query()))
	case id == "" && r.Method == http.MethodPost && users:
		return s.createUser(r)
	case id == "" && r.Method == http.MethodPost:
		return s.createGroup(r)
	case id == ".search" && r.Method == http.MethodPost:
		return s.search(r, rt)
	case id == ".search":
		return methodNotAllowed(r, "POST") // RFC 7644 §3.4.3: a search is a POST
	case id == "":
		return methodNotAllowed(r, "GET, POST")
	case r.Method == http.MethodGet && users:
		return s.getUser(r, id)
	case r.Method == http.MethodGet:
		return s.getGroup(r, id)
	case r.Method == http.MethodPut && users:
		return s.putUser(r, id)
	case r.Method == http.MethodPut:
		return s.putGroup(r, id)
	case r.Method == http.MethodPatch && users:
		return s.patchUser(r, id)
	case r.Method == http.MethodPatch:
		return s.patchGroup(r, id)
	case r.Method == http.MethodDelete && users:
		return s.deleteUser(r, id)
	case r.Method == http.MethodDelete:
		return s.deleteGroup(r, id)
	}
	return methodNotAllowed(r, "GET, PUT, PATCH, DELETE")
}

func methodNotAllowed(r *request, allow string) *protocol.Error {
	r.w.Header().Set("Allow", allow)
	return protocol.Errorf(http.StatusMethodNotAllowed, "", "%s is not allowed here (allowed: %s)", r.Method, allow)
}

// authenticate checks the request's credentials against the stored hash
// of p, the provider the request names as a view of the state has it
// (nil when it has none). Every failure looks the same to the client; one against a
// provider that does not exist costs what one against a provider with a
// generated secret does, so that it tells nothing about which providers
// exist. (A provider whose secret was chosen costs an argon2id run, in a
// bounded number of slots: see credentials.burn for why the others do not.)
func (s *Server) authenticate(r *http.Request, p *state.Provider) (*state.Provider, *protocol.Error) {
	var scheme string
	if p != nil {
		scheme = p.Auth.Type
	}
	auth := r.Header.Get("Authorization")
	var secret []byte
	formOK := false // the provider's scheme, and its username for Basic
	switch kind, cred, _ := strings.Cut(auth, " "); {
	case scheme == "bearer" && strings.EqualFold(kind, "Bearer"):
		secret, formOK = []byte(strings.TrimSpace(cred)), true
	case scheme == "basic":
		u, pw, basicOK := r.BasicAuth()
		secret, formOK = []byte(pw), subtleEqual(u, p.Auth.Username) && basicOK
	default:
		secret = []byte(cred)
	}
	ok, slow := false, false
	var err error
	if formOK {
		ok, slow, err = s.creds.verify(r.Context(), p.Name, p.Auth.Secret, secret)
		if prev := p.Auth.Previous; !ok && err == nil && prev.Valid(time.Now()) {
			// Rotated: the old secret works until the overlap ends.
			var prevSlow bool
			ok, prevSlow, err = s.creds.verify(r.Context(), p.Name, prev.Secret, secret)
			slow = slow || prevSlow
		}
	}
	if !ok && !slow && err == nil && auth != "" {
		// A request without credentials costs nothing, whatever the
		// provider.
		s.creds.burn(secret)
	}
	if err != nil {
		e := protocol.Errorf(http.StatusServiceUnavailable, "", "too many credentials are being checked at once; retry later")
		e.RetryAfter = time.Second
		return nil, e
	}
	if !ok {
		e := protocol.Errorf(http.StatusUnauthorized, "", "authentication failed: send the provider's credentials (Authorization: Bearer or Basic)")
		if auth == "" {
			e.Detail = "authentication required: send the provider's credentials (Authorization: Bearer or Basic)"
		}
		// The same challenges whatever the provider: a 401 tells nothing
		// about which providers exist or how they authenticate.
		e.Challenge = challenges
		return nil, e
	}
	return p, nil
}

var challenges = []string{`Bearer realm="reconcile SCIM"`, `Basic realm="reconcile SCIM", charset="UTF-8"`}

func subtleEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// allow applies the provider's rate limit.
func (s *Server) allow(p *state.Provider) *protocol.Error {
	rps, burst := p.RateLimit.RequestsPerSecond, p.RateLimit.Burst
	if rps <= 0 {
		return nil
	}
	if burst <= 0 {
		burst = max(1, int(math.Ceil(rps))) // the rate rounded up, as config.cue says
	}
	s.mu.Lock()
	l := s.limiters[p.Name]
	if l == nil || l.rps != rps || l.burst != burst {
		l = &limiter{rps: rps, burst: burst, lim: rate.NewLimiter(rate.Limit(rps), burst)}
		s.limiters[p.Name] = l
	}
	s.mu.Unlock()
	res := l.lim.Reserve()
	if delay := res.Delay(); delay > 0 {
		res.Cancel()
		e := protocol.Errorf(http.StatusTooManyRequests, "", "provider %s is over its rate limit of %g requests per second; retry later", p.Name, rps)
		e.RetryAfter = delay
		return e
	}
	return nil
}

func (s *Server) baseURL(r *http.Request, provider string) string {
	if s.opts.ExternalURL != "" {
		return s.opts.ExternalURL + Prefix + provider
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + Prefix + provider
}

// requestID is the client's request id (Entra sends client-request-id),
// or a new one.
func requestID(r *http.Request) string {
	for _, h := range []string{"X-Request-Id", "Client-Request-Id"} {
		if v := r.Header.Get(h); v != "" && len(v) <= 128 {
			return v
		}
	}
	b := make([]byte, 12)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// view is the state as a request of r's provider sees it: with the users
// the provider's rollout keeps staged, which only its own requests see.
// A live provider has none (a promotion makes them all live), and its
// requests pay nothing for them.
func (s *Server) view(r *request) *state.View {
	if !r.provider.Rollout.Staging() {
		return s.store.View()
	}
	return s.store.View().WithStaged(r.provider.Name)
}
