package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/reconcile-dev/reconcile/state"
)

// Options are a node's part in a cluster, from serve's flags.
type Options struct {
	ID string // --node-id
	// Listen is the cluster port's address (--raft-listen); Advertise
	// the address other nodes dial, Listen's when empty.
	Listen, Advertise string
	// TLS is the port's mutual TLS (LoadTLS); nil is plain TCP
	// (--cluster-insecure).
	TLS *tls.Config
	// BootstrapExpect: a node without a state waits until it sees this
	// many nodes without one (itself included) at Join, and then the one
	// with the lowest id bootstraps the cluster with all of them.
	BootstrapExpect int
	// Join lists the cluster ports of other nodes: a node without a state
	// asks them to add it, again and again, until one does.
	Join   []string
	Logger *slog.Logger
	// LeaderWait bounds how long a write waits for a leader; 5 s by
	// default.
	LeaderWait time.Duration
}

// Node is this process's part in the cluster: the cluster port, Raft's
// transport on it, and the calls the nodes make to each other.
type Node struct {
	opts  Options
	port  *Port
	trans *raft.NetworkTransport
	store *state.Store
	calls clients
	log   *slog.Logger
	// trigger runs the config loop of this node, when it leads; loop
	// answers what followers ask of it.
	trigger func()
	loop    LoopHandler
	// applied are the applied indexes the other members last answered.
	applied appliedIndexes
	// requests serves the requests followers forward (ForwardRequest).
	requests requestHandler
}

// New opens the node's cluster port. Open the state with StateCluster,
// then Start the node on it.
func New(opts Options) (*Node, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ID == "" {
		return nil, errors.New("a cluster node needs an id (--node-id)")
	}
	if opts.LeaderWait == 0 {
		opts.LeaderWait = 5 * time.Second
	}
	port, err := Listen(opts.Listen, opts.Advertise, opts.TLS, opts.Logger)
	if err != nil {
		return nil, err
	}
	hlog := hclog.New(&hclog.LoggerOptions{Name: "raft-net", Level: hclog.Error, Output: slogWriter{opts.Logger}})
	trans := raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: port.StreamLayer(), MaxPool: 5, Timeout: 10 * time.Second, Logger: hlog,
		MaxRPCsInFlight: noPipeline,
	})
	return &Node{opts: opts, port: port, trans: trans, calls: clients{port: port}, log: opts.Logger}, nil
}

// noPipeline (MaxRPCsInFlight 1) turns off Raft's pipelined replication:
// each follower gets one AppendEntries at a time, batching what was
// logged meanwhile. In raft v1.7.2 the pipeline can deadlock once a
// follower answers Success=false (after a pause or a restart): the
// decoder stops, and a send racing its stop waits on an unbuffered
// channel no one reads. The leader then sends that follower heartbeats
// but no entries, and its Shutdown never returns (a node took over 30 s
// to stop on SIGTERM, its goroutines parked in netPipeline.AppendEntries).
// HashiCorp finds the pipeline of little use with batching (raft#541).
const noPipeline = 1

// Addr is the address other nodes dial.
func (n *Node) Addr() raft.ServerAddress { return n.port.Addr() }

// StateCluster is what state.Open needs to make the store this node.
func (n *Node) StateCluster() *state.Cluster {
	return &state.Cluster{ID: n.opts.ID, Transport: n.trans, Forward: n.forward, ReadIndex: n.readIndex, Restore: n.restore,
		LeaderWait: n.opts.LeaderWait}
}

// Start serves the cluster's calls over store and, when the node has no
// state yet, bootstraps the cluster or joins it as the options say, in
// the background, until ctx ends. trigger runs this node's config loop
// (see TriggerLeader); loop answers what the other nodes ask of it while
// it leads (see AskLeaderLoop).
func (n *Node) Start(ctx context.Context, store *state.Store, trigger func(), loop LoopHandler) {
	n.store, n.trigger, n.loop = store, trigger, loop
	go serveCalls(n.port.callListener(), n)
	go serveRestores(n.port.restoreListener(), n)
	if !store.HasState() && (n.opts.BootstrapExpect > 0 || len(n.opts.Join) > 0) {
		go n.enter(ctx)
	}
}

// Close closes the cluster port and the connections of calls. The state
// is closed first: Raft's transport is closed by it.
func (n *Node) Close() error {
	n.calls.close()
	n.trans.Close()
	return n.port.Close()
}

func (n *Node) info() InfoReply {
	r := InfoReply{ID: n.opts.ID, Address: string(n.port.Addr())}
	if n.store == nil {
		return r
	}
	leader, _ := n.store.Leader()
	r.HasState, r.Leader, r.Applied = n.store.HasState(), string(leader), n.store.AppliedIndex()
	st := n.store.Stats()
	r.State = st["state"]
	if lc := n.store.LastContact(); !lc.IsZero() && !n.store.IsLeader() {
		r.LastContactMillis, r.HasContact = time.Since(lc).Milliseconds(), true
	}
	return r
}

// TriggerLeader asks the leader to run its config loop now: a webhook or
// a change of the directory that reached a follower.
func (n *Node) TriggerLeader(ctx context.Context) error {
	for {
		leader, err := n.nextLeader(ctx)
		if err != nil {
			return err
		}
		var reply TriggerReply
		err = n.calls.call(ctx, string(leader), "Trigger", struct{}{}, &reply)
		if err == nil && !reply.NotLeader {
			return nil
		}
		if err != nil && !errors.Is(err, errNotSent) {
			return err
		}
	}
}

