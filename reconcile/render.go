package reconcile

import (
	"fmt"
	"io"
	"strings"

	"github.com/reconcile-dev/reconcile/internal/english"
)

// Symbols of Terraform's plans.
var symbols = map[Action]string{ActionCreate: "+", ActionUpdate: "~", ActionDelete: "-"}

var legend = []struct {
	action Action
	text   string
}{
	{ActionCreate, "create"},
	{ActionUpdate, "update in-place"},
	{ActionDelete, "destroy"},
}

// WriteText writes the plan the way `terraform plan` does: the legend of
// the actions present, a block per step and the summary line. Sensitive
// values are never printed.
func (p *Plan) WriteText(w io.Writer) error {
	var b strings.Builder
	live := p.LiveRevision
	if live == "" {
		live = "none"
	}
	fmt.Fprintf(&b, "Config revision: %s (last applied: %s)\n\n", p.Revision, live)
	if len(p.Drift) > 0 {
		WriteDriftText(&b, p.Drift)
		if p.DriftMode == DriftCorrect {
			b.WriteString("\nThe plan below reverts these changes (--drift=correct).\n")
		} else {
			b.WriteString("\nThese changes are kept (--drift=report): the plan below changes only what the\nconfig changed since it was last applied.\n")
		}
		b.WriteString(strings.Repeat("─", 77))
		b.WriteString("\n\n")
	}
	if len(p.Steps) == 0 {
		if r := p.rolloutText(); r != "" {
			b.WriteString(strings.TrimPrefix(r, "\n"))
			b.WriteString("\n")
		}
		b.WriteString(p.SummaryLine())
		b.WriteString("\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	b.WriteString("Resource actions are indicated with the following symbols:\n")
	for _, l := range legend {
		if p.has(l.action) {
			fmt.Fprintf(&b, "  %s %s\n", symbols[l.action], l.text)
		}
	}
	b.WriteString("\nReconcile will perform the following actions:\n")
	for _, s := range p.Steps {
		b.WriteString("\n")
		s.writeText(&b)
	}
	b.WriteString(p.usersText())
	b.WriteString(p.rolloutText())
	b.WriteString("\n")
	b.WriteString(p.SummaryLine())
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func (p *Plan) has(a Action) bool {
	for _, s := range p.Steps {
		if s.Action == a {
			return true
		}
	}
	return false
}

func (s *Step) writeText(b *strings.Builder) {
	fmt.Fprintf(b, "  # %s\n", s)
	if s.Reason != "" {
		fmt.Fprintf(b, "  # (%s)\n", s.Reason)
	}
	fmt.Fprintf(b, "  %s %s %q {\n", symbols[s.Action], s.Kind, s.Name)
	s.writeChanges(b)
	if s.Unchanged > 0 && s.Action == ActionUpdate {
		fmt.Fprintf(b, "        # (%d unchanged %s hidden)\n", s.Unchanged, english.Plural(s.Unchanged, "attribute", "attributes"))
	}
	for _, n := range s.Notes {
		fmt.Fprintf(b, "        # (%s)\n", n)
	}
	b.WriteString("    }\n")
}

// writeChanges writes a line per changed attribute, aligned; an update
// marks the attributes it sets (+) or removes (-).
func (s *Step) writeChanges(b *strings.Builder) {
	width := 0
	for _, c := range s.Changes {
		width = max(width, len(c.Path))
	}
	for _, c := range s.Changes {
		sym := symbols[s.Action]
		if s.Action == ActionUpdate {
			switch {
			case c.Before == nil:
				sym = "+"
			case c.After == nil:
				sym = "-"
			}
		}
		fmt.Fprintf(b, "      %s %-*s = %s\n", sym, width, c.Path, s.value(c))
	}
}

// value renders an attribute change: "new" for creates, "old -> null" for
// destroys and "old -> new" for updates, masking secrets.
func (s *Step) value(c AttrChange) string {
	before, after := render(c.Before), render(c.After)
	if c.Sensitive {
		before, after = "*** (sensitive)", "*** (sensitive)"
		if s.Action == ActionUpdate {
			before, after = "*** (before)", "*** (after)"
		}
		switch s.Secret {
		case SecretGenerate:
			after = "(generated on apply, shown once)"
		case SecretRehash:
			before, after = "*** (fast hash)", "*** (argon2id)"
		}
	}
	switch {
	case s.Action == ActionCreate || c.Before == nil:
		return after
	case s.Action == ActionDelete || c.After == nil:
		return before + " -> null"
	}
	return before + " -> " + after
}
