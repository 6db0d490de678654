package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// The load of TestClusterUnderLoad: SCIM writes (POST, PUT, PATCH,
// DELETE) and reads spread over every node by several workers, each
// request's invocation and response recorded on one clock.

// outcome is what an answer says of a request.
type outcome int

const (
	acked      outcome = iota // 2xx: done
	absent                    // 404: no such user
	notApplied                // nothing was done: not sent, a 409, or a 503 that says so
	unknown                   // it may or may not have been done: a 503 that says so, or no answer once sent
	invalid                   // an answer the API does not give: a 5xx other than 503, or a 4xx the load cannot cause
)

// answer is a response, or what stood for it.
type answer struct {
	status  int // 0: no response
	outcome outcome
	body    map[string]any
	why     string // the error's detail, or the transport's error
}

// loadClient makes the load's requests and keeps the clock.
type loadClient struct {
	http  *http.Client
	start time.Time
}

func newLoadClient() *loadClient {
	// Longer than a pause: a request that reaches a paused node gets its
	// answer once the node resumes.
	return &loadClient{start: time.Now(), http: &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
}

// now is the time on the history's clock (monotonic), in nanoseconds.
func (lc *loadClient) now() int64 { return int64(time.Since(lc.start)) }

// do sends a SCIM request to node and says what its answer means.
func (lc *loadClient) do(n *clusterNode, method, path, body string) answer {
	return lc.send(n, method, "/scim/v2/okta"+path, loadSCIMToken, body)
}

// admin sends an admin API request to node.
func (lc *loadClient) admin(n *clusterNode, method, path string) answer {
	return lc.send(n, method, "/api/v1"+path, loadAdminToken, "")
}

func (lc *loadClient) send(n *clusterNode, method, path, token, body string) answer {
	req, err := http.NewRequest(method, n.url()+path, strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := lc.http.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return answer{outcome: notApplied, why: err.Error()} // never sent
		}
		return answer{outcome: unknown, why: err.Error()}
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode}
	json.NewDecoder(resp.Body).Decode(&a.body)
	a.why, _ = a.body["detail"].(string)
	switch {
	case resp.StatusCode < 300:
		a.outcome = acked
	case resp.StatusCode == http.StatusNotFound:
		a.outcome = absent
	case resp.StatusCode == http.StatusConflict:
		a.outcome = notApplied // the user kept changing: retry
	case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "":
		a.outcome, a.why = invalid, "503 without Retry-After: "+a.why
	case resp.StatusCode == http.StatusServiceUnavailable && strings.Contains(a.why, "may or may not"):
		a.outcome = unknown
	case resp.StatusCode == http.StatusServiceUnavailable:
		a.outcome = notApplied // no leader, or starting: nothing was changed
	default:
		a.outcome = invalid
	}
	return a
}

// call is one request of the history.
type call struct {
	worker     int
	node       int
	method     string
	user       string // the user's id ("" for a POST that got none)
	shared     bool   // to a shared user: in the linearizability check
	value      string // the title written, or read
	status     int
	outcome    outcome
	why        string // the error's detail, when not acknowledged
	start, end int64  // on the load's clock
}

func (c call) write() bool { return c.method != http.MethodGet }

// userState is what SCIM shows of a user the load writes.
type userState struct {
	gone   bool // deleted: 404
	title  string
	active bool
}

func (s userState) String() string {
	if s.gone {
		return "deleted"
	}
	return fmt.Sprintf("{title %q, active %v}", s.title, s.active)
}

// ownUser is a user only one worker writes: what it can be is known from
// the answers, without a linearizability check.
type ownUser struct {
	id, userName string
	// states are what the user may be now: one after an acknowledged
	// write, more after a write whose outcome is unknown.
	states []userState
}

// userWrite is a write to an own user.
type userWrite struct {
	method     string
	title      string
	deactivate bool // a PATCH of active to false rather than of title
}

