package schema

import (
	"fmt"
	"strings"
)

// suggestField explains an unknown field: the closest known field if there
// is a plausible one, else the list of fields.
func suggestField(name string, s *shape) string {
	if hint := suggest(name, s.order); hint != "" {
		return hint
	}
	return fmt.Sprintf(" (want one of %s)", strings.Join(s.fieldNames(), ", "))
}

// suggest returns ` (did you mean "x"?)` for the candidate closest to name,
// or "" when none is close.
func suggest(name string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if strings.EqualFold(c, name) {
			return fmt.Sprintf(" (did you mean %q?)", c)
		}
		if d := editDistance(strings.ToLower(name), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" || bestDist*3 > len(name) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
