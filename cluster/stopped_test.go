package cluster

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

// TestCallsToAStoppedLeader: a leader that stops answering (a paused
// process, a cut-off network) holds the calls a follower sent it only
// until the follower learns that it leads no more. A consistent read then
// asks the new leader; a forwarded write fails with an unknown outcome
// once another leader is elected (the stopped one may have logged it,
// and a majority has left its term). Neither waits for its deadline
// while the others have elected a new leader.
func TestCallsToAStoppedLeader(t *testing.T) {
	for _, tt := range []struct {
		name  string
		call  func(ctx context.Context, s *state.Store) error
		check func(t *testing.T, err error)
	}{
		{"consistent read", func(ctx context.Context, s *state.Store) error { return s.Consistent(ctx) },
			func(t *testing.T, err error) {
				if err != nil {
					t.Errorf("a consistent read failed (%v); want it answered by the new leader", err)
				}
			}},
		{"forwarded write", func(ctx context.Context, s *state.Store) error {
			_, err := s.Apply(ctx, orgCmd("sent-to-the-stopped-leader"))
			return err
		}, func(t *testing.T, err error) {
			if !errors.Is(err, state.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "another leader was elected") {
				t.Errorf("the write failed with %v; want an unknown outcome because another leader was elected", err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			nodes := newNodes(t, 3, 3)
			for _, tn := range nodes {
				// Long enough that a call which waits for its deadline fails
				// the test: the cluster elects a new leader in about a second.
				tn.node.opts.LeaderWait = time.Minute
			}
			openNodes(t, nodes)
			leader := waitLeader(t, nodes)
			waitSettled(t, nodes, leader)
			follower := followers(t, nodes)[0]

			// The follower's calls to the leader are sent, and never answered.
			stopped := &deadLeaderConn{written: make(chan struct{}), release: make(chan struct{})}
			defer close(stopped.release)
			cs := &follower.node.calls
			cs.mu.Lock()
			for addr, cl := range cs.by {
				cl.Close()
				delete(cs.by, addr)
			}
			cs.dial = func(addr string, timeout time.Duration) (net.Conn, error) {
				if addr == string(leader.node.Addr()) {
					return stopped, nil
				}
				return cs.port.dial(addr, connCall, timeout)
			}
			cs.mu.Unlock()

			errc := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				errc <- tt.call(ctx, follower.store)
			}()
			<-stopped.written
			leader.close() // the others elect a new leader
			select {
			case err := <-errc:
				tt.check(t, err)
			case <-time.After(45 * time.Second):
				t.Fatal("the call waited for the stopped leader after a new one was elected")
			}
		})
	}
}