func (w userWrite) apply(s userState) userState {
	switch {
	case w.method == http.MethodDelete:
		return userState{gone: true}
	case w.method == http.MethodPut:
		return userState{title: w.title, active: true}
	case w.deactivate:
		s.active = false
	default:
		s.title = w.title
	}
	return s
}

// record takes an answer to w into what u may be, or says why the answer
// cannot be.
func (u *ownUser) record(w userWrite, a answer) error {
	var next []userState
	switch a.outcome {
	case acked:
		for _, s := range u.states {
			if !s.gone {
				next = append(next, w.apply(s))
			}
		}
		if len(next) == 0 {
			return fmt.Errorf("%s acknowledged, but the user was deleted", w.method)
		}
		if title, _ := a.body["title"].(string); w.method == http.MethodPut && title != w.title {
			return fmt.Errorf("PUT of title %q acknowledged with title %q", w.title, title)
		}
	case absent:
		for _, s := range u.states {
			if s.gone {
				next = append(next, s)
			}
		}
		if len(next) == 0 {
			return fmt.Errorf("%s got 404 for a user that is %v after its acknowledged writes", w.method, u.states)
		}
	case unknown:
		next = u.states
		for _, s := range u.states {
			if !s.gone {
				next = append(next, w.apply(s))
			}
		}
	default:
		return nil
	}
	slices.SortFunc(next, func(a, b userState) int { return strings.Compare(a.String(), b.String()) })
	u.states = slices.Compact(next)
	return nil
}

// sharedUser is a user every shared worker writes.
type sharedUser struct{ id, userName string }

// sharedValues are the titles written to shared users: few, so that a
// write often sets the value a user already has.
var sharedValues = []string{"a", "b", "c", "d"}

// loadStats count the answers of the load.
type loadStats struct {
	acked     map[string]int // writes, by method
	reads     int
	unknown   int // writes whose outcome is unknown: 503 that says so
	noAnswer  int // or no answer once sent
	unchanged int // 503 that says nothing changed: no leader, or starting
	conflicts int // 409: the user kept changing
	notSent   int // the node was down
}

func (s *loadStats) add(o loadStats) {
	if s.acked == nil {
		s.acked = map[string]int{}
	}
	for m, n := range o.acked {
		s.acked[m] += n
	}
	s.reads += o.reads
	s.unknown += o.unknown
	s.noAnswer += o.noAnswer
	s.unchanged += o.unchanged
	s.conflicts += o.conflicts
	s.notSent += o.notSent
}

func (s loadStats) writes() int {
	n := 0
	for _, c := range s.acked {
		n += c
	}
	return n
}

func (s loadStats) String() string {
	return fmt.Sprintf("%d acknowledged writes (%d POST, %d PUT, %d PATCH, %d DELETE), %d reads; "+
		"writes not acknowledged: %d of unknown outcome (%d 503 that says so, %d without an answer), %d 503 that changed nothing, %d 409, %d not sent to a node down",
		s.writes(), s.acked["POST"], s.acked["PUT"], s.acked["PATCH"], s.acked["DELETE"], s.reads,
		s.unknown+s.noAnswer, s.unknown, s.noAnswer, s.unchanged, s.conflicts, s.notSent)
}

// load runs the workers of a round until finish.
type load struct {
	lc     *loadClient
	nodes  []*clusterNode
	round  int
	shared []sharedUser
	stop   chan struct{}
	wg     sync.WaitGroup

	mu       sync.Mutex
	calls    []call
	users    []*ownUser
	problems []string
	stats    loadStats
}

const (
	ownWorkers    = 6
	sharedWorkers = 4
	sharedUsers   = 2
)

