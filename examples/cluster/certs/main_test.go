package main

import (
	"crypto/tls"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/cluster"
)

// handshake runs a mutual TLS handshake between a node serving with
// server's files and one dialling with client's, as the cluster port
// does, and returns the error either side got.
func handshake(t *testing.T, server, client cluster.TLSFiles) error {
	t.Helper()
	sc, err := cluster.LoadTLS(server)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := cluster.LoadTLS(client)
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	a.SetDeadline(time.Now().Add(10 * time.Second))
	b.SetDeadline(time.Now().Add(10 * time.Second))
	done := make(chan error, 1)
	go func() { done <- tls.Server(a, sc).Handshake() }()
	cerr := tls.Client(b, cc).Handshake()
	if serr := <-done; serr != nil {
		return serr
	}
	return cerr
}

func files(dir, node string) cluster.TLSFiles {
	return cluster.TLSFiles{Cert: filepath.Join(dir, node+".pem"), Key: filepath.Join(dir, node+"-key.pem"), CA: filepath.Join(dir, "ca.pem")}
}

// TestGenerate: the certificates it makes are what the cluster's port
// takes: two nodes of one CA complete a mutual TLS handshake, a node
// added by a second run (the CA reused) too, and a node of another CA is
// refused.
func TestGenerate(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	if err := generate(dir, []string{"n1", "n2"}, "127.0.0.1,n1=node1.example;10.0.0.11", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := handshake(t, files(dir, "n1"), files(dir, "n2")); err != nil {
		t.Errorf("n2 to n1: %v", err)
	}
	if err := generate(dir, []string{"n3"}, "", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := handshake(t, files(dir, "n1"), files(dir, "n3")); err != nil {
		t.Errorf("n3, added later, to n1: %v", err)
	}
	if err := generate(other, []string{"intruder"}, "", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := handshake(t, files(dir, "n1"), files(other, "intruder")); err == nil {
		t.Error("n1 took a node whose certificate another CA signed")
	}

	cert, err := tls.LoadX509KeyPair(files(dir, "n1").Cert, files(dir, "n1").Key)
	if err != nil {
		t.Fatal(err)
	}
	leaf := cert.Leaf
	if len(leaf.DNSNames) != 2 || leaf.DNSNames[0] != "n1" || leaf.DNSNames[1] != "node1.example" || len(leaf.IPAddresses) != 2 {
		t.Errorf("n1's names: %v %v; want n1, node1.example, 127.0.0.1, 10.0.0.11", leaf.DNSNames, leaf.IPAddresses)
	}
}

// TestGenerateRefusesABadName: a node id with a slash would write
// outside the directory.
func TestGenerateRefusesABadName(t *testing.T) {
	if err := generate(t.TempDir(), []string{"../n1"}, "", time.Hour); err == nil {
		t.Error("generate took the node ../n1")
	}
}
