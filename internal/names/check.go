package names

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxLength is the most characters (runes) a new name may have: longer
// ones are no one's name, and every table that prints them pads its rows
// to the longest.
const MaxLength = 256

// MaxValueLength is the most characters (runes) of the other text values
// clients send (a title, an email address, an externalId).
const MaxValueLength = 1024

// Check returns why name cannot be a new name (of attribute attr, for the
// message), or nil. A name is refused when it is
//
//   - blank;
//   - longer than MaxLength characters;
//   - holding a character that hides or reorders text or forges lines on
//     a terminal: control characters (Unicode category Cc), format
//     characters (Cf: bidirectional overrides, zero-width spaces, the byte
//     order mark), line and paragraph separators (Zl, Zp);
//   - holding U+FFFD, which is what an unpaired surrogate (\ud800) or
//     bytes that are not UTF-8 decode to, or bytes that are not UTF-8;
//   - not in Unicode Normalization Form C: the Kelvin sign (U+212A) for K,
//     or an é written as e and a combining accent, would be another name
//     that looks the same.
func Check(attr, name string) error {
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("%s is required", attr)
	}
	if n := utf8.RuneCountInString(name); n > MaxLength {
		return fmt.Errorf("%s is %d characters long; at most %d are allowed", attr, n, MaxLength)
	}
	for i, r := range name {
		switch {
		case unicode.IsControl(r):
			return fmt.Errorf("%s must not contain control characters: %U at byte %d", attr, r, i)
		case unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp):
			return fmt.Errorf("%s must not contain invisible formatting characters or line separators (Unicode categories Cf, Zl and Zp): %U at byte %d", attr, r, i)
		case r == utf8.RuneError:
			return fmt.Errorf("%s must not contain U+FFFD, which is what an unpaired surrogate such as \\ud800 or bytes that are not UTF-8 decode to: at byte %d", attr, i)
		}
	}
	if !norm.NFC.IsNormalString(name) {
		return fmt.Errorf("%s must be in Unicode Normalization Form C (NFC); normalized, it is %s", attr, Escape(fmt.Sprintf("%q", norm.NFC.String(name))))
	}
	return nil
}

// CheckKept is Check for a write to an existing user or group that had the
// name old: a name it keeps passes if not blank, so that one stored before
// these rules does not block every later write (a deprovision included).
func CheckKept(attr, old, name string) error {
	if name == old && strings.TrimSpace(name) != "" {
		return nil
	}
	return Check(attr, name)
}
