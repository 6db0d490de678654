package english

import "testing"

func TestPlural(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want string
	}{
		{0, "errors"}, {1, "error"}, {2, "errors"}, {-1, "errors"},
	} {
		if got := Plural(tt.n, "error", "errors"); got != tt.want {
			t.Errorf("Plural(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
