package cluster

import (
	"context"
	"testing"
	"time"
)

// TestAsk: asked from outside the cluster, every node says who it is and
// names the same leader, which says it leads; a port nobody serves is an
// error.
func TestAsk(t *testing.T) {
	nodes := startCluster(t, 3)
	leader := waitLeader(t, nodes)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tn := range nodes {
		info, err := Ask(ctx, string(tn.node.Addr()), nil)
		if err != nil {
			t.Fatalf("Ask %s: %v", tn.node.opts.ID, err)
		}
		if info.ID != tn.node.opts.ID || info.Address != string(tn.node.Addr()) || !info.HasState {
			t.Errorf("Ask %s = %+v, want its id, its address and a state", tn.node.opts.ID, info)
		}
		if info.Leader != string(leader.node.Addr()) {
			t.Errorf("%s names the leader %q, want %q", tn.node.opts.ID, info.Leader, leader.node.Addr())
		}
		if lead := info.State == "Leader"; lead != (tn == leader) {
			t.Errorf("%s says its state is %s; it leads: %v", tn.node.opts.ID, info.State, tn == leader)
		}
	}
	addr := string(leader.node.Addr())
	leader.close()
	if _, err := Ask(ctx, addr, nil); err == nil {
		t.Errorf("Ask of a closed port answered")
	}
}
