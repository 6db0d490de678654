package scim

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
)

// Rejected requests are not all audit events. A rejected read (a bad
// filter, an unknown id) changed nothing: it is counted (ObserveRejected)
// and logged at debug level, never written to the sync log, which a
// client could otherwise flood with requests that cost it nothing. A
// rejected write is counted too, and sampled into the sync log: the first
// few of each provider in each minute one by one, then one event saying
// how many more there were (rejectSampler). The sync log keeps each
// provider's rejections apart from the changes (state.SyncLogRejectedRetention).

// rejectWindow is the rejected writes of one provider within a minute.
type rejectWindow struct {
	start      time.Time
	recorded   int
	suppressed int
	timer      *time.Timer // summarizes the window when it ends, once one is suppressed
}

// rejectSampler decides which rejected writes the sync log records.
type rejectSampler struct {
	limit  int           // recorded one by one per provider and window
	window time.Duration // a minute
	now    func() time.Time
	// summarize records that n rejected writes of provider in the window
	// from start were not recorded one by one.
	summarize func(provider string, n int, start time.Time)

	mu      sync.Mutex
	windows map[string]*rejectWindow
}

func newRejectSampler(limit int, now func() time.Time, summarize func(string, int, time.Time)) *rejectSampler {
	return &rejectSampler{limit: limit, window: time.Minute, now: now, summarize: summarize, windows: make(map[string]*rejectWindow)}
}

// admit reports whether a rejected write of provider is recorded one by
// one. A window that ended with writes left out is summarized first, if
// its timer has not done so yet, so that the summary comes before the
// next window's events.
func (s *rejectSampler) admit(provider string) bool {
	now := s.now()
	s.mu.Lock()
	w := s.windows[provider]
	var ended *rejectWindow
	var endedN int
	if w != nil && !now.Before(w.start.Add(s.window)) {
		ended, endedN = w, w.suppressed
		w.suppressed = 0 // its timer finds nothing left to say
		if w.timer != nil {
			w.timer.Stop()
		}
		w = nil
	}
	if w == nil {
		w = &rejectWindow{start: now}
		s.windows[provider] = w
	}
	admit := w.recorded < s.limit
	if admit {
		w.recorded++
	} else {
		w.suppressed++
		if w.timer == nil {
			w.timer = time.AfterFunc(w.start.Add(s.window).Sub(now), func() { s.flush(provider, w) })
		}
	}
	s.mu.Unlock()
	if endedN > 0 {
		s.summarize(provider, endedN, ended.start)
	}
	return admit
}

// flush summarizes a window that ended, unless that was done.
func (s *rejectSampler) flush(provider string, w *rejectWindow) {
	s.mu.Lock()
	n := w.suppressed
	w.suppressed = 0
	if s.windows[provider] == w {
		delete(s.windows, provider)
	}
	s.mu.Unlock()
	if n > 0 {
		s.summarize(provider, n, w.start)
	}
}

// close summarizes every window now, without waiting for its end.
func (s *rejectSampler) close() {
	s.mu.Lock()
	windows := s.windows
	s.windows = make(map[string]*rejectWindow)
	type pending struct {
		provider string
		n        int
		start    time.Time
	}
	var due []pending
	for p, w := range windows {
		if w.timer != nil {
			w.timer.Stop()
		}
		if w.suppressed > 0 {
			due = append(due, pending{p, w.suppressed, w.start})
			w.suppressed = 0
		}
	}
	s.mu.Unlock()
	for _, d := range due {
		s.summarize(d.provider, d.n, d.start)
	}
}

// IsRead reports whether a SCIM request only reads: GET, HEAD and the POST of
// a search (RFC 7644 §3.4.3).
func IsRead(r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	path := strings.TrimSuffix(r.URL.Path, "/")
	return r.Method == http.MethodPost && strings.EqualFold(path[strings.LastIndexByte(path, '/')+1:], ".search")
}

// observeRejected counts a rejected request by provider, kind (read or
// write) and reason: the scimType, or the status code without one.
func (s *Server) observeRejected(r *http.Request, provider string, e *protocol.Error) {
	if s.opts.ObserveRejected == nil {
		return
	}
	kind, reason := "write", e.ScimType
	if IsRead(r) {
		kind = "read"
	}
	if reason == "" {
		reason = strconv.Itoa(e.Status)
	}
	s.opts.ObserveRejected(provider, kind, reason)
}

// reject answers with a SCIM error, counts it, and records a sample of
// the rejected writes in the sync log.
func (s *Server) reject(r *request, e *protocol.Error) {
	writeError(r.w, e)
	s.observeRejected(r.Request, r.provider.Name, e)
	if IsRead(r.Request) {
		s.log.Debug("scim: read rejected", "provider", r.provider.Name, "method", r.Method, "path", r.URL.Path,
			"status", e.Status, "scimType", e.ScimType, "detail", e.Detail, "requestId", r.id)
		return
	}
	// Neither a write refused for its rate nor one the state could not take
	// (503: no leader, or none that answered) is recorded in the state.
	if e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable || !s.rejects.admit(r.provider.Name) {
		return
	}
	path := strings.TrimPrefix(r.URL.Path, Prefix+r.provider.Name)
	ev := &state.SyncEvent{
		Source: state.SourceSCIM, Action: "request.rejected", Outcome: state.OutcomeRejected,
		Provider: r.provider.Name, RequestID: r.id, Detail: strings.ToLower(r.Method) + " " + path + ": " + e.Error(),
	}
	// A write to one of the provider's users names them, as its other
	// events do, not by the id in the path alone.
	if id, ok := strings.CutPrefix(path, "/Users/"); ok {
		if u := s.store.View().User(id); u != nil && u.Provider == r.provider.Name {
			ev.UserID, ev.UserName = u.ID, u.UserName
		}
	}
	s.recordRejection(r.Context(), ev)
}

// summarizeRejections records that n rejected writes were left out of
// the sync log.
func (s *Server) summarizeRejections(provider string, n int, start time.Time) {
	s.recordRejection(context.Background(), &state.SyncEvent{
		Source: state.SourceSCIM, Action: "request.rejected.summary", Outcome: state.OutcomeRejected, Provider: provider,
		Detail: strconv.Itoa(n) + " more rejected writes in the minute from " + start.UTC().Format(time.RFC3339) +
			" were not recorded one by one (every rejected request is counted in /metrics)",
	})
}

func (s *Server) recordRejection(ctx context.Context, ev *state.SyncEvent) {
	if _, err := s.store.Apply(context.WithoutCancel(ctx), &state.Command{Type: state.CmdSyncEvent, SyncEvent: ev}); err != nil {
		s.log.Error("scim: recording a rejected request", "provider", ev.Provider, "err", err)
	}
}

// Close records the rejected writes left out of the sync log and not
// summarized yet. Call it once the HTTP server stopped, before the store
// is closed.
func (s *Server) Close() {
	s.rejects.close()
}
