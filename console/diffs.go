package console

import (
	"net/http"
	"strings"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/state"
)

// diffLine is a line of a plan or drift text and its class: add, change,
// destroy or note, for the + ~ - colours.
type diffLine struct {
	Class string
	Text  string
}

// diffLines splits the text `reconcile plan` or `reconcile drift` prints
// into lines classed by the symbol they start with.
func diffLines(text string) []diffLine {
	text = strings.TrimSuffix(text, "\n")
	var out []diffLine
	for _, l := range strings.Split(text, "\n") {
		class := ""
		switch t := strings.TrimLeft(l, " "); {
		case strings.HasPrefix(t, "+ "):
			class = "add"
		case strings.HasPrefix(t, "~ "):
			class = "change"
		case strings.HasPrefix(t, "- "):
			class = "destroy"
		case strings.HasPrefix(t, "#"):
			class = "note"
		}
		out = append(out, diffLine{class, l})
	}
	return out
}

// planData is what the plan page shows.
type planData struct {
	Attempted, Revision string
	Reason, Message     string
	Problems            []reconcile.Problem
	Lines               []diffLine // nil when no plan is pending
}

// pendingPlan is the plan the loop's guards refused, or nil.
func (c *Console) pendingPlan() *reconcile.Plan {
	if pp, ok := c.opts.Loop.(PendingPlanner); ok {
		return pp.PendingPlan()
	}
	return nil
}

// plan shows the plan of a stalled revision, as `reconcile plan` prints
// it, and why it is not applied.
func (c *Console) plan(r *http.Request, v *state.View) (any, error) {
	var d planData
	if c.opts.Loop != nil {
		st := c.opts.Loop.Status()
		d.Attempted, d.Revision, d.Reason, d.Message, d.Problems = st.Attempted, st.Revision, st.Reason, st.Message, st.Errors
	}
	if p := c.pendingPlan(); p != nil {
		var b strings.Builder
		p.WriteText(&b)
		d.Lines = diffLines(b.String())
	}
	return d, nil
}

// drift shows what `reconcile drift` prints.
func (c *Console) drift(r *http.Request, v *state.View) (any, error) {
	var b strings.Builder
	reconcile.DriftOf(v).WriteText(&b)
	return diffLines(b.String()), nil
}
