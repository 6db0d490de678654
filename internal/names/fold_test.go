package names

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestFoldLookAlikes checks which names are the same name.
func TestFoldLookAlikes(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		same bool
	}{
		{"alice@acme.com", "ALICE@Acme.COM", true},
		{"évelyne", "ÉVELYNE", true},
		{"ΟΔΥΣΣΕΥΣ", "οδυσσευσ", true},
		{"Ǆemal", "ǆemal", true},
		{"\u212Aelvin@acme.com", "kelvin@acme.com", false}, // Kelvin sign
		{"\u212Aelvin@acme.com", "Kelvin@acme.com", false},
		{"\u2126", "ω", false},    // Ohm sign
		{"\u212B", "å", false},    // Ångström sign
		{"аlice", "alice", false}, // Cyrillic а
		{"ａlice", "alice", false}, // fullwidth ａ
		{"ＡLICE", "ａlice", true},  // fullwidth letters fold among themselves
		{"straße", "strasse", false},
		{"STRAẞE", "straße", false}, // capital sharp s
		{"İlker", "ilker", false},   // Turkish capital İ
		{"ılker", "ilker", false},   // Turkish dotless ı
		{"ILKER", "ılker", false},
		{"e\u0301", "é", false}, // NFD and NFC: new names must be NFC
		{"ǅemal", "ǆemal", false},
	} {
		if got := Fold(tt.a) == Fold(tt.b); got != tt.same {
			t.Errorf("Fold(%q) == Fold(%q): %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
}

// TestFoldNeverMergesWhatLowercasingSeparates checks, for every
// character, that its key lowercases as the character does: then two
// names with the same key lowercase alike, so the state's index by
// lowercased userName finds every user with the same key, and no two
// users stored under the old rule become the same name under this one.
// Likewise for strings.EqualFold, which Equal asks first.
func TestFoldNeverMergesWhatLowercasingSeparates(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		f := foldRune(r)
		if unicode.ToLower(f) != unicode.ToLower(r) {
			t.Errorf("%U folds to %U, which lowercases to %U, not %U", r, f, unicode.ToLower(f), unicode.ToLower(r))
		}
		// And Equal may ask strings.EqualFold first.
		if !strings.EqualFold(string(r), string(f)) {
			t.Errorf("%U folds to %U, which strings.EqualFold tells apart", r, f)
		}
	}
	for _, s := range []string{"", "abc", "ABC", "Ab\u212A", "a\xffB", "\xed\xa0\x80X", "ÀÉÎ", "A\u0130"} {
		if got, want := strings.ToLower(Fold(s)), strings.ToLower(s); got != want {
			t.Errorf("ToLower(Fold(%q)) = %q, want %q", s, got, want)
		}
		if got, want := Fold(s), strings.Map(foldRune, s); got != want {
			t.Errorf("Fold(%q) = %q, want %q (its fast paths differ)", s, got, want)
		}
	}
}

// TestEqual checks that Equal is Fold's equality, on pairs that
// strings.EqualFold confuses or not.
func TestEqual(t *testing.T) {
	for _, p := range [][2]string{
		{"alice", "ALICE"}, {"alice", "bob"}, {"\u212Aelvin", "kelvin"}, {"ſ", "S"}, {"İ", "i"},
		{"ς", "Σ"}, {"ẞ", "ß"}, {"straße", "strasse"}, {"ǅ", "Ǆ"}, {"a\xff", "A\xfe"},
	} {
		if got, want := Equal(p[0], p[1]), Fold(p[0]) == Fold(p[1]); got != want {
			t.Errorf("Equal(%q, %q) = %v, want %v", p[0], p[1], got, want)
		}
	}
}
