package state

import (
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/reconcile-dev/reconcile/internal/english"
)

func applyConfigTxn(tx *memdb.Txn, index uint64, cmd *Command) error {
	c := cmd.ConfigApply
	if c == nil {
		return fmt.Errorf("config.apply command without payload")
	}
	var deletedOrgs, deletedProvs []string
	var touchedOrgs, touchedProvs, remapProvs []string
	counts := map[string]int{}
	var refusals []Refusal
	refuse := func(addr, format string, args ...any) {
		refusals = append(refusals, Refusal{Address: addr, Message: fmt.Sprintf(format, args...)})
	}
	for i := range c.Changes {
		ch := &c.Changes[i]
		if err := checkExpected(tx, ch); err != nil {
			return err
		}
		switch {
		case ch.Kind == KindOrganization && ch.Action == ActionDelete:
			cur := first[*Organization](tx, tableOrganizations, indexID, ch.Name)
			if cur.Protect {
				refuse(ch.Address(), "cannot be destroyed: it is protected (protect: true in the live state); apply it with protect: false first")
			}
			if err := tx.Delete(tableOrganizations, cur); err != nil {
				return fmt.Errorf("deleting %s: %w", ch.Address(), err)
			}
			deletedOrgs = append(deletedOrgs, ch.Name)
		case ch.Kind == KindProvider && ch.Action == ActionDelete:
			if err := tx.Delete(tableProviders, first[*Provider](tx, tableProviders, indexID, ch.Name)); err != nil {
				return fmt.Errorf("deleting %s: %w", ch.Address(), err)
			}
			deletedProvs = append(deletedProvs, ch.Name)
		case c.Edit && ch.Action != ActionUpdate:
			return fmt.Errorf("%s: an edit outside of config can only update", ch.Address())
		case ch.Kind == KindOrganization && ch.Organization != nil && ch.Organization.Name == ch.Name:
			o := *withApplied(ch.Organization)
			if c.Edit {
				o = *ch.Organization
				o.Applied = first[*Organization](tx, tableOrganizations, indexID, ch.Name).Applied
			}
			o.CreateIndex, o.ModifyIndex = index, index
			if cur := first[*Organization](tx, tableOrganizations, indexID, ch.Name); cur != nil {
				o.CreateIndex = cur.CreateIndex
			}
			if err := insertOrganizationTxn(tx, &o); err != nil {
				return err
			}
			touchedOrgs = append(touchedOrgs, o.Name)
		case ch.Kind == KindProvider && ch.Provider != nil && ch.Provider.Name == ch.Name:
			p := *withApplied(ch.Provider)
			if c.Edit {
				p = *ch.Provider
				p.Applied = first[*Provider](tx, tableProviders, indexID, ch.Name).Applied
			}
			if p.Auth.Secret.IsZero() {
				return fmt.Errorf("%s: no secret hash", ch.Address())
			}
			p.CreateIndex, p.ModifyIndex = index, index
			if cur := first[*Provider](tx, tableProviders, indexID, ch.Name); cur != nil {
				p.CreateIndex = cur.CreateIndex
				if !reflect.DeepEqual(cur.OrganizationMapping, p.OrganizationMapping) || !reflect.DeepEqual(cur.RoleMapping, p.RoleMapping) {
					remapProvs = append(remapProvs, p.Name)
				}
			}
			if err := insertProviderTxn(tx, &p); err != nil {
				return err
			}
			touchedProvs = append(touchedProvs, p.Name)
		default:
			return fmt.Errorf("%s: malformed %s change", ch.Address(), ch.Action)
		}
		counts[ch.Action]++
	}
	var inOrg map[string]int // users not purged, per organization; read once, if needed
	if len(deletedOrgs) > 0 {
		inOrg = make(map[string]int)
		for _, u := range all[*User](tx, tableUsers) {
			// Users keep their organization until purged: a deactivated
			// user's archives are in its cold storage.
			if u.State != UserPurged {
				inOrg[u.Organization]++
			}
		}
	}
	for _, name := range deletedOrgs {
		addr := KindOrganization + "." + name
		if n := inOrg[name]; n > 0 {
			refuse(addr, "cannot be destroyed: it still has %d %s (purged users do not count); move them to another organization first (reconcile users move)", n, english.Plural(n, "user", "users"))
		}
		for _, child := range childOrganizationsTxn(tx, name) {
			refuse(addr, "cannot be destroyed: organization %q is still under it", child.Name)
		}
		for _, p := range all[*Provider](tx, tableProviders) {
			if slices.Contains(p.OrganizationMapping.Organizations(), name) {
				refuse(addr, "cannot be destroyed: provider %q still maps users to it", p.Name)
			}
		}
	}
	for _, name := range deletedProvs {
		// A provider is needed while it manages users that may still sign
		// in: active or blocked ones.
		if n := countUsers(usersOfProvider(tx, name), func(u *User) bool { return u.State == UserActive || u.State == UserBlocked }); n > 0 {
			refuse(KindProvider+"."+name, "cannot be destroyed: it still manages %d active or blocked %s; deprovision them in the identity provider and let them be deactivated (or deactivate them: reconcile users deactivate) first", n, english.Plural(n, "user", "users"))
		}
	}
	for _, name := range touchedOrgs {
		if msg := checkParentChain(tx, name); msg != "" {
			refuse(KindOrganization+"."+name, "%s", msg)
		}
	}
	for _, name := range touchedProvs {
		p := first[*Provider](tx, tableProviders, indexID, name)
		for _, org := range p.OrganizationMapping.Organizations() {
			if first[*Organization](tx, tableOrganizations, indexID, org) == nil {
				refuse(KindProvider+"."+name, "maps users to organization %q, which does not exist", org)
			}
		}
	}
	if len(refusals) > 0 {
		return &RefusedError{Refusals: refusals}
	}
	// Group mappings apply to every user of a provider whose rules changed.
	for _, name := range remapProvs {
		var ids []string
		for _, u := range usersOfProvider(tx, name) {
			ids = append(ids, u.ID)
		}
		if err := remapTxn(tx, index, cmd, name, ids); err != nil {
			return err
		}
	}
	// A destroyed provider's remaining users (deactivated or purged) become
	// local users and its groups go: a provider created later under the
	// same name starts with nothing.
	for _, name := range deletedProvs {
		if err := detachProviderTxn(tx, index, cmd.Time, name); err != nil {
			return err
		}
	}
	if c.Edit {
		ev := &SyncEvent{Time: cmd.Time, Source: SourceAdmin, Action: "config.edit", Outcome: OutcomeOK,
			Detail: "changed outside of config: drift until the config says the same, or a reconcile corrects it"}
		for _, ch := range c.Changes {
			ev.Changes = append(ev.Changes, Change{Field: ch.Address(), New: "edited"})
		}
		return appendSyncEventTxn(tx, ev)
	}
	if err := setConfigStatusTxn(tx, &ConfigStatus{
		Revision:  c.Revision,
		Digest:    c.Digest,
		AppliedAt: cmd.Time,
		Index:     index,
	}); err != nil {
		return err
	}
	ev := &SyncEvent{
		Time:     cmd.Time,
		Source:   SourceConfig,
		Action:   CmdConfigApply,
		Outcome:  OutcomeOK,
		Revision: c.Revision,
		Detail: fmt.Sprintf("%d added, %d changed, %d destroyed",
			counts[ActionCreate], counts[ActionUpdate], counts[ActionDelete]),
	}
	for _, ch := range c.Changes {
		action := ch.Action
		if ch.Corrects {
			action += " (drift corrected)"
		}
		ev.Changes = append(ev.Changes, Change{Field: ch.Address(), New: action})
	}
	return appendSyncEventTxn(tx, ev)
}

