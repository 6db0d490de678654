package state

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
)

// PreviousSecret is a provider's secret before a rotation: it keeps
// working until Until, so that the identity provider can be given the
// new one without a failed sync.
type PreviousSecret struct {
	Secret SecretHash `json:"secret"`
	Until  time.Time  `json:"until"`
}

// Valid says whether the previous secret still works at now.
func (p *PreviousSecret) Valid(now time.Time) bool {
	return p != nil && now.Before(p.Until)
}

// SecretRotate replaces a provider's generated secret by a new one
// (CmdSecretRotate); the old one keeps working for Overlap (none: it
// stops at once).
type SecretRotate struct {
	Provider string        `json:"provider"`
	Secret   SecretHash    `json:"secret"`
	Overlap  time.Duration `json:"overlap,omitempty"`
	// By says who rotated it, for the sync log.
	By string `json:"by,omitempty"`
}

// applySecretRotateTxn applies CmdSecretRotate. Only a secret the daemon
// generated is rotated here: one from env or file changes there.
func applySecretRotateTxn(tx *memdb.Txn, index uint64, cmd *Command) error {
	r := cmd.SecretRotate
	if r == nil {
		return fmt.Errorf("provider.rotate-secret command without payload")
	}
	addr := KindProvider + "." + r.Provider
	cur := first[*Provider](tx, tableProviders, indexID, r.Provider)
	switch {
	case cur == nil:
		return &NotFoundError{Address: addr}
	case cur.Auth.SecretSource != SecretSourceGenerated:
		return refused(addr, "its secret comes from %s: change it there and apply the config (only a generated secret is rotated here)", cur.Auth.SecretSource)
	case r.Secret.IsZero():
		return fmt.Errorf("provider.rotate-secret: no secret")
	case r.Overlap < 0:
		return fmt.Errorf("provider.rotate-secret: a negative overlap")
	}
	p := *cur
	p.Auth.Previous = nil
	detail := "a new secret generated"
	if r.By != "" {
		detail += " by " + r.By
	}
	if r.Overlap > 0 {
		p.Auth.Previous = &PreviousSecret{Secret: cur.Auth.Secret, Until: cmd.Time.Add(r.Overlap)}
		detail += "; the old one works until " + stamp(p.Auth.Previous.Until)
	} else {
		detail += "; the old one stopped working"
	}
	p.Auth.Secret = r.Secret
	p.ModifyIndex = index
	if err := tx.Insert(tableProviders, &p); err != nil {
		return fmt.Errorf("rotating the secret of %s: %w", addr, err)
	}
	return appendSyncEventTxn(tx, &SyncEvent{Time: cmd.Time, Source: SourceAdmin, Action: CmdSecretRotate, Outcome: OutcomeOK, Provider: r.Provider, Detail: detail})
}
