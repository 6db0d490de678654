package loopport

import (
	"net"
	"strconv"
	"testing"
)

func TestFree(t *testing.T) {
	low, high, ok := ephemeral()
	seen := map[int]bool{}
	for range 50 {
		port, err := Free()
		if err != nil {
			t.Fatal(err)
		}
		if ok && port >= low && port <= high {
			t.Errorf("port %d is in the ephemeral range %d-%d", port, low, high)
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

func TestCandidate(t *testing.T) {
	for _, tc := range []struct {
		name      string
		low, high int
		ok        bool
		in        func(p int) bool
	}{
		{"below", 32768, 60999, true, func(p int) bool { return p >= 32768-span && p < 32768 }},
		{"above", 1024, 40000, true, func(p int) bool { return p > 40000 && p <= 40000+span }},
		{"no room", 5000, 64000, true, func(p int) bool { return p > 0 }},
		{"unknown", 0, 0, false, func(p int) bool { return p > 0 }},
	} {
		for range 20 {
			p, err := candidate(tc.low, tc.high, tc.ok)
			if err != nil || !tc.in(p) {
				t.Fatalf("%s: candidate(%d, %d, %v) = %d, %v", tc.name, tc.low, tc.high, tc.ok, p, err)
			}
		}
	}
}
