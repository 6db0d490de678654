package state

import (
	"fmt"
	"slices"

	"github.com/hashicorp/go-memdb"
	"github.com/reconcile-dev/reconcile/internal/english"
)

// applyConfigTxn applies CmdConfigApply: what it does to users, computed
// first against the state it changes (userImpactTxn, which plans call
// too); each change in turn, through the functions of its kind in
// configKinds; then the checks that need every change made, all of whose
// refusals are reported together; then what follows: the users changed,
// a destroyed provider's groups deleted, and the record of the apply.
func applyConfigTxn(tx *memdb.Txn, index uint64, cmd *Command) error {
	c := cmd.ConfigApply
	if c == nil {
		return fmt.Errorf("config.apply command without payload")
	}
	x := &configAction{tx: tx, index: index, cmd: cmd, c: c, counts: map[string]int{}}
	x.users = userImpactTxn(tx, c, cmd.Time)
	for i := range c.Changes {
		if err := x.change(&c.Changes[i]); err != nil {
			return err
		}
	}
	x.refuseDestroyedOrganizations()
	x.refuseDestroyedProviders()
	x.refuseDanglingReferences()
	x.refuseRollouts()
	if len(x.refusals) > 0 {
		return &RefusedError{Refusals: x.refusals}
	}
	if err := x.follow(); err != nil {
		return err
	}
	if c.Edit {
		return x.recordEdit()
	}
	return x.recordApply()
}

// configKinds are the kinds of object a config apply changes: how to read
// an object's version, and how to delete and to create or update one.
var configKinds = map[string]configKind{
	KindOrganization: {
		version: func(tx *memdb.Txn, name string) (uint64, bool) {
			if o := first[*Organization](tx, tableOrganizations, indexID, name); o != nil {
				return o.ModifyIndex, true
			}
			return 0, false
		},
		delete: (*configAction).deleteOrganization,
		put:    (*configAction).putOrganization,
	},
	KindProvider: {
		version: func(tx *memdb.Txn, name string) (uint64, bool) {
			if p := first[*Provider](tx, tableProviders, indexID, name); p != nil {
				return p.ModifyIndex, true
			}
			return 0, false
		},
		delete: (*configAction).deleteProvider,
		put:    (*configAction).putProvider,
	},
}

type configKind struct {
	version func(tx *memdb.Txn, name string) (modifyIndex uint64, exists bool)
	delete  func(x *configAction, ch *ConfigChange) error
	// put creates or updates the object a change carries.
	put func(x *configAction, ch *ConfigChange) error
}

// configAction is a config apply being applied: what its changes did so
// far, for the checks made once all are.
type configAction struct {
	tx    *memdb.Txn
	index uint64
	cmd   *Command
	c     *ConfigApply

	deletedOrgs, deletedProvs []string
	touchedOrgs, touchedProvs []string
	// users is what the apply does to users.
	users    *UserImpact
	counts   map[string]int // changes by action
	refusals []Refusal
}

func (x *configAction) refuse(addr, format string, args ...any) {
	x.refusals = append(x.refusals, Refusal{Address: addr, Message: fmt.Sprintf(format, args...)})
}

// change applies one change planned against the version of its object
// that is stored.
func (x *configAction) change(ch *ConfigChange) error {
	if err := checkExpected(x.tx, ch); err != nil {
		return err
	}
	kind := configKinds[ch.Kind] // checkExpected refused other kinds
	var err error
	switch {
	case ch.Action == ActionDelete:
		err = kind.delete(x, ch)
	case x.c.Edit && ch.Action != ActionUpdate:
		return fmt.Errorf("%s: an edit outside of config can only update", ch.Address())
	default:
		err = kind.put(x, ch)
	}
	if err != nil {
		return err
	}
	x.counts[ch.Action]++
	return nil
}

