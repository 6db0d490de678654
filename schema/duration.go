package schema

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Day is the "d" unit of config durations: always 24 hours.
const Day = 24 * time.Hour

// Duration is a config duration such as "15m", "1h30m" or "30d". Its units
// are ms, s, m, h and d; "0" means none.
type Duration time.Duration

var durationUnits = []struct {
	name string
	unit time.Duration
}{
	{"d", Day}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond},
}

var errDurationRange = errors.New("out of range")

// ParseDuration parses a config duration. Unlike time.ParseDuration it
// accepts days, and it rejects signs, fractions and spaces.
func ParseDuration(s string) (Duration, error) {
	if s == "0" {
		return 0, nil
	}
	if s == "" {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: %w", s, errDurationRange)
		}
		rest = rest[i:]
		var unit time.Duration
		switch {
		case strings.HasPrefix(rest, "ms"):
			unit, rest = time.Millisecond, rest[2:]
		case strings.HasPrefix(rest, "s"):
			unit, rest = time.Second, rest[1:]
		case strings.HasPrefix(rest, "m"):
			unit, rest = time.Minute, rest[1:]
		case strings.HasPrefix(rest, "h"):
			unit, rest = time.Hour, rest[1:]
		case strings.HasPrefix(rest, "d"):
			unit, rest = Day, rest[1:]
		default:
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		if n > int64(math.MaxInt64/unit) || total > math.MaxInt64-time.Duration(n)*unit {
			return 0, fmt.Errorf("invalid duration %q: %w", s, errDurationRange)
		}
		total += time.Duration(n) * unit
	}
	return Duration(total), nil
}

// String formats d canonically with the largest units first, e.g. "1h30m",
// "30d" or "0".
func (d Duration) String() string {
	if d == 0 {
		return "0"
	}
	var b strings.Builder
	rest := time.Duration(d)
	if rest < 0 {
		b.WriteByte('-')
		rest = -rest
	}
	for _, u := range durationUnits {
		if n := rest / u.unit; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteString(u.name)
			rest -= n * u.unit
		}
	}
	if rest > 0 { // below a millisecond: only reachable from code, not config
		b.WriteString(rest.String())
	}
	return b.String()
}

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// MarshalText encodes d in its canonical form.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses a config duration; it serves YAML and JSON decoding.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
