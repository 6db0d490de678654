package schema

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		str  string
	}{
		{"0", 0, "0"},
		{"15m", 15 * time.Minute, "15m"},
		{"90m", 90 * time.Minute, "1h30m"},
		{"1h30m", 90 * time.Minute, "1h30m"},
		{"30d", 30 * Day, "30d"},
		{"1d12h", 36 * time.Hour, "1d12h"},
		{"500ms", 500 * time.Millisecond, "500ms"},
		{"1m1ms", time.Minute + time.Millisecond, "1m1ms"},
		{"0s", 0, "0"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if err != nil {
			t.Errorf("ParseDuration(%q): %v", tt.in, err)
			continue
		}
		if got.Std() != tt.want || got.String() != tt.str {
			t.Errorf("ParseDuration(%q) = %v (%s), want %v (%s)", tt.in, got.Std(), got, tt.want, tt.str)
		}
	}
}

func TestParseDurationErrors(t *testing.T) {
	for _, in := range []string{"", "15", "15 minutes", "-5m", "1.5h", "m", "5w", "106752d", "99999999999999999999s", "1h 30m"} {
		if d, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want error", in, d)
		}
	}
}

// TestDurationText: a duration encodes in its canonical form and decodes
// from config text, as JSON and YAML fields do; durations made in code
// (negative, below a millisecond) still print.
func TestDurationText(t *testing.T) {
	var v struct {
		D Duration `json:"d"`
	}
	if err := json.Unmarshal([]byte(`{"d": "90m"}`), &v); err != nil || v.D.Std() != 90*time.Minute {
		t.Fatalf("decoding 90m: %v, %v", v.D, err)
	}
	if b, err := json.Marshal(v); err != nil || string(b) != `{"d":"1h30m"}` {
		t.Errorf("encoding: %s, %v", b, err)
	}
	if err := json.Unmarshal([]byte(`{"d": "1.5h"}`), &v); err == nil || !strings.Contains(err.Error(), `invalid duration "1.5h"`) {
		t.Errorf("decoding 1.5h: %v, want an invalid duration", err)
	}
	for d, want := range map[time.Duration]string{-90 * time.Minute: "-1h30m", time.Second + 1500: "1s1.5µs", Day + time.Millisecond: "1d1ms"} {
		if got := Duration(d).String(); got != want {
			t.Errorf("Duration(%v).String() = %q, want %q", d, got, want)
		}
	}
}