// AskLeaderLoop asks the leader's config loop (LoopHandler): a sync, a
// trigger or a status that reached a follower. The leader's answer may
// take until ctx's deadline.
func (n *Node) AskLeaderLoop(ctx context.Context, op, arg string) ([]byte, error) {
	timeout := callTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	for {
		leader, err := n.nextLeader(ctx)
		if err != nil {
			return nil, err
		}
		var reply LoopReply
		err = n.calls.call(ctx, string(leader), "Loop", LoopArgs{Op: op, Arg: arg, Timeout: timeout}, &reply)
		if err == nil && !reply.NotLeader {
			return reply.Data, nil
		}
		if err != nil && !errors.Is(err, errNotSent) {
			return nil, err
		}
	}
}

// forward applies data on the leader: the state's Cluster.Forward.
func (n *Node) forward(ctx context.Context, leader raft.ServerAddress, data []byte) (state.Result, error) {
	ctx, cancel := n.bounded(ctx)
	defer cancel()
	deadline, _ := ctx.Deadline()
	for {
		var reply ApplyReply
		args := ApplyArgs{Data: data, Term: n.store.Term(), Deadline: deadline.UnixNano()}
		callCtx, superseded := n.untilLaterTerm(ctx, args.Term, leader)
		err := n.calls.call(callCtx, string(leader), "Apply", args, &reply)
		switch {
		case err == nil && !reply.NotLeader:
			return state.DecodeResult(reply.Result)
		case err != nil && !errors.Is(err, errNotSent):
			// The leader may have it, and log it until the margin or
			// until it learns that it leads no more, as a forwarded
			// request (ForwardRequest): a command that carries no
			// version, such as an admin's, logged after the answer
			// would come after its client's next write, and undo it.
			<-callCtx.Done()
			if superseded() {
				return state.Result{}, fmt.Errorf("%w: another leader was elected while %s had the write", state.ErrOutcomeUnknown, leader)
			}
			return state.Result{}, fmt.Errorf("%w: the leader %s did not answer (%v)", state.ErrOutcomeUnknown, leader, err)
		}
		// Nothing was applied: ask whoever leads now.
		if leader, err = n.nextLeader(ctx); err != nil {
			return state.Result{}, err
		}
	}
}

// readIndex asks the leader for the index a consistent read waits for.
func (n *Node) readIndex(ctx context.Context, leader raft.ServerAddress) (uint64, error) {
	ctx, cancel := n.bounded(ctx)
	defer cancel()
	for {
		var reply ReadIndexReply
		callCtx := n.whileLeads(ctx, leader)
		err := n.calls.call(callCtx, string(leader), "ReadIndex", struct{}{}, &reply)
		if err == nil && !reply.NotLeader {
			return reply.Index, nil
		}
		if err != nil && ctx.Err() != nil {
			return 0, fmt.Errorf("%w: %v", state.ErrNoLeader, err)
		}
		if leader, err = n.nextLeader(ctx); err != nil {
			return 0, err
		}
	}
}

// whileLeads is ctx for a call to leader, ended as soon as this node
// learns that leader leads no more: another node leads, or this one lost
// contact with it. A leader that stopped (a paused process, a cut-off
// network) would otherwise hold the call until ctx's deadline, and the
// requests waiting on it, while the others have elected a new one. For
// reads only: a write the leader may still make is answered no sooner
// than untilLaterTerm says. The call's context ends with ctx: it needs no
// cancelling of its own.
func (n *Node) whileLeads(ctx context.Context, leader raft.ServerAddress) context.Context {
	changed := n.store.LeaderMoved() // before the check: no change is missed
	callCtx, cancel := context.WithCancelCause(ctx)
	if now, _ := n.store.Leader(); now != leader {
		cancel(errLeaderMoved)
	} else {
		go func() {
			select {
			case <-changed:
				cancel(errLeaderMoved)
			case <-callCtx.Done():
			}
		}()
	}
	return callCtx
}

// errLeaderMoved ends a call to a node that leads no more.
var errLeaderMoved = errors.New("the leader this node knew leads no more")

// bounded gives ctx the leader wait as a deadline, if it has none.
func (n *Node) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, n.opts.LeaderWait)
}

// nextLeader waits a moment and returns the leader as this node knows it
// then: the one asked may have lost its leadership, or died.
func (n *Node) nextLeader(ctx context.Context) (raft.ServerAddress, error) {
	pause := time.NewTimer(20 * time.Millisecond)
	defer pause.Stop()
	for {
		select {
		case <-ctx.Done():
			return "", state.ErrNoLeader
		case <-pause.C:
		}
		if leader, _ := n.store.Leader(); leader != "" {
			return leader, nil
		}
		pause.Reset(20 * time.Millisecond)
	}
}

// slogWriter hands the lines of Raft's transport to slog.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	line := p
	for len(line) > 0 && (line[len(line)-1] == '\n' || line[len(line)-1] == '\r') {
		line = line[:len(line)-1]
	}
	w.log.Error(string(line), "component", "raft-net")
	return len(p), nil
}
