package cluster

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

// testCA is a CA that signs node certificates, written as PEM files.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	dir  string
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &testCA{cert: cert, key: key, dir: t.TempDir()}
	writePEM(t, filepath.Join(ca.dir, "ca.pem"), "CERTIFICATE", der)
	return ca
}

// node writes a certificate and key for a node and returns its files.
func (ca *testCA) node(t *testing.T, name string) TLSFiles {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	f := TLSFiles{Cert: filepath.Join(ca.dir, name+".pem"), Key: filepath.Join(ca.dir, name+"-key.pem"), CA: filepath.Join(ca.dir, "ca.pem")}
	writePEM(t, f.Cert, "CERTIFICATE", der)
	writePEM(t, f.Key, "EC PRIVATE KEY", kder)
	return f
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func loadTLS(t *testing.T, f TLSFiles) *tls.Config {
	t.Helper()
	c, err := LoadTLS(f)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestClusterMutualTLS: nodes whose certificates the cluster's CA signed
// form a cluster over TLS; a node whose certificate another CA signed is
// refused, both as a client and as a server.
func TestClusterMutualTLS(t *testing.T) {
	ca := newTestCA(t, "cluster CA")
	var nodes []*testNode
	var addrs []string
	for i := range 3 {
		id := fmt.Sprintf("n%d", i+1)
		node, err := New(Options{ID: id, Listen: "127.0.0.1:0", BootstrapExpect: 3, TLS: loadTLS(t, ca.node(t, id)), LeaderWait: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, &testNode{dir: t.TempDir(), node: node})
		addrs = append(addrs, string(node.Addr()))
	}
	for _, tn := range nodes {
		tn.node.opts.Join = addrs
		tn.open(t)
		defer tn.close()
	}
	waitLeader(t, nodes)
	if _, err := nodes[1].store.Apply(context.Background(), orgCmd("over-tls")); err != nil {
		t.Fatalf("a write over TLS: %v", err)
	}

	other := newTestCA(t, "another CA")
	rogue, err := New(Options{ID: "rogue", Listen: "127.0.0.1:0", TLS: loadTLS(t, other.node(t, "rogue"))})
	if err != nil {
		t.Fatal(err)
	}
	defer rogue.Close()
	// As a client: the cluster's node refuses the handshake.
	_, err = rogue.port.dial(addrs[0], connCall, 2*time.Second)
	if err == nil {
		t.Fatal("a node with another CA's certificate was let in")
	}
	// As a server: a cluster node refuses to talk to it.
	_, err = nodes[0].node.port.dial(string(rogue.Addr()), connCall, 2*time.Second)
	if err == nil || !strings.Contains(err.Error(), "not signed by the cluster's CA") {
		t.Errorf("dialling a node with another CA's certificate: %v, want a refusal naming the CA", err)
	}
	// And it cannot join.
	if err := rogue.Join(context.Background(), addrs[0]); err == nil {
		t.Error("a node with another CA's certificate joined the cluster")
	}
}

// TestWritesWithoutLeader: while the cluster has no leader (two of three
// nodes are gone), a write waits up to the bound and fails with
// ErrNoLeader: never a false success.
func TestWritesWithoutLeader(t *testing.T) {
	nodes := startCluster(t, 3)
	nodes[0].close()
	nodes[1].close()
	lone := nodes[2]
	start := time.Now()
	_, err := lone.store.Apply(context.Background(), orgCmd("alone"))
	if err == nil {
		t.Fatal("a write with no quorum was acknowledged")
	}
	if !isNoLeaderOrUnknown(err) {
		t.Errorf("a write with no quorum: %v, want ErrNoLeader or ErrOutcomeUnknown", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the write waited %v, beyond the bound", took)
	}
	if err := lone.store.Consistent(context.Background()); err == nil {
		t.Error("a consistent read with no quorum succeeded")
	}
	if lone.store.View().Organization("alone") != nil {
		t.Error("the refused write is visible")
	}
}

func isNoLeaderOrUnknown(err error) bool {
	return errors.Is(err, state.ErrNoLeader) || errors.Is(err, state.ErrOutcomeUnknown)
}
