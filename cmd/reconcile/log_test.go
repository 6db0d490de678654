package main

import "testing"

// TestPrintable checks that what clients chose is printed with its
// control characters escaped, and nothing else changed.
func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"alice@acme.com":       "alice@acme.com",
		"évelyne@acme.fr":      "évelyne@acme.fr",
		"evil\x1b[2J@acme.com": `evil\x1b[2J@acme.com`,
		"line1\nfake\trow":     `line1\nfake\trow`,
		"nul\x00 del\x7f":      `nul\x00 del\x7f`,
		"csi\u009b31m":         `csi\u009b31m`,
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
}
