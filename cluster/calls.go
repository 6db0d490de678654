package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	"github.com/reconcile-dev/reconcile/state"
)

// callTimeout bounds a call that has no deadline of its own.
const callTimeout = 10 * time.Second

// The cluster's calls, served by every node on its port (net/rpc, gob).
// A follower forwards to the leader the writes its clients send it, and
// asks it for the index a consistent read waits for; a starting node asks
// the others who they are, and asks to join.

// ApplyArgs is a command, encoded, that a follower forwards, with the
// follower's Raft term and its deadline, as a forwarded request has them
// (Request): the leader applies it only while it leads in that term and
// until forwardMargin before the deadline. Both 0 from a follower of a
// version that did not send them: applied in any term, at any time.
type ApplyArgs struct {
	Data     []byte
	Term     uint64
	Deadline int64 // Unix nanoseconds
}

// ApplyReply is its result (state.EncodeResult), or NotLeader when the
// node called does not lead (any more), or not in the command's term, or
// the command came too late: nothing was applied.
type ApplyReply struct {
	Result    []byte
	NotLeader bool
}

// ReadIndexReply is the index a consistent read waits for.
type ReadIndexReply struct {
	Index     uint64
	NotLeader bool
}

// InfoReply says who a node is.
type InfoReply struct {
	ID       string
	Address  string
	HasState bool   // it bootstrapped or joined a cluster
	Leader   string // the leader's address as it knows it, "" if none
	Applied  uint64
	State    string // Raft's: Leader, Follower, Candidate
	// LastContact is how long ago it last heard from the leader
	// (0 for the leader itself), in milliseconds.
	LastContactMillis int64
	// HasContact: it follows and has heard from a leader, so that
	// LastContactMillis means something.
	HasContact bool
}

// JoinArgs asks a cluster to add a node as a voter.
type JoinArgs struct {
	ID      string
	Address string
}

// JoinReply says whether the node was added, or where the leader is.
type JoinReply struct {
	Added  bool
	Leader string
}

// TriggerReply says whether the node called leads, and ran its loop.
type TriggerReply struct{ NotLeader bool }

// LoopArgs asks the leader's config loop something: the daemon's
// LoopHandler gives Op, Arg and the answer their meaning (a sync, a
// trigger with its reason, the status, a revision's state). Timeout
// bounds how long the leader may take, for a sync that waits for a run.
type LoopArgs struct {
	Op, Arg string
	Timeout time.Duration
}

// LoopReply is the handler's answer, or NotLeader when the node called
// does not lead (any more): nothing was asked of its loop.
type LoopReply struct {
	NotLeader bool
	Data      []byte
}

// LoopHandler answers what a follower asks of the leader's config loop.
type LoopHandler func(ctx context.Context, op, arg string) ([]byte, error)

// maxLoopTimeout bounds LoopArgs.Timeout.
const maxLoopTimeout = time.Hour

// Calls is the service of the cluster's calls.
type Calls struct{ n *Node }

// Apply applies a forwarded command on this node, which must lead.
func (c *Calls) Apply(args ApplyArgs, reply *ApplyReply) error {
	ctx, cancel, ok := c.n.forwardedContext(args.Term, args.Deadline)
	if !ok {
		reply.NotLeader = true
		return nil
	}
	defer cancel()
	res, err := c.n.store.ApplyEncoded(ctx, args.Data)
	if errors.Is(err, raft.ErrNotLeader) {
		reply.NotLeader = true
		return nil
	}
	reply.Result = state.EncodeResult(res, err)
	return nil
}

// ReadIndex returns the leader's commit index, once it made sure it leads.
func (c *Calls) ReadIndex(_ struct{}, reply *ReadIndexReply) error {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	index, err := c.n.store.LeaderReadIndex(ctx)
	if errors.Is(err, raft.ErrNotLeader) {
		reply.NotLeader = true
		return nil
	}
	reply.Index = index
	return err
}

// Trigger runs the config loop of this node, which must lead.
func (c *Calls) Trigger(_ struct{}, reply *TriggerReply) error {
	if !c.n.store.IsLeader() {
		reply.NotLeader = true
		return nil
	}
	if c.n.trigger != nil {
		c.n.trigger()
	}
	return nil
}

