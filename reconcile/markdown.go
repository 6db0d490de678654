package reconcile

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/reconcile-dev/reconcile/internal/english"
)

// MarkdownCollapseLines is how long a plan may be before its markdown
// collapses it in <details>.
const MarkdownCollapseLines = 30

// diffMarker finds a plan line's change marker after its indent.
var diffMarker = regexp.MustCompile(`^(\s*)([-+~])( |$)`)

// WriteMarkdown writes the plan as a pull-request comment, the way
// Atlantis does: the summary line on top, then the plan in a diff code
// block with each line's marker moved to the first column and ~ written
// as !, so that GitHub colours additions, deletions and updates; long
// plans are collapsed. The users the plan changes follow, collapsed
// too, then the problems that keep the plan from being applied.
func (p *Plan) WriteMarkdown(w io.Writer) error {
	var text strings.Builder
	if err := p.WriteText(&text); err != nil {
		return err
	}
	users := p.usersText()
	plan := strings.Replace(text.String(), users, "", 1)
	var b strings.Builder
	fmt.Fprintf(&b, "#### Plan for config revision `%s`\n\n", p.Revision)
	summary := p.SummaryLine()
	if len(p.Problems) > 0 {
		summary = fmt.Sprintf("Error: the plan cannot be applied (%d %s).", len(p.Problems), english.Plural(len(p.Problems), "problem", "problems"))
	}
	fmt.Fprintf(&b, "**%s**\n\n", summary)
	lines := strings.Split(strings.TrimRight(plan, "\n"), "\n")
	long := len(lines) > MarkdownCollapseLines
	if long {
		b.WriteString("<details><summary>Show the plan</summary>\n\n")
	}
	b.WriteString("```diff\n")
	for _, line := range lines {
		b.WriteString(diffLine(line))
		b.WriteString("\n")
	}
	b.WriteString("```\n")
	if long {
		b.WriteString("\n</details>\n")
	}
	p.writeUsersMarkdown(&b, users)
	if len(p.Problems) > 0 {
		b.WriteString("\n")
		for _, pr := range p.Problems {
			fmt.Fprintf(&b, "- :x: %s\n", markdownEscape(pr.String()))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// diffLine moves a plan line's marker to the first column: "  ~ x" becomes
// "!   x", the same width. Code fences in values are broken up so they cannot end the
// block.
func diffLine(line string) string {
	line = strings.ReplaceAll(line, "```", "`\u200b``")
	m := diffMarker.FindStringSubmatchIndex(line)
	if m == nil {
		return line
	}
	marker := line[m[4]:m[5]]
	if marker == "~" {
		marker = "!"
	}
	return marker + " " + line[m[2]:m[3]] + line[m[7]:]
}

// markdownEscape keeps user-supplied text from being read as markdown.
func markdownEscape(s string) string {
	r := strings.NewReplacer("\\", "\\\\", "`", "\\`", "*", "\\*", "_", "\\_", "<", "&lt;", ">", "&gt;", "[", "\\[", "]", "\\]", "|", "\\|")
	return r.Replace(s)
}
