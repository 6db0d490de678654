package scim

import (
	"strings"

	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
	filter "github.com/scim2/filter-parser/v2"
)

// Which lists an index of the store answers: the lookups identity
// providers make before each write. Every other list reads all of the
// provider's users or groups, an expensive query (expensive.go).

// displayNameEquality recognises `displayName eq "x"` alone, which the
// groups' index by name answers.
func displayNameEquality(e filter.Expression) (string, bool) {
	if ae, ok := e.(*filter.AttributeExpression); ok && ae.Operator == filter.EQ &&
		strings.EqualFold(ae.AttributePath.AttributeName, "displayName") && ae.AttributePath.SubAttribute == nil {
		if s, ok := ae.CompareValue.(string); ok {
			return protocol.ValueText(s), true
		}
	}
	return "", false
}

// indexedEquality recognises `attr eq "x"` on a core attribute, alone or
// and-ed with other terms, which an index answers.
func indexedEquality(e filter.Expression, attr string) (string, bool) {
	switch e := e.(type) {
	case *filter.AttributeExpression:
		p := e.AttributePath
		if e.Operator == filter.EQ && strings.EqualFold(p.AttributeName, attr) && p.SubAttribute == nil &&
			(p.URIPrefix == nil || strings.EqualFold(p.URI(), protocol.URNUser)) {
			if s, ok := e.CompareValue.(string); ok {
				return protocol.ValueText(s), true
			}
		}
	case *filter.LogicalExpression:
		if e.Operator == filter.AND {
			if s, ok := indexedEquality(e.Left, attr); ok {
				return s, true
			}
			return indexedEquality(e.Right, attr)
		}
	}
	return "", false
}

// emailEquality recognises a filter that requires an email's value to
// equal "x": `emails.value eq "x"`, `emails eq "x"` or a value path on
// emails requiring it (Entra's `emails[type eq "work"].value eq "x"`),
// alone or and-ed with other terms.
func emailEquality(e filter.Expression) (string, bool) {
	isEmails := func(p filter.AttributePath) bool {
		return strings.EqualFold(p.AttributeName, "emails") && (p.URIPrefix == nil || strings.EqualFold(p.URI(), protocol.URNUser))
	}
	switch e := e.(type) {
	case *filter.AttributeExpression:
		p := e.AttributePath
		if sub := p.SubAttributeName(); e.Operator == filter.EQ && isEmails(p) && (sub == "" || strings.EqualFold(sub, "value")) {
			if s, ok := e.CompareValue.(string); ok {
				return protocol.ValueText(s), true
			}
		}
	case *filter.ValuePath:
		if isEmails(e.AttributePath) && e.AttributePath.SubAttribute == nil {
			return indexedEquality(e.ValueFilter, "value")
		}
	case *filter.LogicalExpression:
		if e.Operator == filter.AND {
			if s, ok := emailEquality(e.Left); ok {
				return s, true
			}
			return emailEquality(e.Right)
		}
	}
	return "", false
}

// usersByIndex returns the index lookup that answers a filter on users:
// `userName eq`, `externalId eq` or an email's value eq (the lookups
// identity providers make before each write), alone or and-ed with other
// terms. It returns nil when no index does: the provider's users are
// scanned.
func usersByIndex(expr filter.Expression) func(*state.View) []*state.User {
	if name, ok := indexedEquality(expr, "userName"); ok {
		return func(v *state.View) []*state.User { return v.UsersByUserName(name) }
	}
	if id, ok := indexedEquality(expr, "externalId"); ok && id != "" {
		return func(v *state.View) []*state.User { return v.UsersBySCIMExternalID(id) }
	}
	if email, ok := emailEquality(expr); ok && email != "" { // empty values are not in the index
		return func(v *state.View) []*state.User { return v.UsersBySCIMEmail(email) }
	}
	return nil
}

// servedByIndex reports whether an index answers a list of rt with this
// filter: if not, the list is an expensive query.
func servedByIndex(rt *protocol.ResourceType, expr filter.Expression) bool {
	if rt == protocol.Group {
		_, ok := displayNameEquality(expr)
		return ok
	}
	return usersByIndex(expr) != nil
}
