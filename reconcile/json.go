package reconcile

import (
	"encoding/json"
	"io"

	"github.com/reconcile-dev/reconcile/state"
)

// JSONFormatVersion is the format_version of --json plans. It changes
// major version only when a key is removed or changes meaning.
const JSONFormatVersion = "1.0"

// JSONPlan is the machine-readable plan of `reconcile plan --json`. Its
// keys follow Terraform's JSON plan format so that scripts carry over; the
// README documents it.
type JSONPlan struct {
	FormatVersion   string       `json:"format_version"`
	ConfigRevision  string       `json:"config_revision"`
	ConfigDigest    string       `json:"config_digest"`
	LiveRevision    string       `json:"live_revision"`
	ResourceChanges []JSONChange `json:"resource_changes"`
	ResourceDrift   []JSONDrift  `json:"resource_drift"`
	// UserChanges is ours, not Terraform's: the users the plan changes
	// (userimpact_json.go).
	UserChanges []JSONUserChange `json:"user_changes"`
	// Rollouts is ours too: for each provider the plan leaves in rollout,
	// what making it live would do (rollout.go).
	Rollouts  []JSONRollout `json:"rollouts,omitempty"`
	Summary   JSONSummary   `json:"summary"`
	Applyable bool          `json:"applyable"`
	Errors    []Problem     `json:"errors"`
}

// JSONChange is one object of the plan, changed or not.
type JSONChange struct {
	Address      string         `json:"address"`
	Type         string         `json:"type"`
	Name         string         `json:"name"`
	ActionReason string         `json:"action_reason,omitempty"`
	Change       JSONChangeBody `json:"change"`
	// Notes is ours, not Terraform's: what else the change means.
	Notes []string `json:"notes,omitempty"`
}

// JSONChangeBody is the before and after of an object. Sensitive values
// are left out of before/after and flagged true in *_sensitive.
type JSONChangeBody struct {
	Actions         []Action       `json:"actions"`
	Before          map[string]any `json:"before"`
	After           map[string]any `json:"after"`
	BeforeSensitive map[string]any `json:"before_sensitive"`
	AfterSensitive  map[string]any `json:"after_sensitive"`
}

// JSONSummary counts the changes.
type JSONSummary struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
	// Users counts the users the plan changes, by kind of change.
	Users JSONUserSummary `json:"users"`
}

// JSON returns the machine-readable form of the plan.
func (p *Plan) JSON() *JSONPlan {
	add, change, destroy := p.Summary()
	jp := &JSONPlan{
		FormatVersion:   JSONFormatVersion,
		ConfigRevision:  p.Revision,
		ConfigDigest:    p.Digest,
		LiveRevision:    p.LiveRevision,
		ResourceChanges: []JSONChange{},
		ResourceDrift:   DriftJSON(p.Drift),
		Summary:         JSONSummary{Add: add, Change: change, Destroy: destroy},
		Applyable:       p.Applyable(),
		Errors:          append([]Problem{}, p.Problems...),
	}
	jp.UserChanges, jp.Summary.Users = p.usersJSON()
	jp.Rollouts = p.rolloutsJSON()
	steps := append(append([]*Step(nil), p.Steps...), p.NoOps...)
	for _, s := range steps {
		jc := JSONChange{
			Address: s.Address(), Type: s.Kind, Name: s.Name,
			Change: JSONChangeBody{
				Actions:         []Action{s.Action},
				BeforeSensitive: map[string]any{},
				AfterSensitive:  map[string]any{},
			},
		}
		if s.Action == ActionDelete {
			jc.ActionReason = "delete_because_no_resource_config"
		}
		jc.Notes = s.Notes
		if s.Before != nil {
			jc.Change.Before = nest(objectAttrs(s.Before))
			if s.Kind == state.KindProvider {
				jc.Change.BeforeSensitive = map[string]any{"auth": map[string]any{"secret": true}}
			}
		}
		if s.After != nil {
			jc.Change.After = nest(objectAttrs(s.After))
			if s.Kind == state.KindProvider {
				jc.Change.AfterSensitive = map[string]any{"auth": map[string]any{"secret": true}}
			}
		}
		jp.ResourceChanges = append(jp.ResourceChanges, jc)
	}
	return jp
}

// WriteJSON writes the plan as indented JSON.
func (p *Plan) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(p.JSON())
}

func objectAttrs(o any) []attr {
	switch o := o.(type) {
	case *state.Organization:
		return organizationAttrs(o)
	case *state.Provider:
		return providerAttrs(o)
	}
	return nil
}

// ConfigErrorsJSON is the --json answer when the config is invalid: a plan
// that has no changes, is not applyable, and lists every error.
func ConfigErrorsJSON(w io.Writer, revision string, errs []Problem) error {
	jp := &JSONPlan{FormatVersion: JSONFormatVersion, ConfigRevision: revision, ResourceChanges: []JSONChange{}, Errors: errs}
	jp.UserChanges, jp.Summary.Users = (&Plan{}).usersJSON()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(jp)
}

// JSONDrift is one object of `resource_drift`, as in Terraform's JSON
// plans: before is what config last applied, after what is live.
type JSONDrift struct {
	Address string         `json:"address"`
	Type    string         `json:"type"`
	Name    string         `json:"name"`
	Change  JSONChangeBody `json:"change"`
}

// DriftJSON returns the machine-readable form of drift entries.
func DriftJSON(entries []*DriftEntry) []JSONDrift {
	out := []JSONDrift{}
	for _, e := range entries {
		var applied any
		switch o := e.Live.(type) {
		case *state.Organization:
			applied = o.Applied
		case *state.Provider:
			applied = o.Applied
		}
		out = append(out, JSONDrift{Address: e.Address(), Type: e.Kind, Name: e.Name, Change: JSONChangeBody{
			Actions: []Action{ActionUpdate}, Before: nest(objectAttrs(applied)), After: nest(objectAttrs(e.Live)),
			BeforeSensitive: map[string]any{}, AfterSensitive: map[string]any{},
		}})
	}
	return out
}
