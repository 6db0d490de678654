package protocol

import (
	"strings"
	"testing"
)

// TestSortByDateTime checks that times sort in time order: as text, RFC
// 3339 times with trimmed fractions or offsets do not. Users without the
// time come last either way.
func TestSortByDateTime(t *testing.T) {
	at := func(name, modified string) map[string]any {
		return map[string]any{"userName": name, "meta": map[string]any{"lastModified": modified}}
	}
	for _, tt := range []struct {
		order string
		want  string
	}{
		{"ascending", "a,b,c,d,none"},
		{"descending", "d,c,b,a,none"},
	} {
		results := []map[string]any{
			at("c", "2026-11-22T10:00:00.5Z"),
			at("none", ""),
			at("b", "2026-11-22T10:00:00.45Z"),
			at("d", "2026-11-22T09:30:00-02:00"), // 11:30Z, first as text
			at("a", "2026-11-22T10:00:00Z"),
		}
		if err := User.Sort(results, "meta.lastModified", tt.order); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range results {
			got = append(got, r["userName"].(string))
		}
		if g := strings.Join(got, ","); g != tt.want {
			t.Errorf("%s: %s, want %s", tt.order, g, tt.want)
		}
	}
}
