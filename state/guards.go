package state

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
)

// DeactivationGuard is a provider's mass-deactivation guard, like Entra's
// accidental deletions prevention on top of the delay: when more of its
// users are deprovisioned within Window than MaxCount, or than MaxPercent
// of its users (counting only from 10 deprovisions on), deactivations of
// its users pause until an admin approves or cancels them. Zero limits
// turn it off.
type DeactivationGuard struct {
	Window     time.Duration `json:"window,omitempty"`
	MaxCount   int           `json:"maxCount,omitempty"`
	MaxPercent int           `json:"maxPercent,omitempty"`
}

// minPercentCount is the fewest deprovisions the percentage limit counts.
const minPercentCount = 10

// Guard is the state of a provider's guard.
type Guard struct {
	Provider string `json:"provider"`
	// Recent are the times of the provider's deprovisions within the
	// window, oldest first.
	Recent    []time.Time `json:"recent,omitempty"`
	Tripped   bool        `json:"tripped,omitempty"`
	TrippedAt time.Time   `json:"trippedAt,omitzero"`
	Reason    string      `json:"reason,omitempty"`
}

// Guard returns the state of a provider's guard, or nil if it never saw a
// deprovision.
func (v *View) Guard(provider string) *Guard {
	return first[*Guard](v.tx, tableGuards, indexID, provider)
}

// Guards returns the state of every provider's guard.
func (v *View) Guards() []*Guard {
	return all[*Guard](v.tx, tableGuards)
}

// recordDeprovisionTxn counts a deprovision against its provider's guard,
// tripping it when the limits are passed.
func recordDeprovisionTxn(tx *memdb.Txn, p *Provider, now time.Time) error {
	cfg := p.DeactivationGuard
	if cfg.Window <= 0 || (cfg.MaxCount <= 0 && cfg.MaxPercent <= 0) {
		return nil
	}
	g := &Guard{Provider: p.Name}
	if cur := first[*Guard](tx, tableGuards, indexID, p.Name); cur != nil {
		c := *cur
		g = &c
	}
	cutoff := now.Add(-cfg.Window)
	recent := make([]time.Time, 0, len(g.Recent)+1)
	for _, t := range g.Recent {
		if t.After(cutoff) {
			recent = append(recent, t)
		}
	}
	g.Recent = append(recent, now)
	if !g.Tripped {
		g.Reason = tripReason(cfg, len(g.Recent), func() int { return countUsersOfProviderTxn(tx, p.Name) })
		if g.Reason != "" {
			g.Tripped, g.TrippedAt = true, now
			if err := appendSyncEventTxn(tx, &SyncEvent{Time: now, Source: SourceTimer, Action: "guard.tripped", Outcome: OutcomeOK, Provider: p.Name,
				Detail: g.Reason + ": deactivations pause until an admin approves or cancels them"}); err != nil {
				return err
			}
		}
	}
	if err := tx.Insert(tableGuards, g); err != nil {
		return fmt.Errorf("recording the guard: %w", err)
	}
	return nil
}

// tripReason says why n deprovisions within the window trip a guard set
// to cfg, users counting the provider's users; "" if they do not.
func tripReason(cfg DeactivationGuard, n int, users func() int) string {
	switch {
	case cfg.MaxCount > 0 && n > cfg.MaxCount:
		return fmt.Sprintf("%d users deprovisioned within %v, more than the %d allowed", n, cfg.Window, cfg.MaxCount)
	case cfg.MaxPercent > 0 && n >= minPercentCount:
		if u := users(); n*100 > cfg.MaxPercent*u {
			return fmt.Sprintf("%d of %d users (%d%%) deprovisioned within %v, more than the %d%% allowed", n, u, n*100/max(u, 1), cfg.Window, cfg.MaxPercent)
		}
	}
	return ""
}

// wouldTrip says whether a guard set to cfg would have tripped on the
// deprovisions that tripped g: those within cfg's window before g
// tripped.
func wouldTrip(cfg DeactivationGuard, g *Guard, users func() int) bool {
	if cfg.Window <= 0 || (cfg.MaxCount <= 0 && cfg.MaxPercent <= 0) {
		return false
	}
	cutoff, n := g.TrippedAt.Add(-cfg.Window), 0
	for _, t := range g.Recent {
		if t.After(cutoff) && !t.After(g.TrippedAt) {
			n++
		}
	}
	return tripReason(cfg, n, users) != ""
}

func guardTrippedTxn(tx *memdb.Txn, provider string) bool {
	g := first[*Guard](tx, tableGuards, indexID, provider)
	return g != nil && g.Tripped
}

// applyDeactivationsResolveTxn applies CmdDeactivationsResolve: an
// admin approves the deactivations a provider's tripped guard paused (each
// runs now, or on time if not yet due) or cancels them (the users stay
// blocked), and the guard is reset.
func applyDeactivationsResolveTxn(tx *memdb.Txn, index uint64, cmd *Command) error {
	r := cmd.DeactivationsResolve
	if r == nil {
		return fmt.Errorf("deactivations.resolve without payload")
	}
	now := cmd.Time
	g := first[*Guard](tx, tableGuards, indexID, r.Provider)
	if g == nil || !g.Tripped {
		return refused("provider."+r.Provider, "has no tripped mass-deactivation guard: nothing to approve or cancel")
	}
	var paused []*User
	for _, u := range usersOfProvider(tx, r.Provider) {
		if u.DeactivationPaused {
			paused = append(paused, u)
		}
	}
	n := 0
	for _, cur := range paused {
		u := *cur
		ev := &SyncEvent{Time: now, Source: SourceAdmin, Outcome: OutcomeOK, Provider: u.Provider, UserID: u.ID, UserName: u.UserName}
		switch {
		case r.Approve && !u.DeactivateAt.After(now):
			ev.Action, ev.Detail = "user.deactivate", "an admin approved the deactivations the guard paused"
			ev.Changes = deactivateTxn(tx, &u, now)
		case r.Approve:
			u.DeactivationPaused = false // not due yet: it runs on time
			u.settle()
		default:
			ev.Action, ev.Detail = "user.deactivation-cancelled", "an admin cancelled the deactivations the guard paused: the user stays blocked"
			ev.Changes = []Change{{Field: "deactivateAt", Old: stamp(u.DeactivateAt)}}
			u.DeactivationPaused, u.DeactivateAt = false, time.Time{}
			u.settle()
		}
		u.ModifyIndex, u.Modified = index, now
		if err := insertUserTxn(tx, &u); err != nil {
			return err
		}
		if ev.Action != "" {
			n++
			if err := appendSyncEventTxn(tx, ev); err != nil {
				return err
			}
		}
	}
	reset := &Guard{Provider: r.Provider}
	if err := tx.Insert(tableGuards, reset); err != nil {
		return err
	}
	action := "guard.cancelled"
	if r.Approve {
		action = "guard.approved"
	}
	return appendSyncEventTxn(tx, &SyncEvent{Time: now, Source: SourceAdmin, Action: action, Outcome: OutcomeOK, Provider: r.Provider,
		Detail: fmt.Sprintf("%d paused deactivations resolved; the guard is reset", len(paused))})
}
