package reconcile

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"testing/synctest"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

// fakeSource serves the config files it holds, or an error.
type fakeSource struct {
	mu      sync.Mutex
	files   map[string]string
	rev     int
	err     error
	fetches int
}

func (s *fakeSource) set(files map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files, s.err = files, nil
	s.rev++
}

func (s *fakeSource) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *fakeSource) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

func (s *fakeSource) Fetch(ctx context.Context) (*Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetches++
	if s.err != nil {
		return nil, s.err
	}
	fsys := fstest.MapFS{}
	h := sha256.New()
	for name, data := range s.files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
		fmt.Fprintf(h, "%s\x00%s\x00", name, data)
	}
	return &Snapshot{Revision: fmt.Sprintf("main@sha1:%040d", s.rev), Digest: fmt.Sprintf("sha256:%x", h.Sum(nil)), FS: fsys}, nil
}

const orgsYAML = `kind: Organization
name: acme
displayName: Acme
---
kind: Organization
name: eng
displayName: Engineering
parent: acme
`

func TestLoopAppliesStallsAndKeepsLastGood(t *testing.T) {
	ctx := context.Background()
	store := state.NewMemory(state.Options{})
	src := &fakeSource{}
	src.set(map[string]string{"orgs.yaml": orgsYAML})
	var results []string
	l := &Loop{Source: src, Store: store, Dir: "config", Observe: func(r Reason, _ time.Duration) { results = append(results, r.Result()) }}

	if err := l.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	st := l.Status()
	if !st.Ready || st.Revision != st.Attempted || !strings.HasPrefix(st.Revision, "main@sha1:") {
		t.Fatalf("after a good revision: %+v", st)
	}
	applied := store.View().Config().Digest
	if st.LastApplied.IsZero() {
		t.Errorf("after a good revision, no LastApplied: %+v", st)
	}
	// A new loop, as after a restart, knows when the state last took a
	// revision.
	if got := (&Loop{Source: src, Store: store}).Status().LastApplied; !got.Equal(store.View().Config().AppliedAt) {
		t.Errorf("a new loop's LastApplied: %v, want the state's %v", got, store.View().Config().AppliedAt)
	}

	// The same content again (a touch, a poll without a commit) applies
	// nothing.
	index := store.View().Organization("eng").ModifyIndex
	l.RunOnce(ctx)
	if got := store.View().Organization("eng").ModifyIndex; got != index {
		t.Errorf("an unchanged config was applied again: index %d -> %d", index, got)
	}

	// A bad revision stalls with positioned errors; the last good one
	// stays live.
	src.set(map[string]string{"orgs.yaml": strings.Replace(orgsYAML, "parent: acme", "parent: nowhere", 1)})
	l.RunOnce(ctx)
	st = l.Status()
	if st.Ready || st.Reason != "Stalled" || len(st.Errors) != 1 {
		t.Fatalf("after a bad revision: %+v", st)
	}
	if e := st.Errors[0]; e.File != "config/orgs.yaml" || e.Line != 8 || !strings.Contains(e.Message, "nowhere") {
		t.Errorf("error = %s:%d %q, want config/orgs.yaml:8 naming the missing parent", e.File, e.Line, e.Message)
	}
	if st.Revision == st.Attempted {
		t.Errorf("a stalled revision shows as applied: %+v", st)
	}
	if got := store.View().Config().Digest; got != applied {
		t.Errorf("the bad revision changed the live config digest")
	}
	if o := store.View().Organization("eng"); o.Parent != "acme" {
		t.Errorf("the bad revision was applied: eng's parent is %q", o.Parent)
	}

	// A fetch failure is reported and the state kept.
	src.fail(errors.New("connection refused"))
	if err := l.RunOnce(ctx); !errors.Is(err, errFetch) {
		t.Errorf("RunOnce = %v, want a fetch error", err)
	}
	if st := l.Status(); st.Reason != "FetchFailed" || !strings.Contains(st.Message, "connection refused") {
		t.Errorf("after a fetch failure: %+v", st)
	}
	// Back with the stalled content: still stalled, not ready.
	src.fail(nil)
	l.RunOnce(ctx)
	if st := l.Status(); st.Ready || st.Reason != "Stalled" {
		t.Errorf("the source back with the stalled revision: %+v", st)
	}

	// A fixed revision is applied.
	src.set(map[string]string{"orgs.yaml": strings.Replace(orgsYAML, "Engineering", "R&D", 1)})
	l.RunOnce(ctx)
	if st := l.Status(); !st.Ready || store.View().Organization("eng").DisplayName != "R&D" {
		t.Errorf("after a fix: %+v, eng = %+v", st, store.View().Organization("eng"))
	}
	// A fetch failure, then the source back with the applied content:
	// ready again, nothing applied.
	src.fail(errors.New("connection reset"))
	l.RunOnce(ctx)
	src.fail(nil)
	l.RunOnce(ctx)
	if st := l.Status(); !st.Ready || st.Reason != "" || st.Message != "" {
		t.Errorf("the source back with the applied revision: %+v", st)
	}
	want := []string{"applied", "unchanged", "stalled", "fetch_error", "stalled", "applied", "fetch_error", "unchanged"}
	if fmt.Sprint(results) != fmt.Sprint(want) {
		t.Errorf("runs = %v, want %v", results, want)
	}
}

