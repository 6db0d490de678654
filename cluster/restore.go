package cluster

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/hashicorp/raft"
	"github.com/reconcile-dev/reconcile/state"
)

// A snapshot restore asked of a node that does not lead goes to the
// leader, which alone can restore (state.Store.RestoreSnapshot): the node
// checks the archive, then sends its state to the leader on a connection
// of its own (connRestore), as Consul streams snapshots on its RPC port.
// On that connection:
//
//	node -> leader: restoreRequest (gob): the snapshot's info, who asks
//	leader -> node: restoreAck (gob): whether it leads; if it does not,
//	                the node asks the leader it knows next
//	node -> leader: the state, Info.Size bytes
//	leader -> node: restoreReply (gob): the result (state.EncodeRestore)
//
// The leader checks the state's size and SHA-256 again before it
// restores.

// restoreTimeout bounds a restore sent to the leader, the state's
// transfer included, when the caller set no deadline.
const restoreTimeout = time.Hour

type restoreRequest struct {
	Info state.SnapshotInfo
	By   string
}

type restoreAck struct{ NotLeader bool }

type restoreReply struct {
	Result    []byte
	NotLeader bool
}

// errNotLeader says the node called does not lead: it restored nothing.
var errNotLeader = errors.New("the node called does not lead")

// restore sends a checked snapshot's state to the leader, which restores
// it: the state's Cluster.Restore. A leader that no longer leads restored
// nothing: the leader this node knows next is asked.
func (n *Node) restore(ctx context.Context, leader raft.ServerAddress, info state.SnapshotInfo, open func() (io.ReadCloser, error), by string) (state.RestoreResult, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, restoreTimeout)
		defer cancel()
	}
	for {
		res, retry, err := n.sendRestore(ctx, leader, info, open, by)
		if !retry {
			return res, err
		}
		lctx, cancel := context.WithTimeout(ctx, n.opts.LeaderWait)
		leader, err = n.nextLeader(lctx)
		cancel()
		if err != nil {
			return state.RestoreResult{}, err
		}
	}
}

// sendRestore makes one attempt; retry says that it restored nothing and
// may be made again.
func (n *Node) sendRestore(ctx context.Context, leader raft.ServerAddress, info state.SnapshotInfo, open func() (io.ReadCloser, error), by string) (_ state.RestoreResult, retry bool, _ error) {
	deadline, _ := ctx.Deadline()
	conn, err := n.port.dial(string(leader), connRestore, min(time.Until(deadline), callTimeout))
	if err != nil {
		return state.RestoreResult{}, true, err
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	enc, dec := gob.NewEncoder(conn), gob.NewDecoder(bufio.NewReader(conn))
	var ack restoreAck
	if err := enc.Encode(restoreRequest{Info: info, By: by}); err != nil {
		return state.RestoreResult{}, true, err
	}
	if err := dec.Decode(&ack); err != nil {
		return state.RestoreResult{}, true, err
	}
	if ack.NotLeader {
		return state.RestoreResult{}, true, errNotLeader
	}
	rc, err := open()
	if err != nil {
		return state.RestoreResult{}, false, err
	}
	defer rc.Close()
	var reply restoreReply
	if _, err := io.Copy(conn, rc); err != nil {
		return state.RestoreResult{}, false, fmt.Errorf("%w: sending the snapshot to the leader %s failed (%v)", state.ErrOutcomeUnknown, leader, err)
	}
	if err := dec.Decode(&reply); err != nil {
		return state.RestoreResult{}, false, fmt.Errorf("%w: the leader %s did not answer (%v)", state.ErrOutcomeUnknown, leader, err)
	}
	if reply.NotLeader {
		return state.RestoreResult{}, true, errNotLeader
	}
	res, err := state.DecodeRestore(reply.Result)
	return res, false, err
}

// serveRestores serves the restores sent to this node on ln until it
// closes.
func serveRestores(ln net.Listener, n *Node) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go n.serveRestore(conn)
	}
}

// serveRestore restores the state another node sent, when this node
// leads.
func (n *Node) serveRestore(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(restoreTimeout))
	// The state follows the request: gob reads from br, not ahead of it.
	br := bufio.NewReader(conn)
	dec, enc := gob.NewDecoder(br), gob.NewEncoder(conn)
	var req restoreRequest
	if err := dec.Decode(&req); err != nil {
		n.log.Warn("cluster: a restore sent to this node does not decode", "remote", conn.RemoteAddr().String(), "err", err)
		return
	}
	if !n.store.IsLeader() {
		enc.Encode(restoreAck{NotLeader: true})
		return
	}
	if err := enc.Encode(restoreAck{}); err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), restoreTimeout)
	defer cancel()
	st := io.LimitReader(br, req.Info.Size)
	res, err := n.store.RestoreState(ctx, req.Info, st, req.By)
	io.Copy(io.Discard, st) // what was not read: the node waits to have sent it
	if errors.Is(err, raft.ErrNotLeader) {
		enc.Encode(restoreReply{NotLeader: true})
		return
	}
	enc.Encode(restoreReply{Result: state.EncodeRestore(res, err)})
}
