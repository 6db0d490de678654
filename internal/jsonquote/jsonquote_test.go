package jsonquote

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
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

// TestAppendUnquoted: escapes decode as json.Unmarshal decodes them;
// what JSON has no escape for, a cut escape and half a surrogate pair
// are refused.
func TestAppendUnquoted(t *testing.T) {
	for raw, want := range map[string]string{
		`plain é`:                    "plain é",
		`\"\\\/\b\f\n\r\t`:           "\"\\/\b\f\n\r\t",
		`a\u00e9\u00E9\u0000\u2028z`: "aéé\x00\u2028z",
		`\u0041\u004a`:               "AJ",
		`\ud83d\ude00`:               "", // a pair: left to json.Unmarshal
		`\udc00`:                     "",
		`\x41`:                       "",
		`\u00e`:                      "",
		`\u00g0`:                     "",
		`ends in \`:                  "",
	} {
		got, ok := AppendUnquoted([]byte("x"), []byte(raw))
		if ok != (want != "") || ok && string(got) != "x"+want {
			t.Errorf("AppendUnquoted(%q) = %q, %v; want %q", raw, got, ok, want)
		}
	}
}

// FuzzAppendUnquoted: what AppendUnquoted decodes, json.Unmarshal
// decodes the same, for a string of valid UTF-8 without control
// characters or a quote that is not escaped.
func FuzzAppendUnquoted(f *testing.F) {
	for _, s := range []string{`plain`, `\"\\\/\b\f\n\r\t`, `\u00e9\u2028`, `\ud83d\ude00`, `\u12`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		// raw as a scanner finds it between quotes: no quote but escaped.
		for i := 0; i < len(raw); i++ {
			switch raw[i] {
			case '\\':
				i++
			case '"':
				return
			}
			if i < len(raw) && raw[i] < 0x20 {
				return
			}
		}
		if !utf8.ValidString(raw) {
			return
		}
		got, ok := AppendUnquoted(nil, []byte(raw))
		if !ok {
			return
		}
		var want string
		if err := json.Unmarshal([]byte(`"`+raw+`"`), &want); err != nil {
			t.Fatalf("AppendUnquoted(%q) = %q, but json.Unmarshal refuses it: %v", raw, got, err)
		}
		if string(got) != want {
			t.Fatalf("AppendUnquoted(%q) = %q, json.Unmarshal %q", raw, got, want)
		}
	})
}