// edit changes an organization outside of config, as the admin API does.
func edit(t *testing.T, store *state.Store, name string, f func(o *state.Organization)) {
	t.Helper()
	o := *store.View().Organization(name)
	o.Applied = nil
	f(&o)
	if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{Edit: true,
		Changes: []state.ConfigChange{{Action: state.ActionUpdate, Kind: state.KindOrganization, Name: name, ExpectIndex: o.ModifyIndex, Organization: &o}}}}); err != nil {
		t.Fatal(err)
	}
}

func TestLoopDrift(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []string{DriftReport, DriftCorrect} {
		t.Run(mode, func(t *testing.T) {
			store := state.NewMemory(state.Options{})
			src := &fakeSource{}
			src.set(map[string]string{"orgs.yaml": orgsYAML})
			l := &Loop{Source: src, Store: store, Drift: mode}
			l.RunOnce(ctx)
			edit(t, store, "eng", func(o *state.Organization) { o.DisplayName = "Eng (renamed by hand)" })

			drift := Drift(LiveFrom(store.View()))
			if len(drift) != 1 || drift[0].Address() != "organization.eng" {
				t.Fatalf("drift = %v, want organization.eng", drift)
			}
			var b strings.Builder
			WriteDriftText(&b, drift)
			if want := `~ displayName = "Engineering" -> "Eng (renamed by hand)"`; !strings.Contains(b.String(), want) {
				t.Errorf("drift text lacks %q:\n%s", want, b.String())
			}

			// A run with the same config: report keeps the edit, correct
			// reverts it.
			l.RunOnce(ctx)
			got := store.View().Organization("eng").DisplayName
			left := len(Drift(LiveFrom(store.View())))
			switch mode {
			case DriftReport:
				if got != "Eng (renamed by hand)" || left != 1 {
					t.Errorf("report: displayName %q, %d drifted", got, left)
				}
				// Config changing the same field wins; other fields keep
				// the edit.
				edit(t, store, "eng", func(o *state.Organization) { o.ColdStoragePeriod = 60 * 24 * time.Hour })
				src.set(map[string]string{"orgs.yaml": strings.Replace(orgsYAML, "Engineering", "R&D", 1)})
				l.RunOnce(ctx)
				o := store.View().Organization("eng")
				if o.DisplayName != "R&D" || o.ColdStoragePeriod != 60*24*time.Hour {
					t.Errorf("after config changed displayName: %q, coldStoragePeriod %v", o.DisplayName, o.ColdStoragePeriod)
				}
			case DriftCorrect:
				if got != "Engineering" || left != 0 {
					t.Errorf("correct: displayName %q, %d drifted", got, left)
				}
				var corrected bool
				store.View().SyncLogAfter(0, func(e *state.SyncEvent) bool {
					for _, c := range e.Changes {
						corrected = corrected || c == state.Change{Field: "organization.eng", New: "update (drift corrected)"}
					}
					return true
				})
				if !corrected {
					t.Error("the sync log does not record the correction")
				}
			}
		})
	}
}

func TestLoopRunPollsAndBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		store := state.NewMemory(state.Options{})
		src := &fakeSource{}
		src.set(map[string]string{"orgs.yaml": orgsYAML})
		l := &Loop{Source: src, Store: store, Interval: time.Minute}
		done := make(chan struct{})
		go func() { l.Run(ctx); close(done) }()
		synctest.Wait()
		if src.count() != 1 {
			t.Fatalf("fetches at start = %d", src.count())
		}
		time.Sleep(66 * time.Second) // the interval plus at most 10% jitter
		synctest.Wait()
		if src.count() != 2 {
			t.Errorf("fetches after one interval = %d, want 2", src.count())
		}
		l.Trigger()
		synctest.Wait()
		if src.count() != 3 {
			t.Errorf("fetches after a trigger = %d, want 3", src.count())
		}

		// Failing fetches back off: 1s, 2s, 4s... (plus up to 50%), not
		// the poll interval, and never faster.
		src.fail(errors.New("unreachable"))
		l.Trigger()
		synctest.Wait()
		start := src.count()
		time.Sleep(20 * time.Second)
		synctest.Wait()
		if n := src.count() - start; n < 3 || n > 5 {
			t.Errorf("fetches in 20s of failures = %d, want 3 to 5 (exponential backoff)", n)
		}
		cancel()
		<-done
	})
}
