package state

import (
	"fmt"
	"strings"

	"github.com/hashicorp/raft"
)

// ClusterDataDirError refuses to open a cluster node's data dir as a
// single node's: its log belongs to a cluster of other voters, and a
// single voter would wait for an election it can never win.
type ClusterDataDirError struct {
	Dir string
	// Servers are the cluster's members, as its log last recorded them.
	Servers []string
}

func (e *ClusterDataDirError) Error() string {
	return fmt.Sprintf("the data dir %s holds a node of a cluster of %d (%s), not a single node's state: "+
		"serve it with the node's cluster flags (--node-id, --raft-listen, --join), or run the cluster's state alone "+
		"from a snapshot (reconcile snapshot save on the cluster, then snapshot restore into an empty data dir)",
		e.Dir, len(e.Servers), strings.Join(e.Servers, ", "))
}

// checkSingleVoter refuses, at once, a single voter's start on a data dir
// whose configuration (the newest Raft read at its start) is a cluster's.
func (s *Store) checkSingleVoter() error {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return fmt.Errorf("reading the cluster configuration: %w", err)
	}
	servers := f.Configuration().Servers
	if len(servers) == 1 && servers[0].ID == serverID {
		return nil
	}
	e := &ClusterDataDirError{Dir: s.dir}
	for _, srv := range servers {
		desc := string(srv.ID)
		if srv.Suffrage != raft.Voter {
			desc += " (not a voter)"
		}
		e.Servers = append(e.Servers, desc)
	}
	return e
}
