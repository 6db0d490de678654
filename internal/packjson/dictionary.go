package packjson

import "strings"

// dictionary holds strings as they are written between quotes. Append
// only: their indexes are stored.
var dictionary = [...]string{
	// The schemas and the messages a stored resource names.
	"urn:ietf:params:scim:schemas:core:2.0:User",
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
	"urn:ietf:params:scim:schemas:core:2.0:Group",
	// User (RFC 7643 §4.1) and its sub-attributes.
	"schemas", "id", "externalId", "meta", "userName", "name", "formatted",
	"familyName", "givenName", "middleName", "honorificPrefix",
	"honorificSuffix", "displayName", "nickName", "profileUrl", "title",
	"userType", "preferredLanguage", "locale", "timezone", "active",
	"password", "emails", "phoneNumbers", "ims", "photos", "addresses",
	"streetAddress", "locality", "region", "postalCode", "country",
	"groups", "entitlements", "roles", "x509Certificates", "value",
	"display", "type", "primary", "$ref",
	// The enterprise extension (RFC 7643 §4.3).
	"employeeNumber", "costCenter", "organization", "division",
	"department", "manager", "managerId",
	// Group (RFC 7643 §4.2).
	"members",
	// Common values of "type".
	"work", "home", "other", "mobile", "fax", "pager", "User", "Group",
	"direct", "indirect",
	// meta, in resources that keep one.
	"resourceType", "created", "lastModified", "location", "version",
}

// lookup finds a string of the dictionary by its text.
var lookup = func() map[string]byte {
	if len(dictionary) > 0x100-dictBase {
		panic("packjson: the dictionary has more entries than token bytes")
	}
	m := make(map[string]byte, len(dictionary))
	for i, s := range dictionary {
		if _, dup := m[s]; dup {
			panic("packjson: " + s + " twice in the dictionary")
		}
		m[s] = byte(dictBase + i)
	}
	return m
}()

// InToken reports whether text, without ASCII case, may be part of a
// token that Body does not hold as text: a dictionary string, true,
// false or null. Text that is not appears in Body wherever it appears
// in the JSON text within a string or a number.
func InToken(text string) bool {
	for _, s := range dictionary {
		if containsFold(s, text) {
			return true
		}
	}
	for _, s := range [...]string{"true", "false", "null"} {
		if containsFold(s, text) {
			return true
		}
	}
	return false
}

func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}
