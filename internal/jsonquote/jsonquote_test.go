package jsonquote

import (
	"encoding/json"
	"testing"
)

// FuzzAppend: Append quotes any string as json.Marshal does.
func FuzzAppend(f *testing.F) {
	for _, s := range []string{"", "plain", "<a href=\"x\">&amp;</a>", "\x00\x1f\b\f\n\r\t\\\x7f", "é\xff\xfe\u2028\u2029 \U0001F600", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := Append([]byte("x"), s); string(got) != "x"+string(want) {
			t.Fatalf("Append(%q) = %s, want %s", s, got[1:], want)
		}
	})
}
