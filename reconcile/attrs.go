package reconcile

import (
	"encoding/json"
	"strings"

	"github.com/reconcile-dev/reconcile/internal/names"
	"github.com/reconcile-dev/reconcile/state"
)

// attr is one attribute of an object as plans show it: a dotted path named
// as in the config, and a value that encodes as JSON (nil = not set).
type attr struct {
	path  string
	value any
	// keep shows the attribute even when zero: 0 is a setting there.
	keep bool
	// omit is the attribute's default, not shown by itself (nil for
	// none); a change to or from it shows it.
	omit any
}

// secretPath is where plans list a provider's secret, among the auth
// attributes.
const secretPath = "auth.secret"

func organizationAttrs(o *state.Organization) []attr { return attrsOf(organizationFields, o) }

func providerAttrs(p *state.Provider) []attr { return attrsOf(providerFields, p) }

// secretFrom shows a secret source as the config spells it.
func secretFrom(source string) string {
	if source == state.SecretSourceGenerated {
		return ""
	}
	return source
}

// compact drops attributes that are not set, and normalises values so that
// equal settings compare equal.
func compact(attrs []attr) []attr {
	out := attrs[:0]
	for _, a := range attrs {
		if a.keep {
			out = append(out, a)
			continue
		}
		if a.omit != nil && a.value == a.omit {
			continue
		}
		switch v := a.value.(type) {
		case string:
			if v == "" {
				continue
			}
		case []state.GroupOrganization:
			if len(v) == 0 {
				continue
			}
		case []state.GroupRoles:
			if len(v) == 0 {
				continue
			}
		case map[string]string:
			if len(v) == 0 {
				continue
			}
		case []string:
			if len(v) == 0 {
				continue
			}
		case float64:
			if v == 0 {
				continue
			}
		case int:
			if v == 0 {
				continue
			}
		}
		out = append(out, a)
	}
	return out
}

// render shows a value as plans print it.
func render(v any) string {
	if v == nil {
		return "null"
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "(unprintable)"
	}
	// A display name (an admin may set one through the admin API) could
	// hold what reorders or hides text in the terminal: escaped as JSON
	// escapes it.
	return strings.TrimSuffix(string(names.EscapeJSON([]byte(b.String()))), "\n")
}

// nest turns attributes into a nested JSON object, for --json plans.
func nest(attrs []attr) map[string]any {
	out := make(map[string]any)
	for _, a := range attrs {
		m := out
		parts := strings.Split(a.path, ".")
		for _, p := range parts[:len(parts)-1] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = make(map[string]any)
				m[p] = sub
			}
			m = sub
		}
		m[parts[len(parts)-1]] = a.value
	}
	return out
}
