package state

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
)

// A rotated secret's overlap ends on the lifecycle's clock: the tick due
// at its end (NextDueWatch) forgets the old secret and says so in the
// sync log, as the rotation did. SCIM stops taking the old secret at the
// end of the overlap whether or not the tick has run yet
// (PreviousSecret.Valid).

// nextSecretExpiry is the end of the soonest overlap of a rotated
// secret, or the zero time. Providers are few: it reads them all.
func nextSecretExpiry(tx *memdb.Txn) time.Time {
	var next time.Time
	for _, p := range all[*Provider](tx, tableProviders) {
		if prev := p.Auth.Previous; prev != nil && (next.IsZero() || prev.Until.Before(next)) {
			next = prev.Until
		}
	}
	return next
}

// expireSecretsTxn forgets the previous secrets whose overlap ended by
// now, with a sync log event each.
func expireSecretsTxn(tx *memdb.Txn, index uint64, now time.Time) error {
	for _, cur := range all[*Provider](tx, tableProviders) {
		prev := cur.Auth.Previous
		if prev == nil || now.Before(prev.Until) {
			continue
		}
		p := *cur
		p.Auth.Previous = nil
		p.ModifyIndex = index
		if err := tx.Insert(tableProviders, &p); err != nil {
			return fmt.Errorf("ending the overlap of provider.%s's old secret: %w", p.Name, err)
		}
		ev := &SyncEvent{Time: now, Source: SourceTimer, Action: "provider.secret-expired", Outcome: OutcomeOK, Provider: p.Name,
			Detail: "the secret before the last rotation stopped working at " + stamp(prev.Until)}
		if err := appendSyncEventTxn(tx, ev); err != nil {
			return err
		}
	}
	return nil
}
