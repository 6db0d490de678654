package scim

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/reconcile-dev/reconcile/state"
)

// rfcAttr is what a schema says of one attribute, as RFC 7643 §7 names
// the characteristics. caseExact and uniqueness are "" where RFC 7643
// §8.7.1 gives none (booleans, most complex attributes): nothing is
// checked there.
type rfcAttr struct {
	Type        string
	MultiValued bool
	Required    bool
	CaseExact   string
	Mutability  string
	Returned    string
	Uniqueness  string
	RefTypes    []string
	Canonical   []string
}

// Shorthands for the rows of RFC 7643 §8.7.1.
func rfcString() rfcAttr {
	return rfcAttr{Type: "string", CaseExact: "false", Mutability: "readWrite", Returned: "default", Uniqueness: "none"}
}

func rfcRef(types ...string) rfcAttr {
	a := rfcString()
	a.Type, a.RefTypes = "reference", types
	return a
}

func rfcBool() rfcAttr {
	return rfcAttr{Type: "boolean", Mutability: "readWrite", Returned: "default"}
}

func rfcComplex(multi bool) rfcAttr {
	return rfcAttr{Type: "complex", MultiValued: multi, Mutability: "readWrite", Returned: "default"}
}

func with(a rfcAttr, change func(*rfcAttr)) rfcAttr {
	change(&a)
	return a
}

func canonical(a rfcAttr, values ...string) rfcAttr {
	a.Canonical = values
	return a
}

func mutability(a rfcAttr, m string) rfcAttr {
	a.Mutability = m
	return a
}

// rfc7643 is every attribute of the User, EnterpriseUser and Group
// schemas as RFC 7643 §8.7.1 represents them, keyed by schema name and
// path.
var rfc7643 = func() map[string]rfcAttr {
	m := map[string]rfcAttr{
		"User:userName":               with(rfcString(), func(a *rfcAttr) { a.Required, a.Uniqueness = true, "server" }),
		"User:name":                   with(rfcComplex(false), func(a *rfcAttr) { a.Uniqueness = "none" }),
		"User:displayName":            rfcString(),
		"User:nickName":               rfcString(),
		"User:profileUrl":             rfcRef("external"),
		"User:title":                  rfcString(),
		"User:userType":               rfcString(),
		"User:preferredLanguage":      rfcString(),
		"User:locale":                 rfcString(),
		"User:timezone":               rfcString(),
		"User:active":                 rfcBool(),
		"User:password":               with(rfcString(), func(a *rfcAttr) { a.Mutability, a.Returned = "writeOnly", "never" }),
		"User:emails":                 with(rfcComplex(true), func(a *rfcAttr) { a.Uniqueness = "none" }),
		"User:emails.type":            canonical(rfcString(), "work", "home", "other"),
		"User:phoneNumbers":           rfcComplex(true),
		"User:phoneNumbers.type":      canonical(rfcString(), "work", "home", "mobile", "fax", "pager", "other"),
		"User:ims":                    rfcComplex(true),
		"User:ims.type":               canonical(rfcString(), "aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"),
		"User:photos":                 rfcComplex(true),
		"User:photos.value":           rfcRef("external"),
		"User:photos.type":            canonical(rfcString(), "photo", "thumbnail"),
		"User:addresses":              with(rfcComplex(true), func(a *rfcAttr) { a.Uniqueness = "none" }),
		"User:addresses.type":         canonical(rfcString(), "work", "home", "other"),
		"User:groups":                 mutability(rfcComplex(true), "readOnly"),
		"User:groups.value":           mutability(rfcString(), "readOnly"),
		"User:groups.$ref":            mutability(rfcRef("User", "Group"), "readOnly"),
		"User:groups.display":         mutability(rfcString(), "readOnly"),
		"User:groups.type":            mutability(canonical(rfcString(), "direct", "indirect"), "readOnly"),
		"User:entitlements":           rfcComplex(true),
		"User:roles":                  rfcComplex(true),
		"User:x509Certificates":       with(rfcComplex(true), func(a *rfcAttr) { a.CaseExact = "false" }),
		"User:x509Certificates.value": with(rfcString(), func(a *rfcAttr) { a.Type = "binary" }),

		"EnterpriseUser:employeeNumber":      rfcString(),
		"EnterpriseUser:costCenter":          rfcString(),
		"EnterpriseUser:organization":        rfcString(),
		"EnterpriseUser:division":            rfcString(),
		"EnterpriseUser:department":          rfcString(),
		"EnterpriseUser:manager":             rfcComplex(false),
		"EnterpriseUser:manager.value":       rfcString(),
		"EnterpriseUser:manager.$ref":        rfcRef("User"),
		"EnterpriseUser:manager.displayName": mutability(rfcString(), "readOnly"),

		"Group:displayName":   rfcString(), // required: see deviations
		"Group:members":       rfcComplex(true),
		"Group:members.value": mutability(rfcString(), "immutable"),
		"Group:members.$ref":  mutability(rfcRef("User", "Group"), "immutable"),
		"Group:members.type":  mutability(canonical(rfcString(), "User", "Group"), "immutable"),
	}
	for _, a := range []string{"formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"} {
		m["User:name."+a] = rfcString()
	}
	for _, a := range []string{"formatted", "streetAddress", "locality", "region", "postalCode", "country"} {
		m["User:addresses."+a] = rfcString()
	}
	// The sub-attributes §8.7.1 gives every multi-valued attribute of a
	// User but addresses and groups.
	for _, mv := range []string{"emails", "phoneNumbers", "ims", "photos", "entitlements", "roles", "x509Certificates"} {
		for sub, a := range map[string]rfcAttr{"value": rfcString(), "display": rfcString(), "type": rfcString(), "primary": rfcBool()} {
			if _, set := m["User:"+mv+"."+sub]; !set {
				m["User:"+mv+"."+sub] = a
			}
		}
	}
	return m
}()

