package scim

import (
	"fmt"
	"strings"

	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
)

// A preset lists, for each user field it updates, the SCIM attribute paths
// to read it from, first non-empty wins.
type preset map[string][]string

const (
	pathWorkEmail    = `emails[type eq "work"].value`
	pathPrimaryEmail = `emails[primary eq true].value`
	pathAnyEmail     = `emails.value`
)

var directoryFields = preset{
	"email":     {pathWorkEmail, pathPrimaryEmail, pathAnyEmail},
	"firstName": {"name.givenName"},
	"lastName":  {"name.familyName"},
	"title":     {"title"},
}

var directoryAndADFields = func() preset {
	p := preset{
		"division":     {protocol.URNEnterpriseUser + ":division"},
		"department":   {protocol.URNEnterpriseUser + ":department"},
		"employeeType": {"userType"},
		"city":         {`addresses[type eq "work"].locality`, "addresses.locality"},
		"state":        {`addresses[type eq "work"].region`, "addresses.region"},
		"country":      {`addresses[type eq "work"].country`, "addresses.country"},
		"externalId":   {"externalId"},
	}
	for k, v := range directoryFields {
		p[k] = v
	}
	return p
}()

// presets are the named attribute mappings of config.cue. Okta and Entra
// send the same SCIM attributes PingOne's AD Connect flattens its fields
// into, so they share its mapping.
var presets = map[string]preset{
	"pingone-directory":  directoryFields,
	"pingone-ad-connect": directoryAndADFields,
	"okta":               directoryAndADFields,
	"entra":              directoryAndADFields,
}

// fieldsFor returns the mapping of a provider: its preset with its map
// applied (a path mapped to a field replaces the preset's paths for that
// field; "ignore" removes a path). Without a map it is the preset itself,
// shared: callers only read it.
func fieldsFor(a state.Attributes) preset {
	base := presets[a.Preset]
	if base == nil {
		base = directoryFields
	}
	if len(a.Map) == 0 {
		return base
	}
	out := make(preset, len(base))
	for f, paths := range base {
		out[f] = append([]string(nil), paths...)
	}
	for _, path := range sortedKeys(a.Map) {
		field := a.Map[path]
		if field == "ignore" {
			for f, paths := range out {
				var kept []string
				for _, p := range paths {
					if !strings.EqualFold(p, path) {
						kept = append(kept, p)
					}
				}
				out[f] = kept
			}
			continue
		}
		if field != "userName" {
			out[field] = []string{path}
		}
	}
	return out
}

// applyFields sets the user fields a provider's mapping updates from a
// SCIM resource; fields it does not map are left alone. It returns the
// fields that changed (for a create, every field it sets).
func applyFields(u *state.User, res map[string]any, mapping preset) []state.Change {
	// Collected on the stack, and copied out once: a create changes every
	// field, which appending from nil would grow five times. The copy has
	// room for the lifecycle changes the FSM adds to the sync log event
	// (state.applyUserWriteTxn: a create's first state; a deprovision's
	// state and deadline), which would otherwise copy it again there, in
	// the one goroutine every write waits for.
	var buf [len(fieldOrder) + 1]state.Change
	changes := buf[:0]
	set := func(field string, dst *string, v string) {
		if *dst != v {
			changes = append(changes, state.Change{Field: field, Old: *dst, New: v})
			*dst = v
		}
	}
	set("userName", &u.UserName, strAttr(res, "userName"))
	targets := [...]*string{&u.Email, &u.GivenName, &u.FamilyName, &u.Title, &u.Division,
		&u.Department, &u.EmployeeType, &u.City, &u.Region, &u.Country, &u.ExternalID}
	for i, field := range fieldOrder {
		paths, ok := mapping[field]
		if !ok {
			continue
		}
		v := ""
		for _, p := range paths {
			if v = protocol.User.ValueAt(res, p); v != "" {
				break
			}
		}
		// The sync log names address fields apart from the user's
		// lifecycle state.
		logged := field
		if field == "city" || field == "state" || field == "country" {
			logged = "address." + field
		}
		set(logged, targets[i], v)
	}
	if len(changes) == 0 {
		return nil
	}
	return append(make([]state.Change, 0, len(changes)+lifecycleChanges), changes...)
}

// lifecycleChanges is how many changes the FSM may add to those of a
// user write's event (see applyFields).
const lifecycleChanges = 2

// fieldOrder lists the user fields a mapping sets, in the order of
// applyFields' targets.
var fieldOrder = [...]string{"email", "firstName", "lastName", "title", "division", "department", "employeeType", "city", "state", "country", "externalId"}

// organizationFor picks the organization of a new user (RFC-level input:
// the request body as sent, so that custom attributes such as c42OrgName
// count). It returns the organization and, when it fell back, why.
func organizationFor(p *state.Provider, raw, res map[string]any, v interface {
	Organization(string) *state.Organization
	Organizations() []*state.Organization
}) (string, string) {
	m := p.OrganizationMapping
	if m.Method != "attribute" {
		return m.Organization, "" // fixed; group mappings apply when memberships change
	}
	name := rawValue(raw, m.Attribute)
	if name == "" {
		name = protocol.User.ValueAt(res, m.Attribute)
	}
	if name == "" {
		return m.Organization, fmt.Sprintf("no %s attribute: used the fallback organization", m.Attribute)
	}
	if o := v.Organization(name); o != nil {
		return o.Name, ""
	}
	for _, o := range v.Organizations() {
		if strings.EqualFold(o.DisplayName, name) || strings.EqualFold(o.Name, name) {
			return o.Name, ""
		}
	}
	return m.Organization, fmt.Sprintf("%s names organization %q, which does not exist: used the fallback organization", m.Attribute, name)
}

// rawValue reads a simple attribute, possibly URN-qualified or inside an
// extension object, from a request body as sent.
func rawValue(raw map[string]any, path string) string {
	if v, ok := protocol.GetFold(raw, path); ok {
		s, _ := v.(string)
		return s
	}
	if i := strings.LastIndexByte(path, ':'); i > 0 {
		if ext, ok := protocol.GetFold(raw, path[:i]); ok {
			if obj, ok := ext.(map[string]any); ok {
				if v, ok := protocol.GetFold(obj, path[i+1:]); ok {
					s, _ := v.(string)
					return s
				}
			}
		}
	}
	return ""
}

// str returns a string attribute of a stored resource.
func strAttr(res map[string]any, name string) string {
	s, _ := res[name].(string)
	return s
}
