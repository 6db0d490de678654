package protocol

import (
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/reconcile-dev/reconcile/internal/names"
)

// The longest string values accepted, in characters (runes): names (a
// userName, a displayName) names.MaxLength; URLs (profileUrl, photos,
// $ref) maxURLLength; a certificate (x509Certificates.value, base64 DER)
// maxCertificateLength; every other string names.MaxValueLength. Identity
// providers send far shorter values; longer ones are refused with 400
// invalidValue, since every table and log line that shows them would
// grow with them.
const (
	maxURLLength         = 2048
	maxCertificateLength = 16384
)

// maxLength is the longest value of string attribute a, a sub-attribute
// of parent (nil for a top-level one).
func maxLength(parent, a *Attr) int {
	switch {
	case parent == nil && (a.Name == "userName" || a.Name == "displayName"):
		return names.MaxLength
	case a.Type == typeReference:
		return maxURLLength
	case parent != nil && parent.Name == "x509Certificates":
		return maxCertificateLength
	}
	return names.MaxValueLength
}

// CheckLengths refuses a resource of rt (as Normalize gives it) holding a
// string longer than its attribute allows, naming the attribute and the
// limit: a 400 invalidValue. A value kept reports stored at the same path
// passes: one stored before the limits must not block later writes (a
// deprovision included). kept may be nil, for a new resource; it is
// called only for values too long, with the path errors name.
func (rt *ResourceType) CheckLengths(res map[string]any, kept func(path, value string) bool) *Error {
	type tooLong struct {
		path       string
		n, longest int
	}
	var bad []tooLong
	rt.eachString(res, func(parent, a *Attr, s string) {
		longest := maxLength(parent, a)
		if len(s) <= longest { // as many bytes as characters at most
			return
		}
		n := utf8.RuneCountInString(s)
		if n <= longest {
			return
		}
		if path := pathOf(parentPath(parent), a); kept == nil || !kept(path, s) {
			bad = append(bad, tooLong{path, n, longest})
		}
	})
	if len(bad) == 0 {
		return nil
	}
	// The first by path, whatever the order of the maps.
	b := slices.MinFunc(bad, func(x, y tooLong) int { return strings.Compare(x.path, y.path) })
	return InvalidValue("%s is %d characters long; at most %d are allowed", b.path, b.n, b.longest)
}

func parentPath(parent *Attr) string {
	if parent == nil {
		return ""
	}
	return parent.Name
}

// eachString calls f with every string value of res, the attribute it is
// a value of, and that attribute's parent (nil for a top-level one): its
// path is pathOf(parent's name, a), as in errors, an extension's
// attributes without their URN. SCIM attributes nest one level at most.
func (rt *ResourceType) eachString(res map[string]any, f func(parent, a *Attr, s string)) {
	for k, v := range res {
		if ext := rt.extension(k); ext != nil {
			obj, _ := v.(map[string]any)
			for sk, sv := range obj {
				if a := ext.attr(sk); a != nil {
					walkStrings(nil, a, sv, f)
				}
			}
			continue
		}
		if a, _ := rt.attr("", k); a != nil { // keys as Normalize writes them
			walkStrings(nil, a, v, f)
		}
	}
}

// walkStrings is eachString for a value v of attribute a.
func walkStrings(parent, a *Attr, v any, f func(parent, a *Attr, s string)) {
	switch v := v.(type) {
	case string:
		f(parent, a, v)
	case []any:
		for _, e := range v {
			walkStrings(parent, a, e, f)
		}
	case map[string]any:
		for k, sv := range v {
			if sa := a.sub(k); sa != nil {
				walkStrings(a, sa, sv, f)
			}
		}
	}
}

// StoredHas returns the kept function of CheckLengths for a write
// replacing the stored resource of rt that stored returns (called only
// if a value is too long).
func (rt *ResourceType) StoredHas(stored func() map[string]any) func(path, value string) bool {
	stored = sync.OnceValue(stored)
	return func(path, value string) bool {
		found := false
		rt.eachString(stored(), func(parent, a *Attr, s string) {
			found = found || s == value && pathOf(parentPath(parent), a) == path
		})
		return found
	}
}
