package reconcile

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/reconcile-dev/reconcile/internal/english"
	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/state"
)

// UserListLimit is how many users a section of a text plan lists one by
// one: a longer list is summarised by change, each with its count, unless
// Plan.ListUsers.
const UserListLimit = 10

// maxUserPad bounds the width user lines are aligned to: a longer name
// does not push every line right.
const maxUserPad = 60

// usersText is the users' section of the text plan: for each provider
// whose users the plan changes (and for the local users), a header and a
// line per user, or per change for a long list, in Terraform's style:
//
//	# users of provider.pingone (3 of 1,204 change)
//	~ user "alice@acme.com" { ~ organization = "engineering" -> "sales" } # rule "Sales"
//	~ user "bob@acme.com"   { ~ roles = ["Customer Cloud Admin"] -> [] }
//
// Each section starts with an empty line; "" when no user changes.
func (p *Plan) usersText() string {
	var b strings.Builder
	for _, s := range p.sections() {
		b.WriteString("\n")
		s.writeText(&b, p.ListUsers || len(s.changes) <= UserListLimit)
	}
	return b.String()
}

func (s *userSection) writeText(b *strings.Builder, each bool) {
	n := len(s.changes)
	fmt.Fprintf(b, "# %s (%s of %s %s", s.title(), count(n), count(s.total), english.Plural(n, "changes", "change"))
	if !each {
		b.WriteString("; --users lists each")
	}
	b.WriteString(")\n")
	writeUserLines(b, s.lines(each))
}

// lines are the section's lines: one per user, or, unless each, per
// change.
func (s *userSection) lines(each bool) []userLine {
	if !each {
		return summarise(s.changes)
	}
	var lines []userLine
	for _, ch := range s.changes {
		lines = append(lines, userLine{symbol: symbols[Action(ch.Action())], label: "user " + render(ch.After.UserName), body: fieldsText(ch, ch.Fields), note: notes(ch.Fields)})
	}
	return lines
}

// userLine is one line of a users' section: `~ label { body } # note`.
type userLine struct {
	symbol, label, body, note string
}

func writeUserLines(b *strings.Builder, lines []userLine) {
	width := 0
	for _, l := range lines {
		if w := utf8.RuneCountInString(l.label); w <= maxUserPad {
			width = max(width, w)
		}
	}
	for _, l := range lines {
		fmt.Fprintf(b, "%s %s%s { %s }", l.symbol, l.label, strings.Repeat(" ", max(0, width-utf8.RuneCountInString(l.label))), l.body)
		if l.note != "" {
			b.WriteString(" # " + l.note)
		}
		b.WriteString("\n")
	}
}

// fieldsText is the body of a user's line: each field "old -> new", with
// Terraform's marks (+ set, - removed, ~ changed).
func fieldsText(ch *state.UserChange, fields []state.UserField) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		before, after := fieldValues(ch, f.Name)
		switch {
		case ch.Before == nil || before == nil:
			parts[i] = fmt.Sprintf("+ %s = %s", f.Name, render(after))
		case after == nil:
			parts[i] = fmt.Sprintf("- %s = %s -> null", f.Name, render(before))
		default:
			parts[i] = fmt.Sprintf("~ %s = %s -> %s", f.Name, render(before), render(after))
		}
	}
	return strings.Join(parts, ", ")
}

// fieldValues are a field's values before and after as plans show them:
// nil for none (no provider, no deadline), a time as RFC 3339 in UTC.
func fieldValues(ch *state.UserChange, field string) (before, after any) {
	if ch.Before != nil {
		before = shown(state.UserFieldValue(ch.Before, field))
	}
	return before, shown(state.UserFieldValue(ch.After, field))
}

func shown(v any) any {
	switch v := v.(type) {
	case time.Time:
		if v.IsZero() {
			return nil
		}
		return v.UTC().Format(time.RFC3339)
	case string:
		if v == "" {
			return nil
		}
	}
	return v
}

// notes says why fields change: `rule "Sales"`, "later, due at once".
func notes(fields []state.UserField) string {
	var out []string
	for _, f := range fields {
		if n := note(f); n != "" {
			out = append(out, n)
		}
	}
	return strings.Join(out, "; ")
}

func note(f state.UserField) string {
	switch {
	case f.AtOnce && f.Reason != "":
		return f.Reason + ", due at once"
	case f.AtOnce:
		return "due at once"
	}
	return f.Reason
}

// summarise groups a long list of user changes by change: each field's
// (before, after) pair, or how far a deadline moves, and why; the most
// frequent first.
func summarise(changes []*state.UserChange) []userLine {
	type group struct {
		line userLine
		n    int
	}
	byKey := map[userLine]*group{}
	var groups []*group
	for _, ch := range changes {
		for _, f := range ch.Fields {
			body, moved := summaryBody(ch, f)
			l := userLine{symbol: symbols[Action(ch.Action())], body: body, note: note(f)}
			if moved { // the body says earlier or later
				l.note = note(state.UserField{AtOnce: f.AtOnce})
			}
			g := byKey[l]
			if g == nil {
				g = &group{line: l}
				byKey[l] = g
				groups = append(groups, g)
			}
			g.n++
		}
	}
	slices.SortStableFunc(groups, func(a, b *group) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.line.body, b.line.body), cmp.Compare(a.line.note, b.line.note))
	})
	out := make([]userLine, len(groups))
	for i, g := range groups {
		out[i] = g.line
		out[i].label = count(g.n) + " " + english.Plural(g.n, "user", "users")
	}
	return out
}

// summaryBody is one field's change as a summary shows it: a deadline by
// how far it moves (moved), which users share.
func summaryBody(ch *state.UserChange, f state.UserField) (body string, moved bool) {
	switch f.Name {
	case state.FieldDeactivateAt, state.FieldPurgeAt:
		before, _ := state.UserFieldValue(ch.Before, f.Name).(time.Time)
		after, _ := state.UserFieldValue(ch.After, f.Name).(time.Time)
		if ch.Before != nil && !before.IsZero() && !after.IsZero() {
			d, dir := after.Sub(before), "later"
			if d < 0 {
				d, dir = -d, "earlier"
			}
			return fmt.Sprintf("~ %s = %s %s", f.Name, schema.Duration(d), dir), true
		}
	}
	return fieldsText(ch, []state.UserField{f}), false
}

// writeUsersMarkdown writes the users' section of a plan (usersText) for
// a pull-request comment: collapsed in <details> under the users'
// summary, in a diff block as the plan is.
func (p *Plan) writeUsersMarkdown(b *strings.Builder, users string) {
	if users == "" {
		return
	}
	fmt.Fprintf(b, "\n<details><summary>%s</summary>\n\n```diff\n", markdownEscape(p.usersSummary()))
	for _, line := range strings.Split(strings.Trim(users, "\n"), "\n") {
		b.WriteString(diffLine(line))
		b.WriteString("\n")
	}
	b.WriteString("```\n\n</details>\n")
}
