package names

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fold returns the key two userNames are compared by: they are the same
// name when their keys are equal. Each character is lowercased by
// Unicode's simple case mapping when that mapping is undone by uppercasing
// (A and a, É and é, Σ and σ); the ten characters whose lowercase
// uppercases to another character keep their case: the Kelvin sign K
// (U+212A, lowercased k), the Ohm sign Ω (U+2126), the Ångström sign Å
// (U+212B), the capital I with dot İ (U+0130, lowercased i), the capital
// sharp s ẞ (U+1E9E), the capital theta symbol ϴ (U+03F4) and the
// titlecase digraphs ǅ ǈ ǋ ǲ. Nothing else is folded: ß is not ss, ı is
// not i, a fullwidth Ａ is not A, a Cyrillic а is not a Latin a.
//
// Two names with the same key also lowercase alike (strings.ToLower): a key
// only tells apart names that lowercasing confused, never the reverse.
func Fold(s string) string {
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.Map(foldRune, s)
		}
		upper = upper || 'A' <= c && c <= 'Z'
	}
	if upper {
		return strings.ToLower(s) // ASCII: as foldRune would
	}
	return s
}

func foldRune(r rune) rune {
	if l := unicode.ToLower(r); l == r || unicode.ToUpper(l) == r {
		return l
	}
	return r
}

// Equal reports whether a and b are the same name: Fold(a) == Fold(b).
// Names that differ by more than case are told apart without allocating.
func Equal(a, b string) bool {
	return strings.EqualFold(a, b) && Fold(a) == Fold(b)
}
