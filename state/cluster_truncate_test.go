package state

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// inmemCluster is a cluster of stores on Raft's in-memory transport,
// whose links a test cuts and mends.
type inmemCluster struct {
	t      *testing.T
	dirs   []string
	addrs  []raft.ServerAddress
	trans  []*raft.InmemTransport
	stores []*Store
}

func newInmemCluster(t *testing.T, n int) *inmemCluster {
	t.Helper()
	c := &inmemCluster{t: t, dirs: make([]string, n), addrs: make([]raft.ServerAddress, n), trans: make([]*raft.InmemTransport, n), stores: make([]*Store, n)}
	var servers []raft.Server
	for i := range n {
		c.dirs[i] = t.TempDir()
		c.addrs[i], c.trans[i] = raft.NewInmemTransport("")
		servers = append(servers, raft.Server{ID: raft.ServerID(c.id(i)), Address: c.addrs[i]})
	}
	for i := range n {
		c.open(i)
	}
	c.heal()
	if err := c.stores[0].Bootstrap(servers); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, s := range c.stores {
			if s != nil {
				s.Close()
			}
		}
	})
	return c
}

func (c *inmemCluster) id(i int) string { return fmt.Sprintf("n%d", i+1) }

func (c *inmemCluster) open(i int) {
	c.t.Helper()
	s, err := Open(context.Background(), c.dirs[i], Options{Cluster: &Cluster{
		ID: c.id(i), Transport: c.trans[i], LeaderWait: 2 * time.Second,
		ReadIndex: func(ctx context.Context, leader raft.ServerAddress) (uint64, error) {
			return c.stores[slices.Index(c.addrs, leader)].LeaderReadIndex(ctx)
		},
		Forward: func(context.Context, raft.ServerAddress, []byte) (Result, error) {
			return Result{}, errors.New("this test forwards no write")
		},
	}})
	if err != nil {
		c.t.Fatal(err)
	}
	c.stores[i] = s
}

// restart closes node i as a crash would leave it (no snapshot at close)
// and opens it again on its data dir, on a new transport at its address.
func (c *inmemCluster) restart(i int) {
	c.t.Helper()
	c.stores[i].snapshotOnClose = math.MaxUint32
	c.stores[i].Close()
	c.stores[i] = nil
	_, c.trans[i] = raft.NewInmemTransport(c.addrs[i])
	c.open(i)
}

// cut isolates node i from the others, both ways.
func (c *inmemCluster) cut(i int) {
	for j := range c.trans {
		if j != i {
			c.trans[i].Disconnect(c.addrs[j])
			c.trans[j].Disconnect(c.addrs[i])
		}
	}
}

// heal connects every node with every other.
func (c *inmemCluster) heal() {
	for i := range c.trans {
		for j := range c.trans {
			if i != j {
				c.trans[i].Connect(c.addrs[j], c.trans[j])
			}
		}
	}
}

// leader waits for a leader among the nodes but skip.
func (c *inmemCluster) leader(skip int) int {
	c.t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for i, s := range c.stores {
			if i != skip && s.IsLeader() {
				return i
			}
		}
	}
	c.t.Fatal("no leader within 20s")
	return -1
}

// orgs returns the organizations node i holds once it is consistent.
func (c *inmemCluster) orgs(i int) []string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.stores[i].Consistent(ctx); err != nil {
		c.t.Fatalf("%s: %v", c.id(i), err)
	}
	var names []string
	for _, o := range c.stores[i].View().Organizations() {
		names = append(names, o.Name)
	}
	slices.Sort(names)
	return names
}