// deviations are where this service's schemas differ from RFC 7643
// §8.7.1 on purpose, and why.
var deviations = map[string]struct {
	change func(*rfcAttr)
	why    string
}{
	"User:groups.value":            {func(a *rfcAttr) { a.CaseExact = "true" }, "a group's id, and ids are case exact (RFC 7643 §3.1)"},
	"User:x509Certificates.value":  {func(a *rfcAttr) { a.CaseExact = "true" }, "binary values are case exact (RFC 7643 §2.3.6); §8.7.1's false contradicts it"},
	"EnterpriseUser:manager.value": {func(a *rfcAttr) { a.CaseExact = "true" }, "a user's id, and ids are case exact (RFC 7643 §3.1)"},
	"Group:displayName":            {func(a *rfcAttr) { a.Required = true }, "RFC 7643 §4.2 makes it REQUIRED (an erratum corrects §8.7.1)"},
	"Group:members.value":          {func(a *rfcAttr) { a.CaseExact = "true" }, "a user's id, and ids are case exact (RFC 7643 §3.1)"},
	"Group:members.$ref":           {func(a *rfcAttr) { a.RefTypes = []string{"User"} }, "members are users: groups do not nest here"},
	"Group:members.type":           {func(a *rfcAttr) { a.Canonical = []string{"User"} }, "members are users: groups do not nest here"},
}

// extras are attributes published that §8.7.1 does not list, and why.
var extras = map[string]struct {
	attr rfcAttr
	why  string
}{
	"User:externalId":        {with(rfcString(), func(a *rfcAttr) { a.CaseExact = "true" }), "a common attribute (RFC 7643 §3.1), listed so that clients find it"},
	"Group:externalId":       {with(rfcString(), func(a *rfcAttr) { a.CaseExact = "true" }), "a common attribute (RFC 7643 §3.1), listed so that clients find it"},
	"User:addresses.primary": {rfcBool(), "the primary of every multi-valued attribute (RFC 7643 §2.4)"},
	"Group:members.display":  {mutability(rfcString(), "immutable"), "Entra sends a member's display name"},
}

// TestSchemasFollowRFC7643 checks every attribute /Schemas publishes
// against RFC 7643 §8.7.1, less the deviations listed with their reasons,
// and lists what it publishes beyond §8.7.1 or leaves out of it.
func TestSchemasFollowRFC7643(t *testing.T) {
	got := publishedAttributes(t)
	seen := map[string]bool{}
	for path, a := range got {
		seen[path] = true
		want, ok := rfc7643[path]
		if !ok {
			x, extra := extras[path]
			if !extra {
				t.Errorf("%s is published, but RFC 7643 §8.7.1 does not have it and it is not listed in extras", path)
				continue
			}
			want = x.attr
		}
		if d, ok := deviations[path]; ok {
			d.change(&want)
		}
		// Where §8.7.1 gives no caseExact or uniqueness, any will do.
		if want.CaseExact == "" {
			a.CaseExact = ""
		}
		if want.Uniqueness == "" {
			a.Uniqueness = ""
		}
		if diff := cmp.Diff(want, a, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s (-RFC 7643 +published):\n%s", path, diff)
		}
	}
	for path := range rfc7643 {
		if !seen[path] {
			t.Errorf("%s: RFC 7643 §8.7.1 has it, /Schemas does not", path)
		}
	}
	for path := range deviations {
		if _, ok := rfc7643[path]; !ok {
			t.Errorf("deviation %s: no such attribute in RFC 7643 §8.7.1", path)
		}
	}
}

