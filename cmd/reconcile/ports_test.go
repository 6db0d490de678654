package main

import (
	"net"
	"strconv"
	"testing"

	"github.com/reconcile-dev/reconcile/internal/loopport"
)

// freeAddr returns a loopback address for a daemon the test starts: a
// port outside the kernel's ephemeral range (loopport.Free).
func freeAddr(t testing.TB) string {
	t.Helper()
	port, err := loopport.Free()
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}
