// Package loopport picks loopback ports for daemons that a test or the
// load generator starts as child processes.
//
// The port has to be picked before the child binds it, and freed in
// between. A port picked by listening on port 0 is one of the kernel's
// ephemeral ports, which any outgoing connection on the machine (the load
// generator's, Raft's) may take meanwhile, and the child then fails to
// bind it. Ports outside the ephemeral range are handed to no connection.
package loopport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// span is how many ports beside the ephemeral range are picked from.
const span = 10_000

// handedOut holds the ports Free returned: none is returned twice.
var handedOut struct {
	sync.Mutex
	ports map[int]bool
}

// Free returns a loopback port that nothing listens on and that it has not
// returned before: one, at random, of the span ports below the kernel's
// ephemeral range, or above it when there is no room below. Where the
// range cannot be read (not Linux), it is one the kernel picks.
func Free() (int, error) {
	low, high, ok := ephemeral()
	handedOut.Lock()
	defer handedOut.Unlock()
	for range 100 {
		port, err := candidate(low, high, ok)
		if err != nil {
			return 0, err
		}
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
	return 0, fmt.Errorf("no free loopback port in 100 tries")
}

// candidate is a port to try.
func candidate(low, high int, ok bool) (int, error) {
	switch {
	case ok && low > span+1024:
		return low - 1 - rand.IntN(span), nil
	case ok && high < 65535-span:
		return high + 1 + rand.IntN(span), nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ephemeral returns the kernel's ephemeral port range (Linux's
// ip_local_port_range).
func ephemeral() (low, high int, ok bool) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, 0, false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, 0, false
	}
	low, err1 := strconv.Atoi(f[0])
	high, err2 := strconv.Atoi(f[1])
	return low, high, err1 == nil && err2 == nil && 0 < low && low <= high
}