// TestClusterDropsUncommittedTail: a leader cut off from the others
// appends writes it cannot commit; the others elect a leader that
// commits other writes at the same log indexes. Once the old leader is
// back, its log's tail is replaced with the committed one: every node
// holds the committed writes and none of the others, and so after the
// old leader restarts from its log, as after a crash, whether it
// restarts before it is back or after. The tails are shorter and longer
// than a batch of appends (maxAppendEntries).
func TestClusterDropsUncommittedTail(t *testing.T) {
	if testing.Short() {
		t.Skip("elections take seconds")
	}
	for _, tt := range []struct {
		uncommitted, committed int
		crash                  bool // the old leader restarts while cut off
	}{{5, 300, false}, {300, 3, false}, {300, 600, true}} {
		t.Run(fmt.Sprintf("%d_over_%d_crash_%v", tt.committed, tt.uncommitted, tt.crash), func(t *testing.T) {
			c := newInmemCluster(t, 3)
			old := c.leader(-1)
			mustApply(t, c.stores[old], configCmd(create(testOrg("before", ""))))
			c.cut(old)
			lost := make(chan error, tt.uncommitted)
			for i := range tt.uncommitted {
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					_, err := c.stores[old].Apply(ctx, configCmd(create(testOrg(fmt.Sprintf("uncommitted%03d", i), ""))))
					lost <- err
				}()
			}
			next := c.leader(old)
			// The cut-off leader appends what it can before it steps down.
			r := c.stores[old].raft
			for deadline := time.Now().Add(10 * time.Second); r.LastIndex() < r.CommitIndex()+uint64(tt.uncommitted) && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			if r.LastIndex() <= r.CommitIndex() {
				t.Fatalf("%s appended none of the writes it could not commit: nothing to drop", c.id(old))
			}
			want := []string{"before"}
			for i := range tt.committed {
				name := fmt.Sprintf("committed%03d", i)
				mustApply(t, c.stores[next], configCmd(create(testOrg(name, ""))))
				want = append(want, name)
			}
			slices.Sort(want)
			if tt.crash {
				c.restart(old)
			}
			c.heal()
			for range tt.uncommitted {
				if err := <-lost; err == nil {
					t.Fatal("a write the cut-off leader could not commit was acknowledged")
				}
			}
			for i := range c.stores {
				if got := c.orgs(i); !slices.Equal(got, want) {
					t.Errorf("%s holds %d organizations, want %d: %v", c.id(i), len(got), len(want), got)
				}
			}
			c.restart(old)
			c.heal()
			if got := c.orgs(old); !slices.Equal(got, want) {
				t.Errorf("%s after a restart holds %d organizations, want %d: %v", c.id(old), len(got), len(want), got)
			}
		})
	}
}

// transferTo moves the leadership from node from to node to, trying
// again while the transfer fails (to may still be catching up), and waits
// until to leads.
func (c *inmemCluster) transferTo(from, to int) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := c.stores[from].raft.LeadershipTransferToServer(raft.ServerID(c.id(to)), c.addrs[to]).Error()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("moving the leadership from %s to %s: %v", c.id(from), c.id(to), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for !c.stores[to].IsLeader() {
		if time.Now().After(deadline) {
			c.t.Fatalf("%s does not lead 20s after the transfer", c.id(to))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestLeaderOnlyWriteBoundToItsTerm: the write of a request that another
// node forwarded to the leader in one term is refused, nothing applied,
// once its time has run out, or once this node leads again in a later
// term. The node that forwarded it
// stopped waiting when it learnt of the later term and told its client
// that the write may or may not have been made; built now, on a state
// that may hold the client's next write, it would undo that write.
func TestLeaderOnlyWriteBoundToItsTerm(t *testing.T) {
	if testing.Short() {
		t.Skip("elections take seconds")
	}
	c := newInmemCluster(t, 3)
	l := c.leader(-1)
	term := c.stores[l].Term()
	if _, err := c.stores[l].Apply(LeaderOnly(context.Background(), term, time.Time{}), configCmd(create(testOrg("in-its-term", "")))); err != nil {
		t.Fatalf("a leader-only write in its term: %v", err)
	}
	// Nor once its time ran out: the other node answers at the
	// request's deadline.
	_, err := c.stores[l].Apply(LeaderOnly(context.Background(), term, time.Now().Add(-time.Millisecond)), configCmd(create(testOrg("too-late", ""))))
	if !errors.Is(err, ErrTooLate) {
		t.Errorf("a leader-only write after its time: %v, want ErrTooLate", err)
	}
	other := (l + 1) % 3
	c.transferTo(l, other)
	c.transferTo(other, l)
	if now := c.stores[l].Term(); now <= term {
		t.Fatalf("%s leads in term %d again, want a later term than %d", c.id(l), now, term)
	}
	_, err = c.stores[l].Apply(LeaderOnly(context.Background(), term, time.Time{}), configCmd(create(testOrg("a-term-late", ""))))
	if !errors.Is(err, errLaterTerm) || !errors.Is(err, ErrNoLeader) {
		t.Errorf("a leader-only write of term %d in term %d: %v, want errLaterTerm (an ErrNoLeader)", term, c.stores[l].Term(), err)
	}
	for i := range c.stores {
		if got := c.orgs(i); !slices.Equal(got, []string{"in-its-term"}) {
			t.Errorf("%s holds %v, want only the write made in its term", c.id(i), got)
		}
	}
}
