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
	n := len(g.Recent)
	if !g.Tripped {
		switch {
		case cfg.MaxCount > 0 && n > cfg.MaxCount:
			g.Reason = fmt.Sprintf("%d users deprovisioned within %v, more than the %d allowed", n, cfg.Window, cfg.MaxCount)
		case cfg.MaxPercent > 0 && n >= minPercentCount:
			users := countUsersOfProviderTxn(tx, p.Name)
			if n*100 > cfg.MaxPercent*users {
				g.Reason = fmt.Sprintf("%d of %d users (%d%%) deprovisioned within %v, more than the %d%% allowed", n, users, n*100/max(users, 1), cfg.Window, cfg.MaxPercent)
			}
		}
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

func guardTrippedTxn(tx *memdb.Txn, provider string) bool {
	g := first[*Guard](tx, tableGuards, indexID, provider)
	return g != nil && g.Tripped
}
