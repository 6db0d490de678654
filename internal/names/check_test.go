package names

import (
	"strings"
	"testing"
)

// TestCheck checks which new names are refused, and that the message
// names the attribute, the character and where it is.
func TestCheck(t *testing.T) {
	for _, tt := range []struct{ name, want string }{
		{"alice@acme.com", ""},
		{"Évelyne Dupont", ""},
		{"ﬁle", ""},                          // a compatibility ligature is NFC
		{"ａlice", ""},                        // fullwidth: another name, not refused
		{"аlice", ""},                        // Cyrillic а: another name
		{"ılker", ""},                        // Turkish dotless ı
		{"İlker", ""},                        // Turkish capital İ
		{"straße", ""},                       // ß
		{"DOMAIN\\alice", ""},                // a backslash is printable
		{strings.Repeat("é", MaxLength), ""}, // characters, not bytes
		{"", "userName is required"},
		{" \t ", "userName is required"},
		{strings.Repeat("a", MaxLength+1), "userName is 257 characters long; at most 256 are allowed"},
		{strings.Repeat("a", 100000), "userName is 100000 characters long; at most 256 are allowed"},
		{"evil\x1b[2J", "userName must not contain control characters: U+001B at byte 4"},
		{"a\u0085b", "userName must not contain control characters: U+0085 at byte 1"},
		{"ab\u202ecod.exe", "userName must not contain invisible formatting characters or line separators (Unicode categories Cf, Zl and Zp): U+202E at byte 2"},
		{"a\u200bdmin", "U+200B at byte 1"},
		{"\ufeffadmin", "U+FEFF at byte 0"},
		{"a\u2028b", "U+2028 at byte 1"},
		{"a\u2029b", "U+2029 at byte 1"},
		{"a\u00adb", "U+00AD at byte 1"},       // soft hyphen
		{"tag\U000E0041", "U+E0041 at byte 3"}, // a tag character
		{"a\ufffdb", "userName must not contain U+FFFD, which is what an unpaired surrogate such as \\ud800 or bytes that are not UTF-8 decode to: at byte 1"},
		{"a\xffb", "U+FFFD, which is what an unpaired surrogate such as \\ud800 or bytes that are not UTF-8 decode to: at byte 1"},
		{"a\xed\xa0\x80b", "at byte 1"}, // a surrogate encoded as UTF-8
		{"\u212Aelvin@acme.com", `userName must be in Unicode Normalization Form C (NFC); normalized, it is "Kelvin@acme.com"`},
		{"e\u0301velyne", `normalized, it is "évelyne"`},
		{"\u2126mega", `normalized, it is "Ωmega"`},
		{"\u212Bngstr\u00f6m", `normalized, it is "Ångström"`},
	} {
		err := Check("userName", tt.name)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Check(%q) = %v, want nil", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("Check(%.40q) = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestCheckKept checks that a name a write keeps passes whatever it
// holds, unless blank, and that a new one is checked.
func TestCheckKept(t *testing.T) {
	for _, tt := range []struct {
		old, name string
		ok        bool
	}{
		{"a\u202eb", "a\u202eb", true},
		{"\u212Aelvin", "\u212Aelvin", true},
		{strings.Repeat("x", 1000), strings.Repeat("x", 1000), true},
		{"a\u202eb", "a\u202ec", false},
		{"alice", "\u212Aelvin", false},
		{" ", " ", false},
		{"", "", false},
	} {
		if err := CheckKept("displayName", tt.old, tt.name); (err == nil) != tt.ok {
			t.Errorf("CheckKept(%q, %.20q) = %v, want ok %v", tt.old, tt.name, err, tt.ok)
		}
	}
}