// startLoad creates the round's shared users and starts the workers.
func startLoad(lc *loadClient, c *testCluster, round int) (*load, error) {
	l := &load{lc: lc, nodes: c.nodes, round: round, stop: make(chan struct{}), stats: loadStats{acked: map[string]int{}}}
	for i := range sharedUsers {
		name := fmt.Sprintf("shared-r%d-%d@acme.com", round, i)
		a := lc.do(c.nodes[i%len(c.nodes)], http.MethodPost, "/Users", userBody(name, sharedValues[0]))
		if a.status != http.StatusCreated {
			return nil, fmt.Errorf("creating shared user %s: %d %s", name, a.status, a.why)
		}
		l.shared = append(l.shared, sharedUser{id: a.body["id"].(string), userName: name})
	}
	for w := range ownWorkers {
		l.wg.Add(1)
		go l.ownWorker(w)
	}
	for w := range sharedWorkers {
		l.wg.Add(1)
		go l.sharedWorker(ownWorkers + w)
	}
	return l, nil
}

// finish stops the workers and waits for their last requests.
func (l *load) finish() {
	close(l.stop)
	l.wg.Wait()
}

func (l *load) stopped() bool {
	select {
	case <-l.stop:
		return true
	default:
		return false
	}
}

func userBody(userName, title string) string {
	b, _ := json.Marshal(map[string]any{"userName": userName, "title": title, "active": true})
	return string(b)
}

func titlePatch(title string) string {
	b, _ := json.Marshal(map[string]any{"Operations": []any{map[string]any{"op": "replace", "path": "title", "value": title}}})
	return string(b)
}

const deactivatePatch = `{"Operations":[{"op":"replace","path":"active","value":false}]}`

// pick returns the node worker w sends its next request to: as a load
// balancer would, one that its health check finds up; but the first
// worker of each kind sends to any node, and so also to a node just
// killed, or paused (its request waits until the node resumes).
func (l *load) pick(w int) int {
	var up []int
	for i, n := range l.nodes {
		if n.avail.Load() {
			up = append(up, i)
		}
	}
	if w == 0 || w == ownWorkers || len(up) == 0 {
		return rand.IntN(len(l.nodes))
	}
	return up[rand.IntN(len(up))]
}

// send sends a request, records it in the history and the stats, and
// returns its answer.
func (l *load) send(c call, path, body string) answer {
	c.node = l.pick(c.worker)
	c.start = l.lc.now()
	a := l.lc.do(l.nodes[c.node], c.method, path, body)
	c.end = l.lc.now()
	c.status, c.outcome = a.status, a.outcome
	if a.outcome != acked {
		c.why = a.why
	}
	if c.method == http.MethodGet && a.outcome == acked {
		c.value, _ = a.body["title"].(string)
	}
	if c.user == "" {
		c.user, _ = a.body["id"].(string)
	}
	l.mu.Lock()
	l.recordLocked(c, path, a)
	l.mu.Unlock()
	if a.outcome == notApplied && a.status == 0 {
		time.Sleep(10 * time.Millisecond) // the node is down: not a busy loop
	}
	return a
}

// recordLocked adds a request and its answer to the history and the
// stats.
func (l *load) recordLocked(c call, path string, a answer) {
	l.calls = append(l.calls, c)
	switch {
	case a.outcome == invalid:
		l.problemLocked("%s %s on %s: %d %s", c.method, path, l.nodes[c.node].id, a.status, a.why)
	case c.method == http.MethodGet:
		if a.outcome == acked {
			l.stats.reads++
		}
	case a.outcome == acked:
		l.stats.acked[c.method]++
	case a.outcome == unknown && a.status == 0:
		l.stats.noAnswer++
	case a.outcome == unknown:
		l.stats.unknown++
	case a.status == 0:
		l.stats.notSent++
	case a.status == http.StatusConflict:
		l.stats.conflicts++
	case a.outcome == notApplied:
		l.stats.unchanged++
	}
}

func (l *load) problem(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.problemLocked(format, args...)
}

func (l *load) problemLocked(format string, args ...any) {
	l.problems = append(l.problems, fmt.Sprintf("round %d: ", l.round)+fmt.Sprintf(format, args...))
}

