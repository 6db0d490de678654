// Package bench is a load generator for the SCIM endpoint of a running
// daemon. It drives the daemon the way PingOne does (a userName lookup,
// then a POST; PUT updates; active: false) or with pure GET-by-id and
// filter loads, from N concurrent workers, for a fixed duration or at a
// fixed rate. In the same run it starts a bare net/http baseline server
// doing the same JSON work without storage, so that results are reported
// as a ratio that holds on a noisy machine. It only ever targets loopback.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Scenarios.
const (
	ScenarioSync   = "sync"        // per user: a lookup (GET ?filter=), then POST
	ScenarioPost   = "post"        // POST new users
	ScenarioGet    = "get"         // GET /Users/{id} of existing users
	ScenarioFilter = "filter"      // the lookup (GET ?filter=) of existing users
	ScenarioPut    = "put"         // PUT an update of existing users
	ScenarioOff    = "deprovision" // PUT active: false of existing users
)

// Scenarios lists them, for help texts.
var Scenarios = []string{ScenarioSync, ScenarioPost, ScenarioGet, ScenarioFilter, ScenarioPut, ScenarioOff}

// Lookups: the filter an identity provider looks a user up with before
// writing, by the attribute it matches users on.
const (
	LookupUserName   = "userName"   // PingOne (username Eq) and Okta
	LookupExternalID = "externalId" // Entra's default matching attribute
	LookupEmail      = "email"      // emails[type eq "work"].value, also Entra
)

// Lookups lists them, for help texts.
var Lookups = []string{LookupUserName, LookupExternalID, LookupEmail}

// lookupFilter is the filter that finds the user User(userName, ...)
// describes.
func lookupFilter(lookup, userName string) string {
	switch lookup {
	case LookupExternalID:
		return `externalId eq "ext-` + userName + `"`
	case LookupEmail:
		return `emails[type eq "work"].value eq "` + userName + `"`
	}
	return `userName eq "` + userName + `"`
}

// Config is one run.
type Config struct {
	BaseURL  string // the provider's SCIM base URL, e.g. http://127.0.0.1:8080/scim/v2/okta
	Auth     string // the Authorization header
	Scenario string
	Workers  int
	// Duration bounds the run; Users bounds it too (a sync of N users
	// stops after N). At least one is set.
	Duration time.Duration
	Users    int
	// Rate, when set, issues that many operations a second (open loop:
	// latency counts from when an operation was due).
	Rate float64
	// Prefix makes the userNames of this run unique.
	Prefix string
	// Lookup is how sync and filter look users up (Lookups); userName by
	// default.
	Lookup string
	// MetricsURL is the daemon's /metrics, for its log figures; by
	// default /metrics on BaseURL's host. MetricsAuth is the
	// Authorization header it requires, if any.
	MetricsURL  string
	MetricsAuth string
	// Spread lists the same provider's base URLs on the other nodes of a
	// cluster: the workers are spread over BaseURL and these, worker i
	// sending to the (i mod n)-th of them, as a load balancer spreads an
	// identity provider's connections. Metrics are BaseURL's.
	Spread []string
}

// Result is what a run measured.
type Result struct {
	Target     string
	Ops        int // operations run, failed ones included
	Errors     int
	Elapsed    time.Duration
	Latencies  []time.Duration // of the successful operations, sorted
	FirstError string
}

// Throughput is successful operations per second.
func (r *Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Ops-r.Errors) / r.Elapsed.Seconds()
}

// tally is what one worker of a run counted.
type tally struct {
	ops, errs int
	lat       []time.Duration // of the successful operations
	first     string          // the first error
}

func (t *tally) failed(err error) {
	t.errs++
	if t.first == "" {
		t.first = err.Error()
	}
}

// add counts a worker's tally in r.
func (r *Result) add(t *tally) {
	r.Ops += t.ops
	r.Errors += t.errs
	r.Latencies = append(r.Latencies, t.lat...)
	if r.FirstError == "" {
		r.FirstError = t.first
	}
}

// Percentile returns the latency of successful operations at p (0..1).
func (r *Result) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(p * float64(len(r.Latencies)-1))
	return r.Latencies[i]
}

// CheckLoopback refuses any target that is not on this machine. Its
// errors, like NewClient's, say what is wrong with the target without
// repeating it.
func CheckLoopback(raw string) error {
	u, err := parseTarget(raw)
	if err != nil {
		return err
	}
	ips, err := net.LookupIP(u.Hostname())
	if err != nil {
		return err
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return errors.New("not a loopback address: bench only loads this machine")
		}
	}
	return nil
}

