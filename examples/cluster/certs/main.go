// Command certs makes the certificates of a cluster's mutual TLS: a CA,
// and a certificate and key per node, signed by it, for serve's
// --cluster-tls-ca, --cluster-tls-cert and --cluster-tls-key.
//
//	go run ./examples/cluster/certs -out /etc/reconcile/tls n1 n2 n3
//
// writes ca.pem (and ca-key.pem, which signs more nodes later: keep it
// off the nodes), and NAME.pem and NAME-key.pem for each NAME. A NAME
// is the node's id; -hosts adds the DNS names and addresses the node
// is reached at to its certificate (the nodes check the CA's
// signature, not names, but other tools may check them). Run it again
// with the same -out to add a node: the CA there is reused.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	out := flag.String("out", ".", "directory to write the PEM files to")
	hosts := flag.String("hosts", "", "comma-separated DNS names and IP addresses to put in every node's certificate; NAME=h1;h2 entries apply to one node")
	days := flag.Int("days", 825, "how long the certificates are valid")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./examples/cluster/certs [-out DIR] [-hosts H,...] NODE...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := generate(*out, flag.Args(), *hosts, time.Duration(*days)*24*time.Hour); err != nil {
		fmt.Fprintln(os.Stderr, "certs:", err)
		os.Exit(1)
	}
}

// generate writes, in dir, the CA (made unless ca.pem and ca-key.pem are
// there) and a certificate and key for each node.
func generate(dir string, nodes []string, hosts string, valid time.Duration) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	ca, caKey, err := loadCA(dir)
	if errors.Is(err, fs.ErrNotExist) {
		ca, caKey, err = newCA(dir, valid)
	}
	if err != nil {
		return err
	}
	shared, perNode := splitHosts(hosts)
	for _, node := range nodes {
		if node == "" || strings.ContainsAny(node, "/\\ ") {
			return fmt.Errorf("node %q: want a node id such as n1", node)
		}
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		tmpl, err := template(node, valid)
		if err != nil {
			return err
		}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
		for _, h := range append(append([]string{node}, shared...), perNode[node]...) {
			if ip := net.ParseIP(h); ip != nil {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			} else {
				tmpl.DNSNames = append(tmpl.DNSNames, h)
			}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return err
		}
		if err := writeKeyPair(dir, node, der, key); err != nil {
			return err
		}
	}
	return nil
}

// splitHosts reads -hosts: names for every node, and NAME=h1;h2 for one.
func splitHosts(hosts string) (shared []string, perNode map[string][]string) {
	perNode = map[string][]string{}
	for h := range strings.SplitSeq(hosts, ",") {
		h = strings.TrimSpace(h)
		if node, hs, ok := strings.Cut(h, "="); ok {
			perNode[node] = append(perNode[node], strings.Split(hs, ";")...)
		} else if h != "" {
			shared = append(shared, h)
		}
	}
	return shared, perNode
}

// template is a certificate of name, valid from an hour ago.
func template(name string, valid time.Duration) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name, Organization: []string{"reconcile cluster"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(valid),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}, nil
}

// newCA makes the CA and writes ca.pem and ca-key.pem.
func newCA(dir string, valid time.Duration) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl, err := template("reconcile cluster CA", valid)
	if err != nil {
		return nil, nil, err
	}
	tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	if err := writeKeyPair(dir, "ca", der, key); err != nil {
		return nil, nil, err
	}
	ca, err := x509.ParseCertificate(der)
	return ca, key, err
}

// loadCA reads the CA a previous run wrote in dir.
func loadCA(dir string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, "ca-key.pem"))
	if err != nil {
		return nil, nil, err
	}
	cb, kb := pemBlock(certPEM), pemBlock(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, fmt.Errorf("%s: ca.pem or ca-key.pem is not PEM", dir)
	}
	ca, err := x509.ParseCertificate(cb)
	if err != nil {
		return nil, nil, fmt.Errorf("ca.pem: %w", err)
	}
	key, err := x509.ParseECPrivateKey(kb)
	if err != nil {
		return nil, nil, fmt.Errorf("ca-key.pem: %w", err)
	}
	return ca, key, nil
}

func pemBlock(b []byte) []byte {
	if blk, _ := pem.Decode(b); blk != nil {
		return blk.Bytes
	}
	return nil
}

// writeKeyPair writes NAME.pem and NAME-key.pem (readable by the owner
// only).
func writeKeyPair(dir, name string, der []byte, key *ecdsa.PrivateKey) error {
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, name+".pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name+"-key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
}