// ownWorker creates users and writes them, each with PUT, PATCH and
// DELETE, and records what each of them may be.
func (l *load) ownWorker(w int) {
	defer l.wg.Done()
	var live []*ownUser
	for i := 0; !l.stopped(); i++ {
		title := fmt.Sprintf("r%d-w%d-%d", l.round, w, i)
		if len(live) < 3 || rand.IntN(6) == 0 {
			name := fmt.Sprintf("r%d-w%d-%d@acme.com", l.round, w, i)
			a := l.send(call{worker: w, method: http.MethodPost, value: title}, "/Users", userBody(name, title))
			switch {
			case a.outcome == acked:
				u := &ownUser{id: a.body["id"].(string), userName: name, states: []userState{{title: title, active: true}}}
				live = append(live, u)
				l.mu.Lock()
				l.users = append(l.users, u)
				l.mu.Unlock()
			case a.status == http.StatusConflict:
				l.problem("POST of the new userName %s: %d %s", name, a.status, a.why)
			}
			continue
		}
		k := rand.IntN(len(live))
		u := live[k]
		var wr userWrite
		var body string
		switch r := rand.IntN(10); {
		case r < 4:
			wr, body = userWrite{method: http.MethodPut, title: title}, userBody(u.userName, title)
		case r < 8:
			wr, body = userWrite{method: http.MethodPatch, title: title}, titlePatch(title)
		case r < 9:
			wr, body = userWrite{method: http.MethodPatch, deactivate: true}, deactivatePatch
		default:
			wr = userWrite{method: http.MethodDelete}
		}
		a := l.send(call{worker: w, method: wr.method, user: u.id, value: wr.title}, "/Users/"+u.id, body)
		if err := u.record(wr, a); err != nil {
			l.problem("user %s (%s): %v", u.id, u.userName, err)
		}
		if a.outcome == absent || wr.method == http.MethodDelete && a.outcome != notApplied {
			live = slices.Delete(live, k, k+1)
		}
	}
}

// sharedWorker reads and writes the title of the shared users, which
// every shared worker writes: their history is checked for
// linearizability.
func (l *load) sharedWorker(w int) {
	defer l.wg.Done()
	for !l.stopped() {
		u := l.shared[rand.IntN(len(l.shared))]
		id := u.id
		value := sharedValues[rand.IntN(len(sharedValues))]
		c := call{worker: w, user: id, shared: true}
		var a answer
		switch r := rand.IntN(4); {
		case r < 2:
			c.method = http.MethodGet
			a = l.send(c, "/Users/"+id, "")
		case r < 3:
			c.method, c.value = http.MethodPut, value
			a = l.send(c, "/Users/"+id, userBody(u.userName, value))
		default:
			c.method, c.value = http.MethodPatch, value
			a = l.send(c, "/Users/"+id, titlePatch(value))
		}
		if a.outcome == absent {
			l.problem("%s of shared user %s: 404", c.method, id)
		}
	}
}

// waitAcks waits until n writes have been acknowledged.
func (l *load) waitAcks(n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		l.mu.Lock()
		got := l.stats.writes()
		l.mu.Unlock()
		if got >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d writes acknowledged in %v, want %d", got, timeout, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// firstAckAfter waits for a write sent after since (on the load's clock)
// and acknowledged by another node than skip, and returns when it was.
func (l *load) firstAckAfter(since int64, skip int, timeout time.Duration) (int64, error) {
	deadline := time.Now().Add(timeout)
	seen := 0
	first := int64(-1)
	for {
		l.mu.Lock()
		for _, c := range l.calls[seen:] {
			if c.write() && c.outcome == acked && c.node != skip && c.start >= since && (first < 0 || c.end < first) {
				first = c.end
			}
		}
		seen = len(l.calls)
		l.mu.Unlock()
		if first >= 0 {
			return first, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no write acknowledged within %v", timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