// CheckMetricsURL refuses a metrics URL that is not http or https on this
// machine.
func CheckMetricsURL(raw string) error {
	if _, _, err := hostClient(raw); err != nil {
		return err
	}
	return CheckLoopback(raw)
}

// parseTarget parses a target URL; its error leaves the URL out.
func parseTarget(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if ue, ok := err.(*url.Error); ok {
		err = ue.Err
	}
	return u, err
}

// Client is a SCIM client for one run. It speaks HTTP with fasthttp's
// client, which writes and reads each connection in the calling worker:
// net/http's client hands every request to two goroutines of its own, and
// on a 2-core machine shared with the daemon that cost the daemon a third
// of the CPU a sync leaves it.
type Client struct {
	cfg   Config
	nodes []node   // BaseURL, then Spread
	ids   []string // existing users, for get/put/filter
	names []string
	seq   atomic.Int64
	// metrics reads metricsURL: http, unless MetricsURL names another
	// host.
	metrics    *fasthttp.HostClient
	metricsURL string
}

// node is one base URL a client sends to.
type node struct {
	base string
	http *fasthttp.HostClient
	url  *url.URL
}

// NewClient returns a client for cfg.
func NewClient(cfg Config) (*Client, error) {
	c := &Client{cfg: cfg}
	for i, base := range append([]string{cfg.BaseURL}, cfg.Spread...) {
		hc, u, err := hostClient(base)
		if err != nil {
			if i > 0 {
				return nil, fmt.Errorf("%s: %w", base, err)
			}
			return nil, err
		}
		c.nodes = append(c.nodes, node{base: base, http: hc, url: u})
	}
	first := c.nodes[0]
	c.metrics, c.metricsURL = first.http, first.url.Scheme+"://"+first.url.Host+"/metrics"
	if cfg.MetricsURL != "" {
		var err error
		if c.metrics, _, err = hostClient(cfg.MetricsURL); err != nil {
			return nil, fmt.Errorf("metrics URL: %w", err)
		}
		c.metricsURL = cfg.MetricsURL
	}
	return c, nil
}

// hostClient returns a client for the host of an http or https URL.
func hostClient(raw string) (*fasthttp.HostClient, *url.URL, error) {
	u, err := parseTarget(raw)
	if err != nil {
		return nil, nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, nil, errors.New("want an http or https URL")
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
	}
	return &fasthttp.HostClient{
		Addr:          addr,
		IsTLS:         u.Scheme == "https",
		DialDualStack: true,    // [::1] is loopback too
		MaxConns:      1 << 16, // no limit: each worker keeps one connection busy
		ReadTimeout:   time.Minute,
		WriteTimeout:  time.Minute,
	}, u, nil
}

// node returns the node worker i sends to.
func (c *Client) node(i int) *node { return &c.nodes[i%len(c.nodes)] }

// do sends one request to n and returns the response's status. see, if
// not nil, is given the body, which is valid only until it returns. A
// request not answered by the run's deadline fails (fasthttp takes no
// context).
func (c *Client) do(ctx context.Context, n *node, method, path string, body []byte, see func(body []byte) error) (int, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(n.base + path)
	req.Header.SetMethod(method)
	req.Header.Set("Authorization", c.cfg.Auth)
	if body != nil {
		req.Header.SetContentType("application/scim+json")
		req.SetBodyRaw(body)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(time.Minute)
	}
	if err := n.http.DoDeadline(req, resp, deadline); err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, n.url.Path+path, err)
	}
	if see != nil {
		return resp.StatusCode(), see(resp.Body())
	}
	return resp.StatusCode(), nil
}

func (c *Client) userName(i int64) string {
	return fmt.Sprintf("%s-%d@bench.example", c.cfg.Prefix, i)
}

func (c *Client) filterPath(userName string) string {
	return "/Users?filter=" + url.QueryEscape(lookupFilter(c.cfg.Lookup, userName))
}

var (
	errStatus   = errors.New("unexpected status")
	errNotFound = errors.New("the lookup did not find the user")
)

