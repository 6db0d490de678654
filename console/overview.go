package console

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/reconcile-dev/reconcile/admin"
	"github.com/reconcile-dev/reconcile/state"
)

// overviewData is what the overview shows.
type overviewData struct {
	Status      *admin.StatusReport // nil without a loop
	Source      admin.SourceInfo
	LastApplied time.Time // from the state when there is no loop
	Revision    string
	Users       int
	States      []stateCount
	Cluster     *admin.ClusterStatus // nil for a single node
	ClusterErr  string
	PendingPlan bool
}

// stateCount is how many users are in a state.
type stateCount struct {
	State string
	Count int
}

// userStates are the user states, in lifecycle order.
var userStates = []string{state.UserActive, state.UserBlocked, state.UserDeactivated, state.UserPurged}

// overview shows the status report of GET /api/v1/status, the users by
// state and the cluster's members.
func (c *Console) overview(r *http.Request, v *state.View) (any, error) {
	d := overviewData{Source: c.opts.Source}
	if cfg := v.Config(); cfg != nil {
		d.Revision, d.LastApplied = cfg.Revision, cfg.AppliedAt
	}
	if c.opts.Loop != nil {
		st := admin.Status(v, c.opts.Loop, c.opts.Source, c.opts.Drift)
		d.Status = &st
	}
	d.PendingPlan = c.pendingPlan() != nil
	counts := v.CountUsersByState()
	for _, s := range userStates {
		d.States = append(d.States, stateCount{s, counts[s]})
		d.Users += counts[s] // the kept counts: CountUsers walks them all
	}
	if c.opts.Cluster != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		cs, err := c.opts.Cluster.Status(ctx)
		if err != nil {
			d.ClusterErr = err.Error()
		} else {
			slices.SortFunc(cs.Members, func(a, b admin.ClusterMember) int { return cmp.Compare(a.ID, b.ID) })
			d.Cluster = &cs
		}
	}
	return d, nil
}
