package reconcile

import (
	"fmt"

	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/state"
)

// Action is what a step does to its object.
type Action string

// Actions, named as in Terraform's JSON plans.
const (
	ActionCreate Action = "create"
	ActionUpdate Action = "update"
	ActionDelete Action = "delete"
	ActionNoOp   Action = "no-op"
)

// Plan is what applying a config would change.
type Plan struct {
	Revision     string // the config's revision
	Digest       string // the config's content digest
	LiveRevision string // the revision applied last, or ""

	Steps []*Step // the changes, in the order of phases, kinds and names
	NoOps []*Step // objects that are already as configured

	// Problems are the reasons the plan must not be applied (see Guard).
	Problems []Problem

	// Drift lists the objects changed outside of config, shown before
	// the plan as Terraform does (see PlanFor).
	Drift []*DriftEntry
	// DriftMode is what the plan does to them: DriftReport or DriftCorrect.
	DriftMode string

	// Users is what applying the plan does to the users of the live
	// state (userimpact.go; Guard computes it), nil until computed.
	Users *state.UserImpact
	// Rollouts are, for each provider the plan leaves in rollout, what
	// making it live would do (rollout.go; Guard computes them).
	Rollouts []*RolloutPreview
	// ListUsers lists every user the plan changes in its text and
	// markdown, instead of summarising long lists (--users).
	ListUsers bool
	// Trigger says what made the run that applies it ("webhook", "sync
	// by alice@laptop", ...): the state's history records it.
	Trigger string
	// massDestroys and massMoves count the Problems of the mass-destroy
	// and the mass-move guards (Guard).
	massDestroys, massMoves int
}

// Problem is a reason a plan must not be applied: a guard's, or an error
// in the config, positioned in its file.
type Problem struct {
	Address string `json:"address,omitempty"`
	Message string `json:"message"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Path    string `json:"path,omitempty"`
}

func (p Problem) String() string {
	switch {
	case p.File != "":
		e := schema.Error{File: p.File, Line: p.Line, Col: p.Column, Path: p.Path, Msg: p.Message}
		return e.Error()
	case p.Address == "":
		return p.Message
	}
	return p.Address + " " + p.Message
}

// ConfigProblems turns positioned config errors into problems.
func ConfigProblems(errs schema.Errors) []Problem {
	out := make([]Problem, len(errs))
	for i, e := range errs {
		out[i] = Problem{Message: e.Msg, File: e.File, Line: e.Line, Column: e.Col, Path: e.Path}
	}
	return out
}

// Step changes one object.
type Step struct {
	Action Action
	Kind   string // state.KindOrganization or state.KindProvider
	Name   string
	Reason string // why, for destroys

	// Before is the live object (nil for create); After the desired one
	// (nil for delete): *state.Organization or *state.Provider.
	Before, After any
	// Changes are the attributes that differ (all of them for create and
	// delete), in the order plans list them; Unchanged counts the others.
	Changes   []AttrChange
	Unchanged int
	// Notes say what else the step means, e.g. for deactivations already
	// scheduled.
	Notes []string

	// Providers only: what happens to the secret, and the new one.
	Secret    SecretAction
	newSecret []byte
}

// AttrChange is one attribute of a step, before and after. A nil value is
// not set.
type AttrChange struct {
	Path      string
	Before    any
	After     any
	Sensitive bool
}

// SecretAction is what a step does to a provider's secret.
type SecretAction int

// Secret actions.
const (
	SecretKeep     SecretAction = iota // unchanged
	SecretSet                          // replaced by the one read from env or file
	SecretGenerate                     // replaced by a new generated one, printed once
	SecretRehash                       // the same one from env or file, stored again with argon2id
)

// Address is the step's object address, e.g. "provider.pingone".
func (s *Step) Address() string { return s.Kind + "." + s.Name }

// String is the step in one line, as logs and plans print it.
func (s *Step) String() string {
	switch s.Action {
	case ActionCreate:
		return s.Address() + " will be created"
	case ActionUpdate:
		return s.Address() + " will be updated in-place"
	case ActionDelete:
		return s.Address() + " will be destroyed"
	}
	return s.Address() + " is up to date"
}

// phase orders steps: organizations are created before the providers that
// map to them, and destroyed after.
func (s *Step) phase() int {
	switch {
	case s.Action != ActionDelete && s.Kind == state.KindOrganization:
		return 0
	case s.Action != ActionDelete:
		return 1
	case s.Kind == state.KindProvider:
		return 2
	}
	return 3
}

// Summary counts the steps the way Terraform's summary line does.
func (p *Plan) Summary() (add, change, destroy int) {
	for _, s := range p.Steps {
		switch s.Action {
		case ActionCreate:
			add++
		case ActionUpdate:
			change++
		case ActionDelete:
			destroy++
		}
	}
	return add, change, destroy
}

// SummaryLine is Terraform's exact summary line, or its "No changes." line.
func (p *Plan) SummaryLine() string {
	if len(p.Steps) == 0 {
		return "No changes. The live state matches the configuration."
	}
	add, change, destroy := p.Summary()
	line := fmt.Sprintf("Plan: %d to add, %d to change, %d to destroy.", add, change, destroy)
	if users := p.usersSummary(); users != "" {
		line += " " + users
	}
	return line
}

// Applyable reports whether the plan may be applied.
func (p *Plan) Applyable() bool { return len(p.Problems) == 0 }
