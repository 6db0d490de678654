package reconcile

import "github.com/reconcile-dev/reconcile/state"

// JSONUserChange is one user of the JSON plan's user_changes: what the
// plan changes of it, field by field.
type JSONUserChange struct {
	// User is the userName; UserID the id SCIM and the admin API use.
	User   string `json:"user"`
	UserID string `json:"user_id"`
	// Provider is the user's provider before the change, "" for a local
	// user.
	Provider string `json:"provider"`
	// Action is "update", or "create" for a user the plan makes live.
	Action  Action                   `json:"action"`
	Changes map[string]JSONUserField `json:"changes"`
}

// JSONUserField is one field of a user change. Deadlines are RFC 3339
// times; null is none.
type JSONUserField struct {
	Before any `json:"before"`
	After  any `json:"after"`
	// Reason says why: `rule "Sales"`, "fallback", "earlier", ...
	Reason string `json:"reason,omitempty"`
	// AtOnce: the change makes a deactivation or purge due at once.
	AtOnce bool `json:"at_once,omitempty"`
}

// JSONUserSummary counts the users a plan changes, in all and by kind of
// change (a user counts once per kind).
type JSONUserSummary map[string]int

// usersJSON returns the user_changes of the JSON plan and its
// summary.users.
func (p *Plan) usersJSON() ([]JSONUserChange, JSONUserSummary) {
	out := []JSONUserChange{}
	sum := JSONUserSummary{"changed": 0}
	for _, k := range userKinds {
		sum[k.key] = 0
	}
	for _, s := range p.sections() {
		for _, ch := range s.changes {
			out = append(out, userChangeJSON(ch))
		}
	}
	if p.Users != nil {
		sum["changed"] = len(p.Users.Changes)
		for i, n := range userCounts(p.Users.Changes) {
			sum[userKinds[i].key] = n
		}
	}
	return out, sum
}

// userChangeJSON is one user change as the JSON plan shows it.
func userChangeJSON(ch *state.UserChange) JSONUserChange {
	jc := JSONUserChange{User: ch.After.UserName, UserID: ch.After.ID, Provider: ch.Provider(),
		Action: Action(ch.Action()), Changes: map[string]JSONUserField{}}
	for _, f := range ch.Fields {
		before, after := fieldValues(ch, f.Name)
		jc.Changes[f.Name] = JSONUserField{Before: before, After: after, Reason: f.Reason, AtOnce: f.AtOnce}
	}
	return jc
}
