package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLSFiles names the PEM files of a node's identity in the cluster: its
// certificate chain and key, and the CA that signs every node's.
type TLSFiles struct {
	Cert, Key, CA string
}

// LoadTLS builds the mutual TLS configuration of the cluster's port: a
// node accepts and dials only peers whose certificate the CA signed. The
// certificate serves as both server and client certificate; host names
// are not checked (nodes are dialled by address), the CA's signature is.
func LoadTLS(f TLSFiles) (*tls.Config, error) {
	if f.Cert == "" || f.Key == "" || f.CA == "" {
		return nil, errors.New("the cluster's TLS needs a certificate, its key and the CA (--cluster-tls-cert, --cluster-tls-key, --cluster-tls-ca)")
	}
	cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, fmt.Errorf("loading --cluster-tls-cert/--cluster-tls-key: %w", err)
	}
	pem, err := os.ReadFile(f.CA)
	if err != nil {
		return nil, fmt.Errorf("reading --cluster-tls-ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--cluster-tls-ca %s holds no PEM certificate", f.CA)
	}
	verify := func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("the peer sent no certificate")
		}
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
			Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
		})
		if err != nil {
			return fmt.Errorf("the peer's certificate is not signed by the cluster's CA: %w", err)
		}
		return nil
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAnyClientCert, // verified by VerifyConnection
		// Dialled by address: the chain is checked in VerifyConnection.
		InsecureSkipVerify: true,
		VerifyConnection:   verify,
	}, nil
}
