package state

import (
	"fmt"
	"strings"

	"github.com/hashicorp/go-memdb"
)

// Counts over all users are kept in the meta table as users change
// (fsm.commit), one row per counted value, so that reading them does not
// walk every user: /metrics reads them on every scrape, and a walk over a
// million users takes about a second. Being in memdb, they are what each
// view sees; one row per value keeps a write from copying the counts of
// every organization.
const (
	countByState        = "users.state/"
	countByOrganization = "users.organization/"
	// countByProvider counts the users each provider owns.
	countByProvider = "users.provider/"
	// countPending counts, by provider, the users whose deactivation is
	// pending (CountPendingDeactivations).
	countPending = "users.pending/"
	// countDrifted counts the provisioned users an admin changed since
	// their provider's last push (User.ProviderValues).
	countDrifted = "users.drifted/"
	// countStaged counts, by provider, its staged users (rollout.go),
	// which no other count counts.
	countStaged = "staged.provider/"
)

// countedAs is what u counts as: its state and organization, the
// provider it is pending deactivation for ("" if it is not), and whether
// an admin changed it since its provider's last push. Its provider
// (none for a local user) is counted too.
func countedAs(u *User) (state, organization, pendingFor string, drifted bool) {
	if u.Provider != "" && u.State == UserBlocked && !u.DeactivateAt.IsZero() {
		pendingFor = u.Provider
	}
	return u.State, u.Organization, pendingFor, len(u.ProviderValues) > 0
}

// userCountKeys calls fn with the count rows u counts in.
func userCountKeys(u *User, fn func(key string)) {
	state, org, pendingFor, drifted := countedAs(u)
	fn(countByState + state)
	fn(countByOrganization + org)
	if u.Provider != "" {
		fn(countByProvider + u.Provider)
	}
	if pendingFor != "" {
		fn(countPending + pendingFor)
	}
	if drifted {
		fn(countDrifted)
	}
}

// countUsersTxn brings the counts up to date with the users changed in tx.
func countUsersTxn(tx *memdb.Txn, changes memdb.Changes) {
	var delta map[string]int
	for _, ch := range changes {
		if ch.Table == tableStaged {
			if delta == nil {
				delta = make(map[string]int)
			}
			if ch.Before != nil {
				delta[countStaged+ch.Before.(*StagedUser).Provider]--
			}
			if ch.After != nil {
				delta[countStaged+ch.After.(*StagedUser).Provider]++
			}
			continue
		}
		if ch.Table != tableUsers {
			continue
		}
		if delta == nil {
			delta = make(map[string]int)
		}
		if ch.Before != nil {
			userCountKeys(ch.Before.(*User), func(k string) { delta[k]-- })
		}
		if ch.After != nil {
			userCountKeys(ch.After.(*User), func(k string) { delta[k]++ })
		}
	}
	for k, n := range delta {
		if n != 0 {
			setCountTxn(tx, k, countOf(tx, k)+n)
		}
	}
}

// countUsersOfProviderTxn counts a provider's users as tx holds them: its
// count row, which is as of the start of tx (rows are brought up to date
// as it commits), plus what tx changed (nothing in a view). A command may
// read this: a batch of commands shares a transaction, and replay batches
// them differently, so a count row alone would depend on the batch.
// Local users are no provider's: "" counts none.
func countUsersOfProviderTxn(tx *memdb.Txn, provider string) int {
	if provider == "" {
		return 0
	}
	n := countOf(tx, countByProvider+provider)
	for _, ch := range tx.Changes() {
		if ch.Table != tableUsers {
			continue
		}
		if ch.Before != nil && ch.Before.(*User).Provider == provider {
			n--
		}
		if ch.After != nil && ch.After.(*User).Provider == provider {
			n++
		}
	}
	return n
}

func countOf(tx *memdb.Txn, key string) int {
	if m := first[*meta](tx, tableMeta, indexID, key); m != nil {
		return m.Count
	}
	return 0
}

// setCountTxn stores a count; a count of 0 has no row.
func setCountTxn(tx *memdb.Txn, key string, n int) {
	var err error
	if n == 0 {
		_, err = tx.DeleteAll(tableMeta, indexID, key)
	} else {
		err = tx.Insert(tableMeta, &meta{Key: key, Count: n})
	}
	if err != nil {
		panic(fmt.Sprintf("recording user count %s: %v", key, err)) // only a wrong schema gets here
	}
}

// countsOf returns the counts under prefix, by what they count.
func countsOf(tx *memdb.Txn, prefix string) map[string]int {
	out := make(map[string]int)
	for _, m := range list[*meta](tx, tableMeta, indexID+"_prefix", prefix) {
		out[strings.TrimPrefix(m.Key, prefix)] = m.Count
	}
	return out
}

// userTally counts users as a snapshot is read: by value, without
// building a key per user (a million users are read in seconds).
type userTally struct {
	state, organization, provider, pending map[string]int
	staged                                 map[string]int // staged users by provider
	drifted                                int
}

func newUserTally() *userTally {
	return &userTally{state: map[string]int{}, organization: map[string]int{}, provider: map[string]int{}, pending: map[string]int{}, staged: map[string]int{}}
}

func (t *userTally) add(u *User) {
	state, org, pendingFor, drifted := countedAs(u)
	t.state[state]++
	t.organization[org]++
	if u.Provider != "" {
		t.provider[u.Provider]++
	}
	if pendingFor != "" {
		t.pending[pendingFor]++
	}
	if drifted {
		t.drifted++
	}
}

// counts returns the tally by count row.
func (t *userTally) counts() map[string]int {
	out := map[string]int{countDrifted: t.drifted}
	for prefix, m := range map[string]map[string]int{countByState: t.state, countByOrganization: t.organization, countByProvider: t.provider, countPending: t.pending, countStaged: t.staged} {
		for k, n := range m {
			out[prefix+k] = n
		}
	}
	return out
}

// recountUsersTxn replaces every count by those of users (a restored
// snapshot, which may be from before counts were kept).
func recountUsersTxn(tx *memdb.Txn, counts map[string]int) {
	for _, prefix := range []string{countByState, countByOrganization, countByProvider, countPending, countDrifted, countStaged} {
		if _, err := tx.DeleteAll(tableMeta, indexID+"_prefix", prefix); err != nil {
			panic(fmt.Sprintf("clearing user counts: %v", err))
		}
	}
	for k, n := range counts {
		setCountTxn(tx, k, n)
	}
}