// checkExpected refuses a change planned against a different version of
// its object.
func checkExpected(tx *memdb.Txn, ch *ConfigChange) error {
	var modify uint64
	var exists bool
	switch ch.Kind {
	case KindOrganization:
		if o := first[*Organization](tx, tableOrganizations, indexID, ch.Name); o != nil {
			exists, modify = true, o.ModifyIndex
		}
	case KindProvider:
		if p := first[*Provider](tx, tableProviders, indexID, ch.Name); p != nil {
			exists, modify = true, p.ModifyIndex
		}
	default:
		return fmt.Errorf("%s: unknown kind %q", ch.Address(), ch.Kind)
	}
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

func detachProviderTxn(tx *memdb.Txn, index uint64, now time.Time, provider string) error {
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
	for _, cur := range usersOfProvider(tx, provider) {
		u := *cur
		u.Provider, u.SCIM, u.SCIMDeleted, u.Deprovisioned = "", nil, false, false
		u.ModifyIndex, u.Modified = index, now
		if err := insertUserTxn(tx, &u); err != nil {
			return err
		}
		if err := appendSyncEventTxn(tx, &SyncEvent{Time: now, Source: SourceConfig, Action: "user.detach", Outcome: OutcomeOK,
			Provider: provider, UserID: u.ID, UserName: u.UserName,
			Detail: "provider " + provider + " was destroyed: the user is now a local user"}); err != nil {
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
