package admin

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/reconcile-dev/reconcile/state"
)

// Cluster is the daemon's node of a cluster, as the admin API sees it:
// cmd/reconcile wires it with package cluster's node.
type Cluster interface {
	// Status lists the members, asking each who it is.
	Status(ctx context.Context) (ClusterStatus, error)
	// Join asks the cluster whose node listens at addr (its cluster
	// port) to add this node, which must have no state yet (an error
	// wrapping state.ErrHasState).
	Join(ctx context.Context, addr string) error
	// Remove removes the member id from the cluster, through the leader
	// (state.ErrNotMember for an id the cluster does not have).
	Remove(ctx context.Context, id string) error
}

// ClusterStatus is the answer of GET /api/v1/cluster. A single node (no
// --raft-listen) answers Clustered false and no members.
type ClusterStatus struct {
	Clustered bool `json:"clustered"`
	// NodeID is the id of the node that answered.
	NodeID string `json:"nodeId,omitempty"`
	// Leader is the leader's id as that node knows it, "" while it knows
	// none.
	Leader string `json:"leader"`
	// Members are the cluster's members by id; none while the node is in
	// no cluster yet.
	Members []ClusterMember `json:"members"`
}

// ClusterMember is a member of the cluster: its id, address and vote
// from the cluster's configuration, and what it says of itself.
type ClusterMember struct {
	ID      string `json:"id"`
	Address string `json:"address"`
	Voter   bool   `json:"voter"`
	// Role is leader, follower or candidate, as the member says, or
	// unreachable when it did not answer within a second (Error says
	// why); what it would have said is then absent.
	Role  string `json:"role"`
	Error string `json:"error,omitempty"`
	// AppliedIndex is the last log index the member has applied.
	AppliedIndex *uint64 `json:"appliedIndex,omitempty"`
	// LastContactMillis is how long ago a follower last heard from the
	// leader (absent on the leader, and before any contact).
	LastContactMillis *int64 `json:"lastContactMillis,omitempty"`
}

// RoleUnreachable is the role of a member that did not answer.
const RoleUnreachable = "unreachable"

// JoinRequest is the body of POST /api/v1/cluster/join.
type JoinRequest struct {
	// Address is the cluster port (host:port) of a node of the cluster
	// to join.
	Address string `json:"address"`
}

// notClustered is why a single node refuses to join or remove.
const notClustered = "this daemon is a single node, not a cluster node: restart it with --raft-listen and --node-id (on the same data dir) to make it a cluster's first node, or start a new node that way to join one"

// clusterStatus answers GET /api/v1/cluster.
func (a *API) clusterStatus(w http.ResponseWriter, r *http.Request) {
	if a.opts.Cluster == nil {
		writeJSON(w, http.StatusOK, ClusterStatus{Members: []ClusterMember{}})
		return
	}
	a.answerCluster(w, r, http.StatusOK)
}

// answerCluster answers with the cluster's status.
func (a *API) answerCluster(w http.ResponseWriter, r *http.Request, status int) {
	st, err := a.opts.Cluster.Status(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "listing the members: "+err.Error())
		return
	}
	if st.Members == nil {
		st.Members = []ClusterMember{}
	}
	writeJSON(w, status, st)
}

// joinCluster answers POST /api/v1/cluster/join: this node joins the
// cluster of the node at the address given, and answers with its members.
func (a *API) joinCluster(w http.ResponseWriter, r *http.Request) {
	var in JoinRequest
	if !decode(w, r, &in) {
		return
	}
	if _, _, err := net.SplitHostPort(in.Address); err != nil {
		writeError(w, http.StatusBadRequest, "address: want the cluster port of a node of the cluster, as host:port: "+err.Error())
		return
	}
	if a.opts.Cluster == nil {
		writeError(w, http.StatusConflict, notClustered)
		return
	}
	err := a.opts.Cluster.Join(r.Context(), in.Address)
	switch {
	case errors.Is(err, state.ErrHasState):
		writeError(w, http.StatusConflict, err.Error())
		return
	case err != nil:
		writeError(w, http.StatusBadGateway, "joining the cluster at "+in.Address+": "+err.Error())
		return
	}
	a.opts.Logger.Info("joined a cluster", "via", in.Address, "remote", r.RemoteAddr)
	a.answerCluster(w, r, http.StatusOK)
}

// removeMember answers DELETE /api/v1/cluster/members/{id}: the leader
// removes the member, and the answer lists the members left.
func (a *API) removeMember(w http.ResponseWriter, r *http.Request) {
	if a.opts.Cluster == nil {
		writeError(w, http.StatusConflict, notClustered)
		return
	}
	id := r.PathValue("id")
	err := a.opts.Cluster.Remove(r.Context(), id)
	switch {
	case errors.Is(err, state.ErrNotMember):
		writeError(w, http.StatusNotFound, err.Error())
		return
	case errors.Is(err, state.ErrNoLeader), errors.Is(err, state.ErrOutcomeUnknown):
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "removing "+id+": "+err.Error())
		return
	case err != nil:
		writeError(w, http.StatusConflict, "removing "+id+": "+err.Error())
		return
	}
	a.opts.Logger.Info("removed a member from the cluster", "node", id, "remote", r.RemoteAddr)
	a.answerCluster(w, r, http.StatusOK)
}
