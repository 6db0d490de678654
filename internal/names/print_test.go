package names

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestEscape checks that what could hide, reorder or forge text is
// escaped visibly, and nothing else changed.
func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"alice@acme.com":       "alice@acme.com",
		"évelyne@acme.fr":      "évelyne@acme.fr",
		`DOMAIN\alice`:         `DOMAIN\alice`,
		"a\ufffdb":             "a\ufffdb", // visible already
		"evil\x1b[2J@acme.com": `evil\x1b[2J@acme.com`,
		"line1\nfake\trow":     `line1\nfake\trow`,
		"nul\x00 del\x7f":      `nul\x00 del\x7f`,
		"csi\u009b31m":         `csi\u009b31m`,
		"ab\u202ecod.exe":      `ab\u202ecod.exe`,
		"a\u200bdmin":          `a\u200bdmin`,
		"\ufeffbom":            `\ufeffbom`,
		"a\u2028b\u2029c":      `a\u2028b\u2029c`,
		"tag\U000E0041":        `tag\U000e0041`,
		"bad\xffbyte":          `bad\xffbyte`,
		"lone\xed\xa0\x80":     `lone\ud800`,
		"low\xed\xbf\xbfx":     `low\udfffx`,
		"short\xed\xa0":        `short\xed\xa0`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEllipsize(t *testing.T) {
	for _, tt := range []struct {
		in    string
		width int
		want  string
	}{
		{"alice", 5, "alice"},
		{"alice", 4, "ali…"},
		{"évelyne", 7, "évelyne"},
		{"évelyne", 3, "év…"},
		{strings.Repeat("x", 100000), 64, strings.Repeat("x", 63) + "…"},
		{"", 64, ""},
	} {
		if got := Ellipsize(tt.in, tt.width); got != tt.want {
			t.Errorf("Ellipsize(%.20q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}

// TestEscapeJSON checks that JSON text is escaped as Escape escapes text,
// in JSON's own escapes, and still decodes to the same value.
func TestEscapeJSON(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"{\n  \"a\": \"b\"\n}\n", "{\n  \"a\": \"b\"\n}\n"},
		{`{"a":"évelyne\u001b"}`, `{"a":"évelyne\u001b"}`},
		{"{\"a\":\"x\u202ey\u200b\ufeff\u2028\x7f\u0085\"}", `{"a":"x\u202ey\u200b\ufeff\u2028\u007f\u0085"}`},
		{"[\"tag\U000E0041\"]", `["tag\udb40\udc41"]`},
		{"[\"bad\xff\"]", `["bad\ufffd"]`},
		{"[\"ok\ufffd\"]", "[\"ok\ufffd\"]"},
	} {
		got := string(EscapeJSON([]byte(tt.in)))
		if got != tt.want {
			t.Errorf("EscapeJSON(%q) = %q, want %q", tt.in, got, tt.want)
		}
		var before, after any
		if json.Unmarshal([]byte(tt.in), &before) != nil || json.Unmarshal([]byte(got), &after) != nil || !reflect.DeepEqual(before, after) {
			t.Errorf("EscapeJSON(%q) = %q: not the same JSON value (%v, %v)", tt.in, got, before, after)
		}
	}
}