// checkExpected refuses a change planned against a different version of
// its object.
func checkExpected(tx *memdb.Txn, ch *ConfigChange) error {
	kind, ok := configKinds[ch.Kind]
	if !ok {
		return fmt.Errorf("%s: unknown kind %q", ch.Address(), ch.Kind)
	}
	modify, exists := kind.version(tx, ch.Name)
	switch {
	case ch.Action == ActionCreate && exists:
		return &StaleError{Address: ch.Address(), Reason: "was created"}
	case ch.Action != ActionCreate && !exists:
		return &StaleError{Address: ch.Address(), Reason: "was destroyed"}
	case ch.Action != ActionCreate && modify != ch.ExpectIndex:
		return &StaleError{Address: ch.Address(), Reason: fmt.Sprintf("was changed (at index %d)", modify)}
	}
	return nil
}

func malformed(ch *ConfigChange) error {
	return fmt.Errorf("%s: malformed %s change", ch.Address(), ch.Action)
}

// deleteOrganization deletes an organization; a protected one is refused.
func (x *configAction) deleteOrganization(ch *ConfigChange) error {
	cur := first[*Organization](x.tx, tableOrganizations, indexID, ch.Name)
	if cur.Protect {
		x.refuse(ch.Address(), "cannot be destroyed: it is protected (protect: true in the live state); apply it with protect: false first")
	}
	if err := x.tx.Delete(tableOrganizations, cur); err != nil {
		return fmt.Errorf("deleting %s: %w", ch.Address(), err)
	}
	x.deletedOrgs = append(x.deletedOrgs, ch.Name)
	return nil
}

func (x *configAction) deleteProvider(ch *ConfigChange) error {
	if err := x.tx.Delete(tableProviders, first[*Provider](x.tx, tableProviders, indexID, ch.Name)); err != nil {
		return fmt.Errorf("deleting %s: %w", ch.Address(), err)
	}
	x.deletedProvs = append(x.deletedProvs, ch.Name)
	return nil
}

// putOrganization creates or updates an organization (nextVersion).
func (x *configAction) putOrganization(ch *ConfigChange) error {
	if ch.Organization == nil || ch.Organization.Name != ch.Name {
		return malformed(ch)
	}
	cur := first[*Organization](x.tx, tableOrganizations, indexID, ch.Name)
	o := nextVersion(ch.Organization, cur, x.c.Edit, x.index)
	if err := insertOrganizationTxn(x.tx, o); err != nil {
		return err
	}
	x.touchedOrgs = append(x.touchedOrgs, o.Name)
	return nil
}

// putProvider creates or updates a provider, as putOrganization does.
func (x *configAction) putProvider(ch *ConfigChange) error {
	if ch.Provider == nil || ch.Provider.Name != ch.Name {
		return malformed(ch)
	}
	cur := first[*Provider](x.tx, tableProviders, indexID, ch.Name)
	p := nextVersion(ch.Provider, cur, x.c.Edit, x.index)
	if p.Auth.Secret.IsZero() {
		return fmt.Errorf("%s: no secret hash", ch.Address())
	}
	if err := insertProviderTxn(x.tx, p); err != nil {
		return err
	}
	x.touchedProvs = append(x.touchedProvs, p.Name)
	return nil
}

