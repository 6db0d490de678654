package cluster

import (
	"context"
	"errors"
	"io"
	"net"
	"net/rpc"
	"sync"
	"testing"
	"time"
)

// TestCallWhileAnotherDialHangs: a node that accepts connections but
// never finishes the handshake (a stopped process) holds up the calls to
// it, not the calls to the other nodes (a forwarded write to the leader).
func TestCallWhileAnotherDialHangs(t *testing.T) {
	ca := newTestCA(t, "cluster CA")
	n1, err := New(Options{ID: "n1", Listen: "127.0.0.1:0", TLS: loadTLS(t, ca.node(t, "n1"))})
	if err != nil {
		t.Fatal(err)
	}
	defer n1.Close()
	go serveCalls(n1.port.callListener(), n1)
	caller, err := New(Options{ID: "n2", Listen: "127.0.0.1:0", TLS: loadTLS(t, ca.node(t, "n2"))})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()

	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := silent.Accept(); err == nil {
			accepted <- c
		}
	}()
	stuck := make(chan error, 1)
	go func() {
		// Generous: the call to n1 below takes milliseconds.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var info InfoReply
		stuck <- caller.calls.call(ctx, silent.Addr().String(), "Info", struct{}{}, &info)
	}()
	conn := <-accepted // the dial waits for a TLS handshake that never comes
	defer conn.Close()

	var info InfoReply
	if err := caller.calls.call(context.Background(), string(n1.Addr()), "Info", struct{}{}, &info); err != nil || info.ID != "n1" {
		t.Fatalf("calling n1: %+v, %v", info, err)
	}
	select {
	case err := <-stuck:
		t.Fatalf("the call to n1 waited until the dial of the silent node gave up (%v)", err)
	default:
	}
	conn.Close()
	if err := <-stuck; err == nil {
		t.Error("a call to a node that never answered succeeded")
	}
}

// deadLeaderConn is the connection of calls to a leader that received a
// call and died: writes succeed, reads wait for release and then end
// (io.EOF).
type deadLeaderConn struct {
	net.Conn // nil: net/rpc uses only Read, Write and Close
	once     sync.Once
	written  chan struct{} // closed once a call was written
	release  chan struct{}
}

func (c *deadLeaderConn) Write(p []byte) (int, error) {
	c.once.Do(func() { close(c.written) })
	return len(p), nil
}

func (c *deadLeaderConn) Read([]byte) (int, error) {
	<-c.release
	return 0, io.EOF
}

func (c *deadLeaderConn) Close() error { return nil }

// TestSentCallIsNeverNotSent: a forwarded write that reached the leader
// is never taken for one that was not sent, and so never sent again to
// the next leader (a POST applied twice answers 409 to its own create).
// net/rpc fails a call it had sent with rpc.ErrShutdown when the
// connection ends (the leader died) after another call, which failed
// first, closed the client.
func TestSentCallIsNeverNotSent(t *testing.T) {
	conn := &deadLeaderConn{written: make(chan struct{}), release: make(chan struct{})}
	dials := 0
	cs := &clients{dial: func(string, time.Duration) (net.Conn, error) {
		dials++
		if dials > 1 {
			return nil, errors.New("connection refused")
		}
		return conn, nil
	}}
	errc := make(chan error, 1)
	go func() {
		errc <- cs.call(context.Background(), "leader:1", "Apply", ApplyArgs{Data: []byte("{}")}, &ApplyReply{})
	}()
	<-conn.written // the leader has the call
	cs.mu.Lock()
	cl := cs.by["leader:1"]
	cs.mu.Unlock()
	cs.drop("leader:1", cl) // another call failed, and closed the client
	close(conn.release)     // the dead leader's end of the connection closes
	err := <-errc
	if err == nil || errors.Is(err, errNotSent) {
		t.Fatalf("a call the leader received failed with %v; want an error that does not say it was not sent", err)
	}
}

// echoCalls serves Calls.Apply with an empty result.
type echoCalls struct{}

func (echoCalls) Apply(_ ApplyArgs, reply *ApplyReply) error {
	reply.Result = []byte("{}")
	return nil
}

// TestCallRedialsAfterRestart: once the connection to a node has failed
// (the node restarted), the next call is sent on a new connection,
// rather than failing on the old one.
func TestCallRedialsAfterRestart(t *testing.T) {
	srv := rpc.NewServer()
	if err := srv.RegisterName("Calls", echoCalls{}); err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	cs := &clients{dial: func(string, time.Duration) (net.Conn, error) {
		client, server := net.Pipe()
		conns = append(conns, server)
		go srv.ServeConn(server)
		return client, nil
	}}
	ctx := context.Background()
	if err := cs.call(ctx, "n:1", "Apply", ApplyArgs{}, &ApplyReply{}); err != nil {
		t.Fatalf("first call: %v", err)
	}
	conns[0].Close() // the node restarts
	cs.mu.Lock()
	first := cs.by["n:1"]
	cs.mu.Unlock()
	for !first.conn.failed.Load() {
		time.Sleep(time.Millisecond)
	}
	if err := cs.call(ctx, "n:1", "Apply", ApplyArgs{}, &ApplyReply{}); err != nil {
		t.Fatalf("call after the node restarted: %v", err)
	}
	if len(conns) != 2 {
		t.Errorf("%d connections dialled, want 2", len(conns))
	}
}
