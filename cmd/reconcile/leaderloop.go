package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/state"
)

// What the admin API asks of the config loop reaches the loop of the
// leader, which alone runs it: here when this node leads (a single node
// always does), else through the cluster port (cluster.Node.AskLeaderLoop,
// answered by answerLoop on the leader).

// leaderLoop is the config loop as the admin API sees it.
type leaderLoop struct{ d *daemon }

// statusWait bounds asking the leader for its loop's status.
const statusWait = 3 * time.Second

func (l leaderLoop) Status() reconcile.Status {
	if l.d.leads() {
		return l.d.loop.Status()
	}
	ctx, cancel := context.WithTimeout(context.Background(), statusWait)
	defer cancel()
	var st reconcile.Status
	if err := l.d.askLeader(ctx, loopStatus, "", &st); err != nil {
		// The leader's status is out of reach: this node's record (of
		// the runs it made while it led) is all there is.
		l.d.log.Warn("could not ask the leader for the config loop's status; answering with this node's", "err", err)
		return l.d.loop.Status()
	}
	return st
}

func (l leaderLoop) TriggerFor(reason string) { l.d.trigger(reason) }

// PendingPlan is the plan this node's loop refused, for the console.
func (l leaderLoop) PendingPlan() *reconcile.Plan { return l.d.loop.PendingPlan() }

func (l leaderLoop) Sync(ctx context.Context, reason string) (reconcile.Status, error) {
	if l.d.leads() {
		return l.d.loop.Sync(ctx, reason)
	}
	var st reconcile.Status
	return st, l.d.askLeader(ctx, loopSync, reason, &st)
}

func (l leaderLoop) Revision(ctx context.Context, rev string) (reconcile.RevisionState, error) {
	if l.d.leads() {
		return l.d.loop.Revision(ctx, rev)
	}
	var rs reconcile.RevisionState
	return rs, l.d.askLeader(ctx, loopRevision, rev, &rs)
}

// What a node asks of the leader's loop.
const (
	loopTrigger  = "trigger"
	loopStatus   = "status"
	loopSync     = "sync"
	loopRevision = "revision"
)

// loopAnswer is the leader's answer: what was asked, or why not. A
// suspended loop's error travels as its suspension.
type loopAnswer struct {
	Value     json.RawMessage   `json:"value,omitempty"`
	Error     string            `json:"error,omitempty"`
	Suspended *state.Suspension `json:"suspended,omitempty"`
}

// leads says whether the config loop runs on this node.
func (d *daemon) leads() bool { return d.node == nil || d.store.IsLeader() }

// answerLoop answers, on the leader, what another node asks of its loop.
func (d *daemon) answerLoop(ctx context.Context, op, arg string) ([]byte, error) {
	if d.loop == nil {
		return nil, errors.New("the config loop has not started yet")
	}
	var v any
	var err error
	switch op {
	case loopTrigger:
		d.loop.TriggerFor(arg)
	case loopStatus:
		v = d.loop.Status()
	case loopSync:
		v, err = d.loop.Sync(ctx, arg)
	case loopRevision:
		v, err = d.loop.Revision(ctx, arg)
	default:
		return nil, fmt.Errorf("the config loop does not know %q", op)
	}
	var ans loopAnswer
	if v != nil {
		if ans.Value, err = json.Marshal(v); err != nil {
			return nil, err
		}
	}
	var se *reconcile.SuspendedError
	switch {
	case errors.As(err, &se):
		ans.Suspended = se.Suspension
	case err != nil:
		ans.Error = err.Error()
	}
	return json.Marshal(ans)
}

// askLeader asks the leader's loop op with arg and decodes its answer
// into out.
func (d *daemon) askLeader(ctx context.Context, op, arg string, out any) error {
	data, err := d.node.AskLeaderLoop(ctx, op, arg)
	if err != nil {
		return fmt.Errorf("asking the cluster's leader: %w", err)
	}
	var ans loopAnswer
	if err := json.Unmarshal(data, &ans); err != nil {
		return fmt.Errorf("the leader's answer: %w", err)
	}
	if len(ans.Value) > 0 && out != nil {
		if err := json.Unmarshal(ans.Value, out); err != nil {
			return fmt.Errorf("the leader's answer: %w", err)
		}
	}
	switch {
	case ans.Suspended != nil:
		return &reconcile.SuspendedError{Suspension: ans.Suspended}
	case ans.Error != "":
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%s: %w", ans.Error, context.DeadlineExceeded)
		}
		return errors.New(ans.Error)
	}
	return nil
}

// trigger asks the config loop to run now, saying why: here when this
// node leads, else on the leader.
func (d *daemon) trigger(reason string) {
	if d.leads() {
		d.loop.TriggerFor(reason)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := d.node.AskLeaderLoop(ctx, loopTrigger, reason); err != nil {
		// A leader of a version without the loop's calls.
		if err := d.node.TriggerLeader(ctx); err != nil {
			d.log.Warn("could not ask the leader to run the config loop", "err", err)
		}
	}
}

// triggerHere asks this node's config loop to run now: what a node of a
// version without the loop's calls asks of a leader.
func (d *daemon) triggerHere() {
	if d.loop != nil {
		d.loop.TriggerFor("trigger")
	}
}