// TestSchemasCharacteristics checks what RFC 7643 §7 and §2 require of
// every attribute definition: known types and characteristics, reference
// types exactly on references, sub-attributes exactly on complex
// attributes and no deeper.
func TestSchemasCharacteristics(t *testing.T) {
	for path, raw := range publishedRaw(t) {
		if raw["name"] == "" || raw["description"] == "" {
			t.Errorf("%s: no name or description", path)
		}
		for field, allowed := range map[string][]string{
			"type":       {"string", "boolean", "decimal", "integer", "dateTime", "reference", "complex", "binary"},
			"mutability": {"readOnly", "readWrite", "immutable", "writeOnly"},
			"returned":   {"always", "never", "default", "request"},
			"uniqueness": {"none", "server", "global"},
		} {
			if v, _ := raw[field].(string); !slices.Contains(allowed, v) {
				t.Errorf("%s: %s is %v, not one of %v", path, field, raw[field], allowed)
			}
		}
		for _, field := range []string{"multiValued", "required", "caseExact"} {
			if _, ok := raw[field].(bool); !ok {
				t.Errorf("%s: %s is %v, not a boolean", path, field, raw[field])
			}
		}
		refs, _ := raw["referenceTypes"].([]any)
		if isRef := raw["type"] == "reference"; isRef != (len(refs) > 0) {
			t.Errorf("%s: type %v with referenceTypes %v (RFC 7643 §2.3.7: a reference names the types it refers to; only a reference does)", path, raw["type"], raw["referenceTypes"])
		}
		subs, _ := raw["subAttributes"].([]any)
		if isComplex := raw["type"] == "complex"; isComplex != (len(subs) > 0) {
			t.Errorf("%s: type %v with %d sub-attributes", path, raw["type"], len(subs))
		}
		if strings.Contains(path, ".") && raw["type"] == "complex" {
			t.Errorf("%s: a sub-attribute is complex (RFC 7643 §2.3.8 forbids it)", path)
		}
		if raw["type"] == "binary" && raw["caseExact"] != true {
			t.Errorf("%s: binary but not case exact (RFC 7643 §2.3.6)", path)
		}
	}
}

// publishedRaw returns every attribute definition GET /Schemas serves,
// sub-attributes included, keyed "Schema:attr.sub".
func publishedRaw(t *testing.T) map[string]map[string]any {
	t.Helper()
	srv, _ := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	code, m := call(t, srv, "GET", "/Schemas", "")
	if code != 200 {
		t.Fatalf("GET /Schemas: %d %v", code, m)
	}
	out := map[string]map[string]any{}
	var walk func(prefix string, attrs []any)
	walk = func(prefix string, attrs []any) {
		for _, a := range attrs {
			attr := a.(map[string]any)
			path := prefix + fmt.Sprint(attr["name"])
			if _, dup := out[path]; dup {
				t.Errorf("%s is published twice", path)
			}
			out[path] = attr
			if subs, ok := attr["subAttributes"].([]any); ok {
				walk(path+".", subs)
			}
		}
	}
	for _, r := range m["Resources"].([]any) {
		sc := r.(map[string]any)
		attrs, _ := sc["attributes"].([]any)
		walk(fmt.Sprint(sc["name"])+":", attrs)
	}
	return out
}

// publishedAttributes is publishedRaw in the terms of the RFC table.
func publishedAttributes(t *testing.T) map[string]rfcAttr {
	t.Helper()
	strs := func(v any) []string {
		var out []string
		for _, s := range asList(v) {
			out = append(out, fmt.Sprint(s))
		}
		return out
	}
	out := map[string]rfcAttr{}
	for path, raw := range publishedRaw(t) {
		a := rfcAttr{
			Type:       fmt.Sprint(raw["type"]),
			Mutability: fmt.Sprint(raw["mutability"]),
			Returned:   fmt.Sprint(raw["returned"]),
			RefTypes:   strs(raw["referenceTypes"]),
			Canonical:  strs(raw["canonicalValues"]),
		}
		a.MultiValued, _ = raw["multiValued"].(bool)
		a.Required, _ = raw["required"].(bool)
		if v, ok := raw["caseExact"]; ok {
			a.CaseExact = fmt.Sprint(v)
		}
		if v, ok := raw["uniqueness"]; ok {
			a.Uniqueness = fmt.Sprint(v)
		}
		out[path] = a
	}
	return out
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