// Loop asks this node's config loop, which must lead.
func (c *Calls) Loop(args LoopArgs, reply *LoopReply) error {
	if !c.n.store.IsLeader() || c.n.loop == nil {
		reply.NotLeader = true
		return nil
	}
	timeout := min(max(args.Timeout, 0), maxLoopTimeout)
	if timeout == 0 {
		timeout = callTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	data, err := c.n.loop(ctx, args.Op, args.Arg)
	reply.Data = data
	return err
}

// Info says who this node is.
func (c *Calls) Info(_ struct{}, reply *InfoReply) error {
	*reply = c.n.info()
	return nil
}

// Join adds a node to the cluster, when this node leads.
func (c *Calls) Join(args JoinArgs, reply *JoinReply) error {
	if !c.n.store.IsLeader() {
		leader, _ := c.n.store.Leader()
		reply.Leader = string(leader)
		return nil
	}
	if err := c.n.store.AddVoter(args.ID, raft.ServerAddress(args.Address)); err != nil {
		return fmt.Errorf("adding %s at %s: %w", args.ID, args.Address, err)
	}
	c.n.log.Info("cluster: added a voter", "node", args.ID, "address", args.Address)
	reply.Added = true
	return nil
}

// clients keeps one connection of calls to each node.
type clients struct {
	port *Port
	// dial opens a connection of calls to addr: port.dial, but in tests.
	dial func(addr string, timeout time.Duration) (net.Conn, error)
	mu   sync.Mutex
	by   map[string]*client
	// closed: the node is closing; no new connection is made.
	closed bool
}

// client is a connection of calls, and whether it failed.
type client struct {
	*rpc.Client
	conn *watchedConn
}

// watchedConn remembers that it failed: its node died or restarted, or it
// was closed. A call on a client over it would not be sent.
type watchedConn struct {
	net.Conn
	failed atomic.Bool
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		c.failed.Store(true)
	}
	return n, err
}

func (c *watchedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if err != nil {
		c.failed.Store(true)
	}
	return n, err
}

func (c *watchedConn) Close() error {
	c.failed.Store(true)
	return c.Conn.Close()
}

// errNotSent says that a call could not even be sent: it did nothing.
var errNotSent = errors.New("not sent")

// call calls method on the node at addr, within ctx. An error wrapping
// errNotSent says the call did nothing; any other but an rpc.ServerError
// says it may have been done or not. Once sent, a call that fails is never
// taken for one not sent: net/rpc fails calls it had sent with
// rpc.ErrShutdown too, when their connection ends while another call
// closes it.
func (cs *clients) call(ctx context.Context, addr, method string, args, reply any) error {
	cl, err := cs.get(ctx, addr)
	if err == nil {
		err = ctx.Err() // ended while dialling: do not send it
	}
	if err != nil {
		return fmt.Errorf("%w: %v", errNotSent, err)
	}
	done := cl.Go("Calls."+method, args, reply, make(chan *rpc.Call, 1)).Done
	select {
	case c := <-done:
		var se rpc.ServerError
		if c.Error == nil || errors.As(c.Error, &se) {
			return c.Error
		}
		cs.drop(addr, cl) // the connection failed: redial next time
		return c.Error
	case <-ctx.Done():
		return ctx.Err()
	}
}

// get returns the client of addr, dialled anew if it has none or its
// connection failed.
func (cs *clients) get(ctx context.Context, addr string) (*client, error) {
	cs.mu.Lock()
	cl, closed := cs.by[addr], cs.closed
	if cl != nil && cl.conn.failed.Load() {
		delete(cs.by, addr)
		cl.Close()
		cl = nil
	}
	cs.mu.Unlock()
	switch {
	case closed:
		return nil, net.ErrClosed
	case cl != nil:
		return cl, nil
	}
	timeout := callTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(d), time.Millisecond)
	}
	dial := cs.dial
	if dial == nil {
		dial = func(addr string, timeout time.Duration) (net.Conn, error) {
			return cs.port.dial(addr, connCall, timeout)
		}
	}
	// Dial without the lock: a node that accepts connections but does not
	// answer (a stopped process, a handshake that never ends) must hold up
	// only the calls to it, not the writes forwarded to the leader.
	conn, err := dial(addr, timeout)
	if err != nil {
		return nil, err
	}
	wc := &watchedConn{Conn: conn}
	cl = &client{Client: rpc.NewClient(wc), conn: wc}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closed {
		cl.Close()
		return nil, net.ErrClosed
	}
	if other := cs.by[addr]; other != nil && !other.conn.failed.Load() { // another call dialled meanwhile
		cl.Close()
		return other, nil
	}
	if cs.by == nil {
		cs.by = make(map[string]*client)
	}
	cs.by[addr] = cl
	return cl, nil
}

func (cs *clients) drop(addr string, cl *client) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.by[addr] == cl {
		delete(cs.by, addr)
	}
	cl.Close()
}

func (cs *clients) close() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.closed = true
	for addr, cl := range cs.by {
		cl.Close()
		delete(cs.by, addr)
	}
}

// serveCalls serves the cluster's calls on ln until it closes.
func serveCalls(ln net.Listener, n *Node) {
	srv := rpc.NewServer()
	if err := srv.Register(&Calls{n}); err != nil {
		panic(err) // Calls' methods are fixed: a test covers them
	}
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go srv.ServeConn(conn)
	}
}
