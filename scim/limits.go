package scim

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/reconcile-dev/reconcile/internal/names"
	"github.com/reconcile-dev/reconcile/state"
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

// maxLength is the longest value of string attribute a at path.
func maxLength(path string, a *Attr) int {
	switch {
	case path == "userName" || path == "displayName":
		return names.MaxLength
	case a.Type == typeReference:
		return maxURLLength
	case path == "x509Certificates.value":
		return maxCertificateLength
	}
	return names.MaxValueLength
}

// checkLengths refuses a resource (as normalize gives it) holding a string
// longer than its attribute allows, naming the attribute and the limit.
// A value kept reports stored at the same path passes: one stored before
// the limits must not block later writes (a deprovision included). kept
// may be nil, for a new resource; it is called only for values too long.
func checkLengths(rt *resourceType, res map[string]any, kept func(path, value string) bool) *Error {
	type tooLong struct {
		path       string
		n, longest int
	}
	var bad []tooLong
	eachString(rt, res, func(path string, a *Attr, s string) {
		longest := maxLength(path, a)
		if len(s) <= longest { // as many bytes as characters at most
			return
		}
		if n := utf8.RuneCountInString(s); n > longest && (kept == nil || !kept(path, s)) {
			bad = append(bad, tooLong{path, n, longest})
		}
	})
	if len(bad) == 0 {
		return nil
	}
	// The first by path, whatever the order of the maps.
	b := slices.MinFunc(bad, func(x, y tooLong) int { return strings.Compare(x.path, y.path) })
	return errInvalidValue("%s is %d characters long; at most %d are allowed", b.path, b.n, b.longest)
}

// eachString calls f with every string value of res, the attribute it is
// a value of and that attribute's path ("name.givenName", "emails.value";
// an extension's attributes without their URN, as in errors).
func eachString(rt *resourceType, res map[string]any, f func(path string, a *Attr, s string)) {
	var walk func(a *Attr, path string, v any)
	walk = func(a *Attr, path string, v any) {
		switch v := v.(type) {
		case string:
			f(path, a, v)
		case []any:
			for _, e := range v {
				walk(a, path, e)
			}
		case map[string]any:
			for k, sv := range v {
				if sa := a.sub(k); sa != nil {
					walk(sa, path+"."+sa.Name, sv)
				}
			}
		}
	}
	for k, v := range res {
		if ext := rt.extension(k); ext != nil {
			obj, _ := v.(map[string]any)
			for sk, sv := range obj {
				if a := ext.attr(sk); a != nil {
					walk(a, a.Name, sv)
				}
			}
			continue
		}
		if a, _ := rt.attr(rt.splitURN(k)); a != nil {
			walk(a, a.Name, v)
		}
	}
}

// storedHas returns the kept function of checkLengths for a write
// replacing the stored resource stored returns (decoded only if a value
// is too long).
func storedHas(rt *resourceType, stored func() map[string]any) func(path, value string) bool {
	stored = sync.OnceValue(stored)
	return func(path, value string) bool {
		found := false
		eachString(rt, stored(), func(p string, _ *Attr, s string) {
			found = found || p == path && s == value
		})
		return found
	}
}

// groupHas is the kept function of checkLengths for a write to group g:
// its displayName, its externalId and its members' display.
func groupHas(v *state.View, g *state.Group) func(path, value string) bool {
	return func(path, value string) bool {
		switch path {
		case "displayName":
			return value == g.DisplayName
		case "externalId":
			return value == g.ExternalID
		case "members.display":
			for _, m := range v.Memberships(g.ID) {
				if m.Display == value {
					return true
				}
			}
		}
		return false
	}
}

// checkMemberLengths is checkLengths for the members a group PATCH adds or
// replaces, as members reads them: a member's "displayName" is its
// display when it has none.
func checkMemberLengths(value any, kept func(path, value string) bool) *Error {
	var list []any
	for _, e := range flatten(value) {
		if obj, ok := e.(map[string]any); ok {
			e = maps.Clone(obj) // the decoded operations are never changed
		}
		list = append(list, e)
	}
	doc := map[string]any{"members": list}
	aliasMemberDisplay(doc)
	return checkLengths(groupType, doc, kept)
}
