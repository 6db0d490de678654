package main

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// A test that starts a daemon on a port of its own picks the port first,
// frees it, and hands it to the daemon. A port picked by listening on
// port 0 is one of the kernel's ephemeral ports, which every outgoing
// connection on the machine (the load generator's, Raft's) may take
// meanwhile: the daemon then fails to bind it. Ports below the ephemeral
// range are handed out to no one.

// handedOut holds the ports freePort returned: none is returned twice.
var handedOut struct {
	sync.Mutex
	ports map[int]bool
}

// freePort returns a loopback port below the kernel's ephemeral range
// that nothing listens on and that it has not returned before: one, at
// random, of the 10,000 below the range.
func freePort() (int, error) {
	low := ephemeralLow()
	handedOut.Lock()
	defer handedOut.Unlock()
	for range 100 {
		port := low - 1 - rand.IntN(10_000)
		if handedOut.ports[port] {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue // in use
		}
		l.Close()
		if handedOut.ports == nil {
			handedOut.ports = make(map[int]bool)
		}
		handedOut.ports[port] = true
		return port, nil
	}
	return 0, fmt.Errorf("no free loopback port below %d in 100 tries", low)
}

// ephemeralLow is the first of the kernel's ephemeral ports: Linux's
// ip_local_port_range, or IANA's 49152 where it cannot be read.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 11_024 {
				return n
			}
		}
	}
	return 49152
}

// freeAddr returns a loopback address on a freePort.
func freeAddr(t testing.TB) string {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

func TestFreePort(t *testing.T) {
	low := ephemeralLow()
	seen := map[int]bool{}
	for range 50 {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		if port >= low || port < low-10_000 {
			t.Errorf("port %d is not among the 10,000 below the ephemeral range (from %d)", port, low)
		}
		if seen[port] {
			t.Errorf("port %d handed out twice", port)
		}
		seen[port] = true
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			t.Fatalf("port %d cannot be listened on: %v", port, err)
		}
		l.Close()
	}
}
