package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestAskLeaderLoop: what a node asks of the config loop reaches the
// leader's, whichever node asks, with the time the asker allows it; the
// leader's error comes back as the answer's.
func TestAskLeaderLoop(t *testing.T) {
	nodes := newNodes(t, 3, 3)
	for _, tn := range nodes {
		id := tn.node.opts.ID
		tn.loop = func(ctx context.Context, op, arg string) ([]byte, error) {
			if op == "fail" {
				return nil, errors.New("the loop is suspended")
			}
			d, _ := ctx.Deadline()
			return fmt.Appendf(nil, "%s %s %s %v", id, op, arg, time.Until(d) > 30*time.Second), nil
		}
	}
	openNodes(t, nodes)
	leader := waitLeader(t, nodes)
	waitSettled(t, nodes, leader)
	for _, tn := range nodes {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		got, err := tn.node.AskLeaderLoop(ctx, "sync", "by alice")
		cancel()
		if want := leader.node.opts.ID + " sync by alice true"; err != nil || string(got) != want {
			t.Errorf("asked from %s: %q, %v; want %q", tn.node.opts.ID, got, err, want)
		}
		_, err = tn.node.AskLeaderLoop(context.Background(), "fail", "")
		if err == nil || !strings.Contains(err.Error(), "the loop is suspended") {
			t.Errorf("asked from %s to fail: %v", tn.node.opts.ID, err)
		}
	}
}