// refuseDestroyedOrganizations refuses to destroy an organization that
// still has users, organizations under it, or a provider mapping users to
// it.
func (x *configAction) refuseDestroyedOrganizations() {
	if len(x.deletedOrgs) == 0 {
		return
	}
	inOrg := make(map[string]int) // users not purged, per organization
	for _, u := range all[*User](x.tx, tableUsers) {
		// Users keep their organization until purged: a deactivated
		// user's archives are in its cold storage.
		if u.State != UserPurged {
			inOrg[u.Organization]++
		}
	}
	staged := make(map[string]int) // staged users: they would go live there
	for _, s := range all[*StagedUser](x.tx, tableStaged) {
		staged[s.Organization]++
	}
	for _, name := range x.deletedOrgs {
		addr := KindOrganization + "." + name
		if n := inOrg[name]; n > 0 {
			x.refuse(addr, "cannot be destroyed: it still has %d %s (purged users do not count); move them to another organization first (reconcile users move)", n, english.Plural(n, "user", "users"))
		}
		if n := staged[name]; n > 0 {
			x.refuse(addr, "cannot be destroyed: %d staged %s would go live in it (a provider's rollout)", n, english.Plural(n, "user", "users"))
		}
		for _, child := range childOrganizationsTxn(x.tx, name) {
			x.refuse(addr, "cannot be destroyed: organization %q is still under it", child.Name)
		}
		for _, p := range all[*Provider](x.tx, tableProviders) {
			if slices.Contains(p.OrganizationMapping.Organizations(), name) {
				x.refuse(addr, "cannot be destroyed: provider %q still maps users to it", p.Name)
			}
		}
	}
}

// refuseDestroyedProviders refuses to destroy a provider while it manages
// users that may still sign in: active or blocked ones.
func (x *configAction) refuseDestroyedProviders() {
	for _, name := range x.deletedProvs {
		if n := countUsers(usersOfProvider(x.tx, name), func(u *User) bool { return u.State == UserActive || u.State == UserBlocked }); n > 0 {
			x.refuse(KindProvider+"."+name, "cannot be destroyed: it still manages %d active or blocked %s; deprovision them in the identity provider and let them be deactivated (or deactivate them: reconcile users deactivate) first", n, english.Plural(n, "user", "users"))
		}
	}
}

// refuseDanglingReferences refuses organizations created or updated with
// a missing or looping parent, and providers mapping users to an
// organization that does not exist.
func (x *configAction) refuseDanglingReferences() {
	for _, name := range x.touchedOrgs {
		if msg := checkParentChain(x.tx, name); msg != "" {
			x.refuse(KindOrganization+"."+name, "%s", msg)
		}
	}
	for _, name := range x.touchedProvs {
		p := first[*Provider](x.tx, tableProviders, indexID, name)
		for _, org := range p.OrganizationMapping.Organizations() {
			if first[*Organization](x.tx, tableOrganizations, indexID, org) == nil {
				x.refuse(KindProvider+"."+name, "maps users to organization %q, which does not exist", org)
			}
		}
	}
}

// refuseRollouts refuses promoting staged users whose userName a live
// user holds, and a provider put in preview while it has live users:
// preview keeps every user of a first sync out of the live state, and
// those are in it already (canary keeps only new users staged).
func (x *configAction) refuseRollouts() {
	for _, c := range x.users.Conflicts {
		x.refuse(KindProvider+"."+c.Provider, "%s", c.Message())
	}
	for _, name := range x.touchedProvs {
		p := first[*Provider](x.tx, tableProviders, indexID, name)
		if n := countUsersOfProviderTxn(x.tx, name); p.Rollout.Mode == RolloutPreview && n > 0 {
			x.refuse(KindProvider+"."+name, "rollout.mode preview is for a provider's first sync, and it has %d live %s; use mode canary to keep its new users staged", n, english.Plural(n, "user", "users"))
		}
	}
}

// follow applies what follows from the changes: what they do to users
// (userImpactTxn: among others, a destroyed provider's remaining users,
// deactivated or purged, become local users), and a destroyed provider's
// groups go, so that a provider created later under the same name starts
// with nothing.
func (x *configAction) follow() error {
	if err := writeUserImpactTxn(x.tx, x.index, x.cmd, x.users); err != nil {
		return err
	}
	for _, name := range x.deletedProvs {
		if err := purgeStagedTxn(x.tx, name); err != nil {
			return err
		}
		if err := deleteGroupsOfProviderTxn(x.tx, name); err != nil {
			return err
		}
	}
	return nil
}

