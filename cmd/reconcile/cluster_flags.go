package main

import (
	"crypto/tls"
	"net"
	"strings"

	"github.com/reconcile-dev/reconcile/cluster"
	"github.com/spf13/cobra"
)

// clusterFlags are serve's flags of a cluster node.
type clusterFlags struct {
	nodeID          string
	listen          string
	advertise       string
	bootstrapExpect int
	join            []string
	tls             cluster.TLSFiles
	insecure        bool
}

func (f *clusterFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "raft-listen", "", "make this daemon a node of a cluster, with its cluster port (Raft and the nodes' calls) on this address; without it the daemon is a single node")
	fl.StringVar(&f.advertise, "raft-advertise", "", "the cluster port's address as the other nodes dial it (default --raft-listen)")
	fl.StringVar(&f.nodeID, "node-id", "", "this node's id in the cluster, unique and stable across restarts (e.g. n1)")
	fl.IntVar(&f.bootstrapExpect, "bootstrap-expect", 0, "a new cluster: wait until this many nodes without a state answer at --join (this one included), then the one with the lowest --node-id bootstraps it")
	fl.StringSliceVar(&f.join, "join", nil, "the cluster ports of other nodes (comma-separated): a node without a state asks them, with backoff, until it is in the cluster")
	fl.StringVar(&f.tls.Cert, "cluster-tls-cert", "", "this node's PEM certificate for the cluster port's mutual TLS")
	fl.StringVar(&f.tls.Key, "cluster-tls-key", "", "the PEM private key of --cluster-tls-cert")
	fl.StringVar(&f.tls.CA, "cluster-tls-ca", "", "the PEM CA that signs every node's certificate: peers it did not sign are refused")
	fl.BoolVar(&f.insecure, "cluster-insecure", false, "plain TCP on the cluster port, without TLS: for tests on loopback only")
}

// enabled reports whether the daemon is a cluster node.
func (f *clusterFlags) enabled() bool { return f.listen != "" }

// check refuses cluster flags that do not go together.
func (f *clusterFlags) check() error {
	if !f.enabled() {
		for flag, set := range map[string]bool{
			"--node-id": f.nodeID != "", "--raft-advertise": f.advertise != "", "--bootstrap-expect": f.bootstrapExpect != 0,
			"--join": len(f.join) > 0, "--cluster-tls-cert": f.tls.Cert != "", "--cluster-insecure": f.insecure,
		} {
			if set {
				return usageErrorf("%s makes sense only for a cluster node: give --raft-listen too", flag)
			}
		}
		return nil
	}
	switch {
	case f.nodeID == "":
		return usageErrorf("a cluster node needs --node-id, unique in the cluster and the same at every start")
	case strings.ContainsAny(f.nodeID, " \t\n/"):
		return usageErrorf("--node-id %q: use letters, digits, dots and dashes", f.nodeID)
	case f.bootstrapExpect < 0 || f.bootstrapExpect > 9:
		return usageErrorf("--bootstrap-expect is %d: give the number of nodes of the new cluster (1 to 9)", f.bootstrapExpect)
	case f.bootstrapExpect > 1 && len(f.join) == 0:
		return usageErrorf("--bootstrap-expect %d needs --join with the other nodes' cluster ports", f.bootstrapExpect)
	case f.insecure && (f.tls.Cert != "" || f.tls.Key != "" || f.tls.CA != ""):
		return usageErrorf("--cluster-insecure and --cluster-tls-* exclude each other")
	case f.insecure:
		for _, addr := range append([]string{f.listen, f.advertise}, f.join...) {
			if addr != "" && !isLoopback(addr) {
				return usageErrorf("--cluster-insecure is for loopback tests only: %s is not a loopback address (give --cluster-tls-cert, --cluster-tls-key and --cluster-tls-ca)", addr)
			}
		}
	case f.tls.Cert == "" || f.tls.Key == "" || f.tls.CA == "":
		return usageErrorf("a cluster node needs --cluster-tls-cert, --cluster-tls-key and --cluster-tls-ca (mutual TLS between the nodes), or --cluster-insecure on loopback")
	}
	return nil
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && isLoopbackHost(host)
}

// options are the cluster node's options.
func (f *clusterFlags) options() (cluster.Options, error) {
	var tlsConfig *tls.Config
	if !f.insecure {
		var err error
		if tlsConfig, err = cluster.LoadTLS(f.tls); err != nil {
			return cluster.Options{}, err
		}
	}
	return cluster.Options{
		ID: f.nodeID, Listen: f.listen, Advertise: f.advertise, TLS: tlsConfig,
		BootstrapExpect: f.bootstrapExpect, Join: f.join,
	}, nil
}
