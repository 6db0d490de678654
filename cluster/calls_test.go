package cluster

import (
	"context"
	"net"
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