// op runs one operation of the scenario on n.
func (c *Client) op(ctx context.Context, n *node) error {
	// A status other than the one wanted is the error to report, before
	// what the body says; code 0 is a request that got no answer.
	check := func(code int, err error, want int) error {
		if code != 0 && code != want {
			return fmt.Errorf("%w %d", errStatus, code)
		}
		return err
	}
	switch c.cfg.Scenario {
	case ScenarioSync:
		name := c.userName(c.seq.Add(1))
		code, err := c.do(ctx, n, "GET", c.filterPath(name), nil, nil)
		if err := check(code, err, 200); err != nil {
			return err
		}
		code, err = c.do(ctx, n, "POST", "/Users", User(name, true), nil)
		return check(code, err, 201)
	case ScenarioPost:
		code, err := c.do(ctx, n, "POST", "/Users", User(c.userName(c.seq.Add(1)), true), nil)
		return check(code, err, 201)
	case ScenarioGet:
		code, err := c.do(ctx, n, "GET", "/Users/"+c.ids[rand.IntN(len(c.ids))], nil, nil)
		return check(code, err, 200)
	case ScenarioFilter:
		code, err := c.do(ctx, n, "GET", c.filterPath(c.names[rand.IntN(len(c.names))]), nil, func(body []byte) error {
			if !bytes.Contains(body, []byte(`"totalResults":1,`)) && !bytes.Contains(body, []byte(`"totalResults":1}`)) {
				return errNotFound // the user exists: the lookup must find it
			}
			return nil
		})
		return check(code, err, 200)
	case ScenarioPut, ScenarioOff:
		i := rand.IntN(len(c.ids))
		body := User(c.names[i], c.cfg.Scenario == ScenarioPut)
		if c.cfg.Scenario == ScenarioPut { // a change, so that the PUT writes
			body = bytes.Replace(body, []byte("Load Generator"), fmt.Appendf(nil, "Load Generator %d", c.seq.Add(1)), 1)
		}
		code, err := c.do(ctx, n, "PUT", "/Users/"+c.ids[i], body, nil)
		return check(code, err, 200)
	}
	return fmt.Errorf("unknown scenario %q", c.cfg.Scenario)
}

// Prepare creates n users for the scenarios that read or change existing
// ones (not measured).
func (c *Client) Prepare(ctx context.Context, n int) error {
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				// By the user, not the worker: the first workers may take
				// every user before the last start.
				to := c.node(int(i))
				name := fmt.Sprintf("%s-prep-%d@bench.example", c.cfg.Prefix, i)
				var answer []byte
				code, err := c.do(ctx, to, "POST", "/Users", User(name, true), func(body []byte) error {
					answer = append(answer, body...)
					return nil
				})
				if err == nil && code != 201 {
					err = fmt.Errorf("preparing users: POST got %d: %s", code, answer)
				}
				var u struct {
					ID string `json:"id"`
				}
				if err == nil {
					err = json.Unmarshal(answer, &u)
				}
				if err == nil {
					err = ctx.Err() // interrupted
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				c.ids, c.names = append(c.ids, u.ID), append(c.names, name)
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// over tells whether a run is over: ctx is done, or its deadline has
// passed, which a request's deadline can see before ctx does.
func over(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ctx.Err() != nil || ok && !time.Now().Before(d)
}

// Run runs the scenario and measures it.
func (c *Client) Run(ctx context.Context, target string) *Result {
	cfg := c.cfg
	cfg.Workers = max(cfg.Workers, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the schedule
	if cfg.Duration > 0 {
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	res := &Result{Target: target}
	var mu sync.Mutex
	var remaining atomic.Int64
	remaining.Store(int64(cfg.Users))
	start := time.Now()
	var due <-chan time.Time
	if cfg.Rate > 0 {
		due = schedule(ctx, start, cfg.Rate)
	}
	var wg sync.WaitGroup
	for w := range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := c.node(w)
			var t tally
			for !over(ctx) {
				if cfg.Users > 0 && remaining.Add(-1) < 0 {
					break
				}
				began := time.Now()
				if due != nil {
					select {
					case <-ctx.Done():
						continue
					case began = <-due:
					}
				}
				err := c.op(ctx, n)
				if err != nil && over(ctx) {
					break // cut off by the deadline: not an error of the target
				}
				t.ops++
				if err != nil {
					t.failed(err)
					continue
				}
				t.lat = append(t.lat, time.Since(began))
			}
			mu.Lock()
			res.add(&t)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	slices.Sort(res.Latencies)
	return res
}
