package state

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"
)

// The user fields a config change may change, named as plans name them.
const (
	// FieldOrganization: a provider's group mapping moves the user.
	FieldOrganization = "organization"
	// FieldRoles: a provider's group mapping gives other roles.
	FieldRoles = "roles"
	// FieldProvider: the user's provider is destroyed; the user becomes
	// a local user.
	FieldProvider = "provider"
	// FieldDeactivateAt: the provider's deactivationDelay moves a pending
	// deactivation.
	FieldDeactivateAt = "deactivateAt"
	// FieldDeactivationPaused: the provider's new deactivationGuard
	// releases a deactivation its tripped guard paused.
	FieldDeactivationPaused = "deactivationPaused"
	// FieldPurgeAt: the organization's coldStoragePeriod moves the purge
	// of a deactivated user's archives.
	FieldPurgeAt = "purgeAt"
)

// UserChange is what a config apply does to one user: the user before
// and after, and the fields that differ. Plans show it; the apply writes
// After. A user that a change makes appear (a staged user becoming live)
// is a create: Before is nil.
type UserChange struct {
	Before *User
	After  *User
	Fields []UserField
}

// Action is ActionCreate or ActionUpdate.
func (c *UserChange) Action() string {
	if c.Before == nil {
		return ActionCreate
	}
	return ActionUpdate
}

// Provider is the provider the user belongs to before the change ("" for
// a local user): plans list users by it.
func (c *UserChange) Provider() string {
	if c.Before == nil {
		return c.After.Provider
	}
	return c.Before.Provider
}

// UserField is one field a UserChange changes, and why.
type UserField struct {
	// Name is one of the Field constants.
	Name string
	// Reason says why, e.g. `rule "Sales"`, "fallback", "earlier".
	Reason string
	// AtOnce: the change makes the user's deactivation or purge due at
	// once (a deadline moved into the past, a paused deactivation
	// released past its deadline).
	AtOnce bool
}

// Reasons of deadline moves.
const (
	ReasonEarlier = "earlier"
	ReasonLater   = "later"
)

// UserFieldValue is a field of u as plans show it: a string for
// organization and provider ("" for none), a sorted []string for roles
// (never nil), a time.Time for deadlines (zero for none), a bool for
// deactivationPaused.
func UserFieldValue(u *User, field string) any {
	switch field {
	case FieldOrganization:
		return u.Organization
	case FieldRoles:
		if u.Roles == nil {
			return []string{}
		}
		return u.Roles
	case FieldProvider:
		return u.Provider
	case FieldDeactivateAt:
		return u.DeactivateAt
	case FieldDeactivationPaused:
		return u.DeactivationPaused
	case FieldPurgeAt:
		return u.PurgeAt
	case FieldState:
		return u.State
	}
	panic("unknown user field " + field)
}