// recordEdit logs an admin's edit outside of config; the applied revision
// stays.
func (x *configAction) recordEdit() error {
	detail := "changed outside of config"
	if x.c.By != "" {
		detail += " by " + x.c.By
	}
	ev := &SyncEvent{Time: x.cmd.Time, Source: SourceAdmin, Action: "config.edit", Outcome: OutcomeOK,
		Detail: detail + ": drift until the config says the same, or a reconcile corrects it"}
	if x.c.Reason != "" {
		ev.Detail += ". " + x.c.Reason
	}
	for _, ch := range x.c.Changes {
		if len(ch.Fields) == 0 {
			ev.Changes = append(ev.Changes, Change{Field: ch.Address(), New: "edited"})
		}
		for _, f := range ch.Fields {
			ev.Changes = append(ev.Changes, Change{Field: ch.Address() + "." + f.Field, Old: f.Old, New: f.New})
		}
	}
	return appendSyncEventTxn(x.tx, ev)
}

// recordApply records the revision applied and logs the apply.
func (x *configAction) recordApply() error {
	c, now := x.c, x.cmd.Time
	if err := setConfigStatusTxn(x.tx, &ConfigStatus{
		Revision:  c.Revision,
		Digest:    c.Digest,
		AppliedAt: now,
		Index:     x.index,
	}); err != nil {
		return err
	}
	approval, err := spendApprovalTxn(x.tx, c.Revision)
	if err != nil {
		return err
	}
	h := AppliedRevision{Revision: c.Revision, Digest: c.Digest, AppliedAt: now, Index: x.index, Trigger: c.Trigger,
		Added: x.counts[ActionCreate], Changed: x.counts[ActionUpdate], Destroyed: x.counts[ActionDelete], Approval: approval}
	if err := appendHistoryTxn(x.tx, h); err != nil {
		return err
	}
	ev := &SyncEvent{
		Time:     now,
		Source:   SourceConfig,
		Action:   CmdConfigApply,
		Outcome:  OutcomeOK,
		Revision: c.Revision,
		Detail:   fmt.Sprintf("%d added, %d changed, %d destroyed", h.Added, h.Changed, h.Destroyed),
	}
	if c.Trigger != "" {
		ev.Detail += "; trigger: " + c.Trigger
	}
	if approval != nil {
		ev.Detail += fmt.Sprintf("; approved by %s at %s", approval.By, stamp(approval.At))
	}
	for _, ch := range c.Changes {
		action := ch.Action
		if ch.Corrects {
			action += " (drift corrected)"
		}
		ev.Changes = append(ev.Changes, Change{Field: ch.Address(), New: action})
	}
	return appendSyncEventTxn(x.tx, ev)
}

// checkParentChain checks that an organization's ancestors exist and do not
// loop back to it.
func checkParentChain(tx *memdb.Txn, name string) string {
	seen := map[string]bool{name: true}
	o := first[*Organization](tx, tableOrganizations, indexID, name)
	for o != nil && o.Parent != "" {
		parent := first[*Organization](tx, tableOrganizations, indexID, o.Parent)
		switch {
		case parent == nil:
			return fmt.Sprintf("parent organization %q does not exist", o.Parent)
		case seen[parent.Name]:
			return fmt.Sprintf("organization %q is its own ancestor", parent.Name)
		}
		seen[parent.Name] = true
		o = parent
	}
	return ""
}

// deleteGroupsOfProviderTxn deletes a provider's groups and their
// memberships.
func deleteGroupsOfProviderTxn(tx *memdb.Txn, provider string) error {
	for _, g := range list[*Group](tx, tableGroups, indexProvider, provider) {
		for _, m := range list[*Membership](tx, tableMemberships, indexGroup, g.ID) {
			if err := tx.Delete(tableMemberships, m); err != nil {
				return err
			}
		}
		if err := tx.Delete(tableGroups, g); err != nil {
			return err
		}
	}
	return nil
}

// countUsers counts the users that keep passes.
func countUsers(users []*User, keep func(*User) bool) int {
	n := 0
	for _, u := range users {
		if keep(u) {
			n++
		}
	}
	return n
}
