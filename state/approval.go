package state

import "strings"

// The guards an approval lets one revision through.
const (
	GuardMassDestroy = "mass-destroy"
	GuardMassMove    = "mass-move"
)

// Lifts are the guards a lifts: its Guards, or the mass-destroy guard
// when it names none.
func (a *Approval) Lifts() []string {
	if len(a.Guards) == 0 {
		return []string{GuardMassDestroy}
	}
	return a.Guards
}

// GuardsPhrase names guards for a person: "the mass-destroy guard",
// "the mass-destroy and mass-move guards"; none is the mass-destroy
// guard.
func GuardsPhrase(guards []string) string {
	switch len(guards) {
	case 0:
		return "the " + GuardMassDestroy + " guard"
	case 1:
		return "the " + guards[0] + " guard"
	}
	return "the " + strings.Join(guards[:len(guards)-1], ", ") + " and " + guards[len(guards)-1] + " guards"
}

// approvedDoes says what an approval of guards lets its revision do, for
// the sync log.
func approvedDoes(guards []string) string {
	does := make([]string, len(guards))
	for i, g := range guards {
		switch g {
		case GuardMassMove:
			does[i] = "move, deactivate or purge more users than the mass-move guard allows"
		default:
			does[i] = "destroy more than the " + g + " guard allows"
		}
	}
	return strings.Join(does, " and ")
}