// logValue is a field's value as the sync log records it.
func logValue(u *User, field string) string {
	switch v := UserFieldValue(u, field).(type) {
	case string:
		return v
	case []string:
		return strings.Join(v, ",")
	case time.Time:
		return stamp(v)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// logChanges are the sync log's changes of fields from before to after.
func logChanges(before, after *User, fields []UserField) []Change {
	out := make([]Change, len(fields))
	for i, f := range fields {
		out[i] = Change{Field: f.Name, Old: logValue(before, f.Name), New: logValue(after, f.Name)}
	}
	return out
}

// UserImpact is what a config apply does to users.
type UserImpact struct {
	// Changes are the users it changes, sorted by id.
	Changes []UserChange
	// ReleasedGuards are the providers whose tripped mass-deactivation
	// guard it releases: their new deactivationGuard would not have
	// tripped on the deprovisions that tripped it.
	ReleasedGuards []string
	// Users counts the users of each provider before the apply; "" counts
	// the local users.
	Users map[string]int
	// At is the time the impact is computed for: what falls due at once
	// falls due by then.
	At time.Time
	// Conflicts are the staged users a promotion would make live whose
	// userName a live user holds: the apply refuses them (promote.go).
	Conflicts []PromotionConflict
	// Staged counts the staged users of each provider before the apply.
	Staged map[string]int
}

// UserImpact computes what applying c at now would do to the users of
// the view. It is the function the apply runs (applyConfigTxn), over the
// view's state instead of the FSM's.
func (v *View) UserImpact(c *ConfigApply, now time.Time) *UserImpact {
	im := userImpactTxn(v.tx, c, now)
	im.Users = usersByProviderTxn(v.tx)
	im.Staged = v.CountStagedUsers()
	return im
}

// UserImpact is View.UserImpact for a command against the current state,
// at the command's time (stamped now if unset, as Check does).
func (s *Store) UserImpact(cmd *Command) *UserImpact {
	if cmd.Time.IsZero() {
		cmd.Time = s.now().UTC()
	}
	if cmd.ConfigApply == nil {
		return &UserImpact{At: cmd.Time, Users: map[string]int{}}
	}
	return s.View().UserImpact(cmd.ConfigApply, cmd.Time)
}

// usersByProviderTxn counts the users of each provider, and the local
// users under "".
func usersByProviderTxn(tx *memdb.Txn) map[string]int {
	out := countsOf(tx, countByProvider)
	local := 0
	for _, n := range countsOf(tx, countByState) {
		local += n
	}
	for _, n := range out {
		local -= n
	}
	out[""] = local
	return out
}

// impact is a user impact being computed: a config apply's changes by
// kind and name, read against the state tx holds before they are made.
type impact struct {
	tx    *memdb.Txn
	c     *ConfigApply
	now   time.Time
	provs map[string]*ConfigChange
	orgs  map[string]*ConfigChange

	// What each provider's changes do to its users, and each
	// organization's to its own.
	detach    map[string]bool
	remap     map[string]*Provider
	delay     map[string]time.Duration // by how much deadlines move
	release   map[string]bool
	coldDelay map[string]time.Duration // by how much purges move
	promote   map[string]*Provider     // providers whose staged users may go live

	changes map[string]*UserChange // by user id
	out     *UserImpact

	// memberOf are the lower-cased names of each user's groups, read on
	// the first use (userimpact_groups.go); names is the set of the
	// current user's, reused from user to user. orgExists caches
	// organizationExists.
	memberOf  map[string][]string
	names     map[string]bool
	orgExists map[string]bool
}

// userImpactTxn computes what applying c at now does to users, changing
// nothing: the organizations and roles of the users of a provider whose
// group mappings change (mapUser), the users of a destroyed provider
// (they become local users), the deadlines of pending deactivations when
// a provider's deactivationDelay changes (they move by as much), the
// deactivations its tripped guard paused when its deactivationGuard
// changes so that it would not have tripped (released), and the purge
// dates of an organization's deactivated users when its
// coldStoragePeriod changes (they move by as much). It reads the state
// before c is applied: plans call it over a view, the apply over the
// FSM's transaction before it makes c's changes.
func userImpactTxn(tx *memdb.Txn, c *ConfigApply, now time.Time) *UserImpact {
	x := &impact{tx: tx, c: c, now: now, provs: map[string]*ConfigChange{}, orgs: map[string]*ConfigChange{},
		detach: map[string]bool{}, remap: map[string]*Provider{}, delay: map[string]time.Duration{},
		release: map[string]bool{}, coldDelay: map[string]time.Duration{}, promote: map[string]*Provider{},
		changes: map[string]*UserChange{}, out: &UserImpact{At: now},
		names: map[string]bool{}, orgExists: map[string]bool{}}
	for i := range c.Changes {
		ch := &c.Changes[i]
		switch ch.Kind {
		case KindProvider:
			x.provs[ch.Name] = ch
			x.provider(ch)
		case KindOrganization:
			x.orgs[ch.Name] = ch
			x.organization(ch)
		}
	}
	if len(x.detach)+len(x.remap)+len(x.delay)+len(x.release)+len(x.coldDelay) > 0 {
		x.walk()
	}
	x.promoteStaged()
	ids := make([]string, 0, len(x.changes))
	for id := range x.changes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	x.out.Changes = make([]UserChange, 0, len(ids))
	for _, id := range ids {
		x.out.Changes = append(x.out.Changes, *x.changes[id])
	}
	return x.out
}

// provider notes what a provider's change does to its users. Malformed
// changes are ignored here: the apply refuses them.
func (x *impact) provider(ch *ConfigChange) {
	before := first[*Provider](x.tx, tableProviders, indexID, ch.Name)
	if before == nil {
		return // created: it has no users yet
	}
	if ch.Action == ActionDelete {
		x.detach[ch.Name] = true
		return
	}
	after := ch.Provider
	if after == nil || ch.Action != ActionUpdate {
		return
	}
	x.noteRollout(before, after)
	if mappingChanged(before, after) && mapsGroups(after) {
		x.remap[ch.Name] = after
	}
	if d := after.DeactivationDelay - before.DeactivationDelay; d != 0 {
		x.delay[ch.Name] = d
	}
	if before.DeactivationGuard != after.DeactivationGuard {
		g := first[*Guard](x.tx, tableGuards, indexID, ch.Name)
		if g != nil && g.Tripped && !wouldTrip(after.DeactivationGuard, g, func() int { return countUsersOfProviderTxn(x.tx, ch.Name) }) {
			x.release[ch.Name] = true
			x.out.ReleasedGuards = append(x.out.ReleasedGuards, ch.Name)
		}
	}
}

func mappingChanged(before, after *Provider) bool {
	return !equalOrgMapping(before.OrganizationMapping, after.OrganizationMapping) || !equalRoleMapping(before.RoleMapping, after.RoleMapping)
}

func equalOrgMapping(a, b OrganizationMapping) bool {
	return a.Method == b.Method && a.Organization == b.Organization && a.Attribute == b.Attribute && slices.Equal(a.Rules, b.Rules)
}

func equalRoleMapping(a, b RoleMapping) bool {
	return a.Method == b.Method && slices.EqualFunc(a.Rules, b.Rules, func(x, y GroupRoles) bool {
		return x.Group == y.Group && slices.Equal(x.Roles, y.Roles)
	})
}

// organization notes what an organization's change does to its users.
func (x *impact) organization(ch *ConfigChange) {
	before := first[*Organization](x.tx, tableOrganizations, indexID, ch.Name)
	if before == nil || ch.Action != ActionUpdate || ch.Organization == nil {
		return
	}
	if d := ch.Organization.ColdStoragePeriod - before.ColdStoragePeriod; d != 0 && countOf(x.tx, countByOrganization+ch.Name) > 0 {
		x.coldDelay[ch.Name] = d
	}
}

// organizationExists says whether an organization exists once the
// changes are made.
func (x *impact) organizationExists(name string) bool {
	if ch, ok := x.orgs[name]; ok {
		return ch.Action != ActionDelete
	}
	exists, ok := x.orgExists[name]
	if !ok {
		exists = first[*Organization](x.tx, tableOrganizations, indexID, name) != nil
		x.orgExists[name] = exists
	}
	return exists
}

// walk goes over every user once, applying what the changes do to each.
func (x *impact) walk() {
	it, err := x.tx.Get(tableUsers, indexID)
	if err != nil {
		panic(err) // only a wrong schema gets here
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		u := raw.(*User)
		var next *User // copied on the first change
		var fields []UserField
		change := func(fs ...UserField) {
			fields = append(fields, fs...)
		}
		edit := func() *User {
			if next == nil {
				c := *u
				next = &c
			}
			return next
		}
		p := u.Provider
		switch {
		case p == "":
			// A local user: only its organization's changes apply.
		case x.detach[p]:
			n := edit()
			n.Provider, n.SCIM, n.SCIMDeleted, n.Deprovisioned = "", nil, false, false
			change(UserField{Name: FieldProvider, Reason: "provider destroyed"})
		case x.remap[p] != nil:
			if fs := x.mapped(u, edit); len(fs) > 0 {
				change(fs...)
			}
		}
		if d, ok := x.delay[p]; ok && u.State == UserBlocked && !u.DeactivateAt.IsZero() {
			n := edit()
			n.DeactivateAt = n.DeactivateAt.Add(d)
			change(UserField{Name: FieldDeactivateAt, Reason: earlierOrLater(d)})
		}
		if x.release[p] && u.DeactivationPaused {
			edit().DeactivationPaused = false
			change(UserField{Name: FieldDeactivationPaused, Reason: "deactivationGuard released"})
		}
		if d, ok := x.coldDelay[u.Organization]; ok && u.State == UserDeactivated && !u.PurgeAt.IsZero() {
			n := edit()
			n.PurgeAt = n.PurgeAt.Add(d)
			change(UserField{Name: FieldPurgeAt, Reason: earlierOrLater(d)})
		}
		if len(fields) == 0 {
			continue
		}
		next.settle()
		if due(next, x.now) && !due(u, x.now) {
			for i := range fields {
				switch fields[i].Name {
				case FieldDeactivateAt, FieldDeactivationPaused, FieldPurgeAt:
					fields[i].AtOnce = true
				}
			}
		}
		x.changes[u.ID] = &UserChange{Before: u, After: next, Fields: fields}
	}
}

// mapped applies the new group mappings of the user's provider to the
// user; edit returns the user's new version to change.
func (x *impact) mapped(u *User, edit func() *User) []UserField {
	trial := *u
	fields := mapUser(x.remap[u.Provider], &trial, x.groupNamesOf(u.ID), x.organizationExists)
	if len(fields) == 0 {
		return nil
	}
	n := edit()
	n.Organization, n.Roles = trial.Organization, trial.Roles
	return fields
}

func earlierOrLater(d time.Duration) string {
	if d < 0 {
		return ReasonEarlier
	}
	return ReasonLater
}

// due says whether the user's next timer event is due by now.
func due(u *User, now time.Time) bool {
	return u.Due != 0 && u.Due <= now.UnixNano()
}

// writeUserImpactTxn makes a config apply's user impact: each changed
// user's new version, each with its sync log events, then the released
// guards, reset.
func writeUserImpactTxn(tx *memdb.Txn, index uint64, cmd *Command, im *UserImpact) error {
	source := SourceConfig
	if cmd.ConfigApply != nil && cmd.ConfigApply.Edit {
		source = SourceAdmin
	}
	for i := range im.Changes {
		ch := &im.Changes[i]
		if ch.Before == nil {
			if err := writePromotedTxn(tx, index, cmd, ch, source, "the provider's rollout makes the staged user live, with the id it was given"); err != nil {
				return err
			}
			continue
		}
		next := *ch.After
		next.ModifyIndex, next.Modified = index, cmd.Time
		if err := insertUserTxn(tx, &next); err != nil {
			return err
		}
		for _, ev := range userImpactEvents(ch) {
			ev.Time, ev.Source, ev.Outcome = cmd.Time, source, OutcomeOK
			ev.Provider, ev.UserID, ev.UserName = ch.Provider(), next.ID, next.UserName
			if err := appendSyncEventTxn(tx, ev); err != nil {
				return err
			}
		}
	}
	for _, name := range im.ReleasedGuards {
		if err := tx.Insert(tableGuards, &Guard{Provider: name}); err != nil {
			return fmt.Errorf("releasing the guard: %w", err)
		}
		if err := appendSyncEventTxn(tx, &SyncEvent{Time: cmd.Time, Source: source, Action: "guard.released", Outcome: OutcomeOK, Provider: name,
			Detail: "the provider's new deactivationGuard would not have tripped: the deactivations it paused run on time (at once when due)"}); err != nil {
			return err
		}
	}
	return nil
}

// userImpactEvents are the sync log events of a user change: one per
// kind of change, with the fields of that kind.
func userImpactEvents(ch *UserChange) []*SyncEvent {
	var out []*SyncEvent
	add := func(action, detail string, f UserField) {
		c := logChanges(ch.Before, ch.After, []UserField{f})
		for _, ev := range out {
			if ev.Action == action {
				ev.Changes = append(ev.Changes, c...)
				return
			}
		}
		out = append(out, &SyncEvent{Action: action, Detail: detail, Changes: c})
	}
	for _, f := range ch.Fields {
		switch f.Name {
		case FieldOrganization, FieldRoles:
			add("user.remap", "the provider's group mappings changed", f)
		case FieldProvider:
			add("user.detach", "provider "+ch.Before.Provider+" was destroyed: the user is now a local user", f)
		case FieldDeactivateAt:
			add("user.reschedule", "the provider's deactivationDelay changed: the deactivation moved "+f.Reason+atOnce(f), f)
		case FieldDeactivationPaused:
			add("user.deactivation-released", "the provider's new deactivationGuard released the deactivation it paused"+atOnce(f), f)
		case FieldPurgeAt:
			add("user.reschedule", "the organization's coldStoragePeriod changed: the purge moved "+f.Reason+atOnce(f), f)
		}
	}
	return out
}

func atOnce(f UserField) string {
	if f.AtOnce {
		return ", due at once"
	}
	return ""
}
