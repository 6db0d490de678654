package state

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-memdb"
)

// ConflictError reports that a write would break a uniqueness rule, such
// as a userName already taken; nothing was applied.
type ConflictError struct {
	Field string
	Value string
	// Owner is the provider owning the conflicting object, "" for a local
	// user.
	Owner string
	ID    string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s %q is already taken", e.Field, e.Value)
}

// writtenUser is the user a write stores: a copy of the command's, its
// resource packed as decoding the command gives it, so that every node
// stores the same bytes.
func writtenUser(w *UserWrite) (User, error) {
	if w == nil || w.User == nil || w.User.ID == "" {
		return User{}, fmt.Errorf("user.write command without a user")
	}
	u := *w.User
	if u.Provider != w.Provider || w.Provider == "" {
		return User{}, fmt.Errorf("user.write: user of provider %q written for provider %q", u.Provider, w.Provider)
	}
	u.SCIM = u.SCIM.packed()
	return u, nil
}

// keepStrings gives u the stored user's own strings (ownStrings) when
// they are the same, and puts u's in one allocation of their own when
// they are not, which it returns; "" when u keeps cur's. An identity
// provider's update (PingOne's PUT sends every field) mostly leaves them
// as they were: the record keeps the allocation it had, and the update's
// sync log event does not keep a copy alive.
func keepStrings(u, cur *User) (own string) {
	if cur != nil && u.UserName == cur.UserName && u.ExternalID == cur.ExternalID && u.GivenName == cur.GivenName &&
		u.FamilyName == cur.FamilyName && u.Email == cur.Email {
		u.UserName, u.ExternalID, u.GivenName, u.FamilyName, u.Email = cur.UserName, cur.ExternalID, cur.GivenName, cur.FamilyName, cur.Email
		return ""
	}
	return ownStrings(u)
}

// ownStrings puts the strings a user has of its own (userName,
// externalId, the names, an email other than the userName: interning
// shares the rest, internUser) into one allocation. Decoding a write
// gives each its own, four allocations that at 100,000 users kept about
// 160 bytes a user, where one holds them in about 110. It returns that
// allocation, which the write's sync log event refers to.
func ownStrings(u *User) string {
	fields := [...]*string{&u.UserName, &u.ExternalID, &u.GivenName, &u.FamilyName, &u.Email}
	sameEmail := u.Email == u.UserName
	n := 0
	for _, f := range fields {
		if !(sameEmail && f == &u.Email) {
			n += len(*f)
		}
	}
	var b strings.Builder
	b.Grow(n) // one allocation: each WriteString below fits
	var ends [len(fields)]int
	for i, f := range fields {
		if !(sameEmail && f == &u.Email) {
			b.WriteString(*f)
		}
		ends[i] = b.Len()
	}
	all, start := b.String(), 0 // strings.Builder's String does not copy
	for i, f := range fields {
		*f, start = all[start:ends[i]], ends[i]
	}
	if sameEmail {
		u.Email = u.UserName
	}
	return all
}

// appendWriteEventTxn appends the sync log event of a user write, if
// the command has one, with the lifecycle's changes; u is the user as
// stored, own its strings (keepStrings), action what the write did to
// its lifecycle ("" for nothing).
func appendWriteEventTxn(tx *memdb.Txn, cmd *Command, u *User, own, action string, lifecycle []Change) error {
	if cmd.UserWrite.Event == nil {
		return nil
	}
	ev := *cmd.UserWrite.Event
	ev.Time, ev.UserID = cmd.Time, u.ID
	if ev.UserName == "" {
		ev.UserName = u.UserName
	}
	if action != "" && ev.Action == "user.update" {
		ev.Action = action // a PUT or PATCH that deprovisions or reactivates
	}
	ev.Changes = append(ev.Changes, lifecycle...)
	return appendUserEventTxn(tx, &ev, own)
}

// restoredStrings gives a user read from a snapshot the strings a
// written one has, and returns its own (ownStrings) for its sync log
// events to refer to: decoding gives every string an allocation of its
// own, which after a restart cost a user about 240 bytes and nine heap
// objects more than after the writes that stored it.
func restoredStrings(u *User) string {
	internUser(u)
	return ownStrings(u)
}

