package protocol

import (
	"bytes"
	"encoding/binary"
	"strings"

	"github.com/reconcile-dev/reconcile/internal/packjson"

	filter "github.com/scim2/filter-parser/v2"
)

// A filter no index answers (Entra's `emails[type eq "work"].value eq
// "x"`, say) is evaluated against every user of the provider, and turning
// a stored user into the map the filter reads costs a JSON decode. Most
// users can be ruled out on the stored JSON text instead: a string the
// filter requires equal to an attribute's value must appear in the text
// of a user it matches. A Prefilter lists such strings (requiredTexts),
// and checks them (mayMatch).

// Prefilter rules resources out on their stored JSON text, before they
// are decoded for a filter: it holds strings that the text of a resource
// the filter matches contains, compared without ASCII case.
type Prefilter struct {
	texts []string
	// packed are the texts to look for in packed text (packjson): those
	// that cannot be part of a token it holds as a byte.
	packed []string
}

// Prefilter returns the prefilter of e for resources of rt stored as the
// JSON text of their normalized form, whose core attributes named in
// unstored (in lower case) the text may not hold as the resource has
// them.
func (rt *ResourceType) Prefilter(e filter.Expression, unstored map[string]bool) Prefilter {
	texts := requiredTexts(rt, e, unstored)
	var packed []string
	for _, t := range texts {
		if !packjson.InToken(t) {
			packed = append(packed, t)
		}
	}
	return Prefilter{texts: texts, packed: packed}
}

// MayMatch reports whether doc, the stored text of a resource (JSON
// text, or packed), may be matched by p's filter; false rules it out.
func (p Prefilter) MayMatch(doc []byte) bool {
	if packjson.IsPacked(doc) {
		return mayMatch(packjson.Body(doc), p.packed)
	}
	return mayMatch(doc, p.texts)
}

// requiredTexts returns strings that a stored resource matched by e must
// contain, compared without ASCII case: the values of equality
// comparisons on stored string attributes that e requires (and-ed, not
// under or or not). Values JSON would escape are left out.
func requiredTexts(rt *ResourceType, e filter.Expression, unstored map[string]bool) []string {
	var texts []string
	for _, term := range conjuncts(e) {
		switch term := term.(type) {
		case *filter.AttributeExpression:
			a := storedAttr(rt, term.AttributePath, unstored)
			if a == nil {
				continue
			}
			if sub := term.AttributePath.SubAttributeName(); sub != "" || a.Type == typeComplex {
				if sub == "" {
					sub = "value"
				}
				if a = a.sub(sub); a == nil {
					continue
				}
			}
			texts = append(texts, equalityText(a, term)...)
		case *filter.ValuePath:
			a := storedAttr(rt, term.AttributePath, unstored)
			if a == nil || a.Type != typeComplex {
				continue
			}
			// Within the value filter, attribute names are a's
			// sub-attributes.
			for _, sub := range conjuncts(term.ValueFilter) {
				if sub, ok := sub.(*filter.AttributeExpression); ok && sub.AttributePath.SubAttribute == nil {
					if sa := a.sub(sub.AttributePath.AttributeName); sa != nil {
						texts = append(texts, equalityText(sa, sub)...)
					}
				}
			}
		}
	}
	return texts
}

// conjuncts returns the terms e and-s together: e itself if it is not an
// and.
func conjuncts(e filter.Expression) []filter.Expression {
	if l, ok := e.(*filter.LogicalExpression); ok && l.Operator == filter.AND {
		return append(conjuncts(l.Left), conjuncts(l.Right)...)
	}
	return []filter.Expression{e}
}

func storedAttr(rt *ResourceType, p filter.AttributePath, unstored map[string]bool) *Attr {
	a, ext := rt.attr(p.URI(), p.AttributeName)
	if a == nil || ext == nil && unstored[strings.ToLower(a.Name)] {
		return nil
	}
	return a
}

func equalityText(a *Attr, e *filter.AttributeExpression) []string {
	s, ok := e.CompareValue.(string)
	if e.Operator != filter.EQ || a.Type != typeString || !ok || s == "" {
		return nil
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return nil
		}
	}
	return []string{s}
}

// mayMatch reports whether the stored resource doc contains every text,
// without ASCII case. A resource with non-ASCII text may hold a letter
// that folds to an ASCII one (the Kelvin sign to k): it is not ruled out.
func mayMatch(doc []byte, texts []string) bool {
	for _, t := range texts {
		if !containsFoldASCII(doc, t) {
			return hasNonASCII(doc)
		}
	}
	return true
}

func hasNonASCII(doc []byte) bool {
	i := 0
	for ; i+8 <= len(doc); i += 8 {
		if binary.LittleEndian.Uint64(doc[i:])&0x8080808080808080 != 0 {
			return true
		}
	}
	for ; i < len(doc); i++ {
		if doc[i] >= 0x80 {
			return true
		}
	}
	return false
}

// containsFoldASCII reports whether doc contains t without ASCII case. It
// looks for t's first character that has no case (the @ of an address, a
// digit) with bytes.IndexByte, and compares around it.
func containsFoldASCII(doc []byte, t string) bool {
	k := 0
	for k < len(t) && lowerASCII(t[k]) != upperASCII(t[k]) {
		k++
	}
	if k == len(t) {
		return containsFoldFrom(doc, t)
	}
	for from := k; from < len(doc); {
		i := bytes.IndexByte(doc[from:], t[k])
		if i < 0 {
			return false
		}
		start := from + i - k
		if start+len(t) <= len(doc) && equalFoldASCII(doc[start:start+len(t)], t) {
			return true
		}
		from += i + 1
	}
	return false
}

// containsFoldFrom is containsFoldASCII for a t made of letters only.
func containsFoldFrom(doc []byte, t string) bool {
	lo, up := lowerASCII(t[0]), upperASCII(t[0])
	for i := 0; i+len(t) <= len(doc); i++ {
		if c := doc[i]; (c == lo || c == up) && equalFoldASCII(doc[i:i+len(t)], t) {
			return true
		}
	}
	return false
}

func equalFoldASCII(b []byte, t string) bool {
	for j := range len(t) {
		if lowerASCII(b[j]) != lowerASCII(t[j]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}