// applyUserWriteTxn applies CmdUserWrite.
func applyUserWriteTxn(tx *memdb.Txn, index uint64, cmd *Command) error {
	w := cmd.UserWrite
	u, err := writtenUser(w)
	if err != nil {
		return err
	}
	p := first[*Provider](tx, tableProviders, indexID, w.Provider)
	if p == nil {
		return &NotFoundError{Address: "provider." + w.Provider}
	}
	if w.ProviderIndex != 0 && p.ModifyIndex != w.ProviderIndex {
		return &StaleError{Address: "provider." + p.Name, Reason: fmt.Sprintf("was changed (at index %d)", p.ModifyIndex)}
	}
	cur := first[*User](tx, tableUsers, indexID, u.ID)
	if cur != nil {
		u.ID = cur.ID // the copy the index holds, not the request's
	}
	own := keepStrings(&u, cur)
	expect := w.ExpectIndex
	var promoted *StagedUser
	if cur == nil {
		done, s, err := stagedWriteTxn(tx, index, cmd, p)
		if done || err != nil {
			return err
		}
		if s != nil {
			promoted, expect = s, 0 // the staged user goes live
		}
	}
	// Errors name the user by the userName the write gives (not another
	// provider's, which its client must not learn).
	addr := "user." + u.ID
	if err := checkOwned(addr, w.Provider, expect, cur, func(u *User) (string, uint64) { return u.Provider, u.ModifyIndex }); err != nil {
		return withUserName(err, addr, u.UserName)
	}
	if err := checkUserNameTxn(tx, &u, p.Name, cmd.NameRule, p.Rollout.Staging()); err != nil {
		return err
	}
	if first[*Organization](tx, tableOrganizations, indexID, u.Organization) == nil {
		return &RefusedError{Refusals: []Refusal{{Address: addr, UserName: u.UserName, Message: fmt.Sprintf("organization %q does not exist", u.Organization)}}}
	}
	copyLifecycle(&u, cur)
	u.ProviderValues = nil // a push makes the user as the provider says
	if cur == nil && first[*Organization](tx, tableOrganizations, indexID, w.User.Organization) != nil {
		u.Organization = w.User.Organization
	}
	var action string
	var lifecycle []Change
	if w.Active != nil {
		var err error
		if action, lifecycle, err = providerSetActive(tx, &u, p, *w.Active, cmd.Time); err != nil {
			return err
		}
	}
	if cur == nil { // a new user: its state changes from nothing
		if len(lifecycle) > 0 && lifecycle[0].Field == "state" {
			lifecycle[0].Old = ""
		} else {
			lifecycle = append([]Change{{Field: "state", New: u.State}}, lifecycle...)
		}
	}
	u.settle()
	u.CreateIndex, u.ModifyIndex = index, index
	u.Created, u.Modified = cmd.Time, cmd.Time
	if cur != nil {
		u.CreateIndex, u.Created = cur.CreateIndex, cur.Created
	}
	if promoted != nil {
		u.CreateIndex, u.Created = promoted.CreateIndex, promoted.Created
		lifecycle = append(lifecycle, Change{Field: "rollout", Old: "staged", New: "live"})
	}
	u.Roles = slices.Clip(u.Roles)
	if err := insertUserTxn(tx, &u); err != nil {
		return err
	}
	if err := appendWriteEventTxn(tx, cmd, &u, own, action, lifecycle); err != nil {
		return err
	}
	if w.LeaveGroups {
		groups, err := removeMembershipsOfUserTxn(tx, index, cmd.Time, u.ID)
		if err != nil || len(groups) == 0 {
			return err
		}
		return remapTxn(tx, index, cmd, u.Provider, []string{u.ID})
	}
	if promoted != nil { // its groups, staged with it, now map it
		return remapTxn(tx, index, cmd, u.Provider, []string{u.ID})
	}
	return nil
}

// checkOwned checks that a write made against version expect of an object
// still applies: the object is as read (or absent, for expect 0) and is
// owned by the writer.
func checkOwned[T any](addr, provider string, expect uint64, cur *T, owner func(*T) (string, uint64)) error {
	switch {
	case expect == 0 && cur != nil:
		return &StaleError{Address: addr, Reason: "was created"}
	case expect == 0:
		return nil
	case cur == nil:
		return &StaleError{Address: addr, Reason: "was deleted"}
	}
	p, modify := owner(cur)
	switch {
	case p != provider:
		return &RefusedError{Refusals: []Refusal{{Address: addr, Message: "is not managed by " + managerName(provider)}}}
	case modify != expect:
		return &StaleError{Address: addr, Reason: fmt.Sprintf("was changed (at index %d)", modify)}
	}
	return nil
}

func managerName(provider string) string {
	if provider == "" {
		return "the admin API"
	}
	return "provider " + provider
}
