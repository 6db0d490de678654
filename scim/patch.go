package scim

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/reconcile-dev/reconcile/scim/protocol"
)

// maxPatchOperations bounds one PATCH request.
const maxPatchOperations = 1000

// patchRequest is a PatchOp message (RFC 7644 §3.5.2). encoding/json
// matches keys without case, so "Operations" and "operations" both work.
type patchRequest struct {
	Schemas    []string  `json:"schemas"`
	Operations []patchOp `json:"Operations"`
}

type patchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value"`
}

// decodedOp is a patch operation with its op lowercased (Entra sends
// "Replace") and its value decoded.
type decodedOp struct {
	op    string
	path  string
	value any
}

func decodePatch(body []byte) ([]decodedOp, error) {
	var req patchRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, protocol.InvalidSyntax("the body is not a PatchOp message: %v", err)
	}
	if len(req.Operations) == 0 {
		return nil, protocol.InvalidSyntax("the PatchOp message has no Operations")
	}
	if len(req.Operations) > maxPatchOperations {
		return nil, protocol.InvalidSyntax("the PatchOp message has %d operations; at most %d are allowed", len(req.Operations), maxPatchOperations)
	}
	ops := make([]decodedOp, 0, len(req.Operations))
	for i, o := range req.Operations {
		d := decodedOp{op: strings.ToLower(o.Op), path: strings.TrimSpace(o.Path)}
		switch d.op {
		case "add", "replace", "remove":
		default:
			return nil, protocol.InvalidSyntax("Operations[%d]: op %q is not add, replace or remove", i, o.Op)
		}
		if len(o.Value) > 0 {
			v, err := decodeValue(o.Value)
			if err != nil {
				return nil, protocol.InvalidSyntax("Operations[%d]: value: %v", i, err)
			}
			d.value = v
		}
		if d.op != "remove" && d.value == nil {
			return nil, protocol.InvalidValue("Operations[%d]: %s needs a value", i, d.op)
		}
		if d.op == "remove" && d.path == "" {
			return nil, errNoTarget("Operations[%d]: remove needs a path", i)
		}
		ops = append(ops, d)
	}
	return ops, nil
}

// applyPatch applies operations to res, a resource in its stored form
// (changed in place). Attributes no schema declares are ignored, like in
// PUT; the caller normalizes the result.
func (rt *resourceType) applyPatch(res map[string]any, ops []decodedOp) error {
	for _, o := range ops {
		if ext := rt.extension(o.path); ext != nil {
			// The whole extension: {"path": "urn:...:enterprise:2.0:User",
			// "value": {"department": "x"}}.
			if err := rt.applyExtension(res, o.op, ext, o.value); err != nil {
				return err
			}
			continue
		}
		if o.path != "" {
			if err := rt.applyPath(res, o.op, o.path, o.value); err != nil {
				return err
			}
			continue
		}
		obj, ok := o.value.(map[string]any)
		if !ok {
			return protocol.InvalidValue("%s without a path needs an object value", o.op)
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			v := obj[k]
			if ext := rt.extension(k); ext != nil {
				if err := rt.applyExtension(res, o.op, ext, v); err != nil {
					return err
				}
				continue
			}
			// Keys may be dotted ("name.givenName") or URN-qualified, as
			// Entra sends them.
			if err := rt.applyPath(res, o.op, k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyExtension applies an operation on a whole extension: remove drops
// it; add and replace set the attributes its value names, leaving the
// others unchanged (RFC 7644 §3.5.2.1 and §3.5.2.3, for a complex
// attribute).
func (rt *resourceType) applyExtension(res map[string]any, op string, ext *Schema, value any) error {
	if op == "remove" {
		delete(res, ext.ID)
		return nil
	}
	sub, ok := value.(map[string]any)
	if !ok {
		return protocol.InvalidValue("%s must be an object", ext.ID)
	}
	for _, k := range slices.Sorted(maps.Keys(sub)) {
		if err := rt.applyPath(res, op, ext.ID+":"+k, sub[k]); err != nil {
			return err
		}
	}
	return nil
}

// target is what a PATCH path designates.
type target struct {
	attr   *Attr
	ext    *Schema
	filter filter.Expression // a value filter on a multi-valued attribute
	sub    *Attr             // a sub-attribute
}

// resolvePath resolves a PATCH, mapping or sort path. The parser is slow,
// and the same few paths come with every write (the attribute mappings),
// so results are cached.
func (rt *resourceType) resolvePath(path string) (*target, error) {
	key := pathKey{rt, path}
	if c, ok := pathCache.Load(key); ok {
		r := c.(resolved)
		return r.t, r.err
	}
	t, err := rt.parseTarget(path)
	if pathCacheSize.Add(1) <= maxPathCache {
		pathCache.Store(key, resolved{t, err})
	}
	return t, err
}

type pathKey struct {
	rt   *resourceType
	path string
}

type resolved struct {
	t   *target
	err error
}

// maxPathCache bounds the cache: clients choose PATCH paths.
const maxPathCache = 4096

var (
	pathCache     sync.Map
	pathCacheSize atomic.Int64
)

func (rt *resourceType) parseTarget(path string) (*target, error) {
	urn, rest := rt.splitURN(path)
	p, err := filter.ParsePath([]byte(rest))
	if err != nil {
		var ok bool
		if p, ok = parsePathWithValueFilter(rest); !ok {
			return nil, protocol.InvalidPath("cannot parse path %q", path)
		}
	}
	uri := urn
	if uri == "" {
		uri = p.AttributePath.URI()
	}
	a, ext := rt.attr(uri, p.AttributePath.AttributeName)
	if a == nil {
		return nil, nil
	}
	t := &target{attr: a, ext: ext, filter: p.ValueExpression}
	subName := p.AttributePath.SubAttributeName()
	if p.SubAttribute != nil {
		subName = *p.SubAttribute
	}
	if subName != "" {
		if t.sub = a.sub(subName); t.sub == nil {
			return nil, nil
		}
	}
	if t.filter != nil && (!a.MultiValued || a.Type != typeComplex) {
		return nil, protocol.InvalidPath("%s is not a multi-valued complex attribute: it takes no value filter", a.Name)
	}
	return t, nil
}

// activeAttr is the User's active: a PATCH may set it, never remove it.
var activeAttr = userSchema.attr("active")

// errActiveRemoved answers a PATCH that removes active (or replaces it
// with null), which would otherwise change nothing: a PUT or PATCH that
// leaves active out keeps it, so that leaving it out never deprovisions
// anyone. The client would believe the user changed.
func errActiveRemoved() *protocol.Error {
	return protocol.Mutability("active cannot be removed: to deprovision the user, replace active with false (or DELETE the user)")
}

func (rt *resourceType) applyPath(res map[string]any, op, path string, value any) error {
	t, err := rt.resolvePath(path)
	if err != nil {
		return err
	}
	if t == nil {
		return nil // an attribute no schema declares: ignored
	}
	if t.attr.Mutability == "readOnly" || t.sub != nil && t.sub.Mutability == "readOnly" {
		if strings.EqualFold(t.attr.Name, "id") || strings.EqualFold(t.attr.Name, "meta") {
			return nil // clients echo these back; RFC 7644 §3.5.2 lets us ignore them
		}
		return protocol.Mutability("%s is read-only", path)
	}
	if t.attr == activeAttr && t.sub == nil && (op == "remove" || value == nil) {
		return errActiveRemoved()
	}
	container := res
	if t.ext != nil {
		m, _ := res[t.ext.ID].(map[string]any)
		if m == nil {
			if op == "remove" {
				return nil
			}
			m = make(map[string]any)
			res[t.ext.ID] = m
		}
		container = m
	}
	name := t.attr.Name
	current, _ := getFold(container, name)
	deleteFold(container, name)
	if t.filter != nil {
		next, err := patchFiltered(t, op, current, value)
		if err != nil {
			return err
		}
		setIfAny(container, name, next)
		return nil
	}
	if t.sub != nil {
		setIfAny(container, name, patchSub(t, op, current, value))
		return nil
	}
	switch {
	case op == "remove" && t.attr.MultiValued && value != nil:
		// Entra removes members as {"path": "members", "value": [{"value": id}]}.
		setIfAny(container, name, removeValues(t.attr, current, value))
	case op == "remove":
	case t.attr.MultiValued && op == "add":
		if anyPrimary(value) {
			current = clearPrimary(current) // RFC 7644 §3.5.2.1: one primary
		}
		setIfAny(container, name, appendValues(t.attr, current, value))
	case t.attr.MultiValued:
		setIfAny(container, name, flatten(value))
	case t.attr.Type == typeComplex:
		// Sub-attributes not in the value are left unchanged.
		merged := map[string]any{}
		if cur, ok := current.(map[string]any); ok {
			maps.Copy(merged, cur)
		}
		if v, ok := value.(map[string]any); ok {
			for k, sv := range v {
				deleteFold(merged, k)
				merged[k] = sv
			}
		} else if t.attr.sub("value") != nil {
			merged["value"] = value // a manager given as an id
		} else {
			return protocol.InvalidValue("%s must be an object", path)
		}
		setIfAny(container, name, merged)
	default:
		setIfAny(container, name, value)
	}
	return nil
}

// patchFiltered applies an operation to the elements of a multi-valued
// attribute that a value filter selects.
func patchFiltered(t *target, op string, current, value any) (any, error) {
	elems := flatten(current)
	if current == nil {
		elems = nil
	}
	m := matcher{rt: &resourceType{core: &Schema{Attributes: t.attr.SubAttributes}}}
	// Making the selected elements primary takes it from the others
	// (RFC 7644 §3.5.2).
	setsPrimary := op != "remove" && (t.sub != nil && strings.EqualFold(t.sub.Name, "primary") && isTrue(value) ||
		t.sub == nil && anyPrimary(value))
	var out []any
	matched := false
	for _, e := range elems {
		obj, ok := e.(map[string]any)
		if !ok {
			out = append(out, e)
			continue
		}
		hit, err := m.match(t.filter, obj)
		if err != nil {
			return nil, err
		}
		if !hit {
			if setsPrimary {
				e = withoutPrimary(e)
			}
			out = append(out, e)
			continue
		}
		matched = true
		switch {
		case op == "remove" && t.sub == nil:
			// drop the element
		case op == "remove":
			c := maps.Clone(obj)
			deleteFold(c, t.sub.Name)
			out = append(out, c)
		case t.sub != nil:
			c := maps.Clone(obj)
			deleteFold(c, t.sub.Name)
			c[t.sub.Name] = value
			out = append(out, c)
		default:
			c := maps.Clone(obj)
			if v, ok := value.(map[string]any); ok {
				for k, sv := range v {
					deleteFold(c, k)
					c[k] = sv
				}
			}
			out = append(out, c)
		}
	}
	if !matched && op != "remove" {
		// Like Entra's and Okta's own targets: `emails[type eq "work"].value`
		// with no work email yet adds one.
		seed, ok := equalitySeed(t.filter)
		if !ok {
			return nil, errNoTarget("no value matches %v", t.filter)
		}
		if t.sub != nil {
			seed[t.sub.Name] = value
		} else if v, ok := value.(map[string]any); ok {
			maps.Copy(seed, v)
		}
		out = append(out, seed)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// equalitySeed returns the element a filter of equalities (joined by and)
// describes, e.g. {"type": "work"} for `type eq "work"`.
func equalitySeed(e filter.Expression) (map[string]any, bool) {
	switch e := e.(type) {
	case *filter.AttributeExpression:
		if e.Operator != filter.EQ || e.AttributePath.SubAttribute != nil {
			return nil, false
		}
		return map[string]any{e.AttributePath.AttributeName: e.CompareValue}, true
	case *filter.LogicalExpression:
		if e.Operator != filter.AND {
			return nil, false
		}
		l, ok1 := equalitySeed(e.Left)
		r, ok2 := equalitySeed(e.Right)
		if !ok1 || !ok2 {
			return nil, false
		}
		maps.Copy(l, r)
		return l, true
	}
	return nil, false
}

// patchSub applies an operation to a sub-attribute of a complex attribute
// (of every element, for a multi-valued one).
func patchSub(t *target, op string, current, value any) any {
	apply := func(obj map[string]any) map[string]any {
		c := maps.Clone(obj)
		if c == nil {
			c = map[string]any{}
		}
		deleteFold(c, t.sub.Name)
		if op != "remove" {
			c[t.sub.Name] = value
		}
		return c
	}
	if t.attr.MultiValued {
		var out []any
		for _, e := range flatten(current) {
			if obj, ok := e.(map[string]any); ok {
				out = append(out, apply(obj))
			}
		}
		return out
	}
	obj, _ := current.(map[string]any)
	return apply(obj)
}

// appendValues adds value's elements to current's, without duplicates. A
// duplicate that comes with sub-attributes (primary: true, a type) gives
// them to the element already there: adding an email one has, as primary,
// makes it primary. current's own elements are left as they are.
func appendValues(a *Attr, current, value any) any {
	out := slices.Clone(flattenOrNil(current))
	at := map[string]int{}
	for i, e := range out {
		k := valueKey(a, e)
		if _, seen := at[k]; !seen {
			at[k] = i
		}
	}
	for _, e := range flatten(value) {
		k := valueKey(a, e)
		i, dup := at[k]
		if !dup {
			at[k] = len(out)
			out = append(out, e)
			continue
		}
		have, ok1 := out[i].(map[string]any)
		add, ok2 := e.(map[string]any)
		if ok1 && ok2 {
			merged := maps.Clone(have)
			for sk, sv := range add {
				if strings.EqualFold(sk, "value") {
					continue // the same value, maybe in other case: keep the stored one
				}
				deleteFold(merged, sk)
				merged[sk] = sv
			}
			out[i] = merged
		}
	}
	return out
}

func removeValues(a *Attr, current, value any) any {
	drop := map[string]bool{}
	for _, v := range flatten(value) {
		drop[valueKey(a, v)] = true
	}
	var out []any
	for _, e := range flattenOrNil(current) {
		if !drop[valueKey(a, e)] {
			out = append(out, e)
		}
	}
	return out
}

func flattenOrNil(v any) []any {
	if v == nil {
		return nil
	}
	return flatten(v)
}

// valueKey identifies an element of a multi-valued attribute a by its
// "value" sub-attribute (or whole, for simple values and elements without
// one), so that duplicates are found in linear time. A value compared
// without case (emails.value) is keyed in lower case: "B@X.COM" is the
// same email as "b@x.com".
func valueKey(a *Attr, e any) string {
	if m, ok := e.(map[string]any); ok {
		if v, ok := getFold(m, "value"); ok && v != nil {
			k := stringOf(v)
			if sub := a.sub("value"); sub != nil && !sub.CaseExact {
				k = strings.ToLower(k)
			}
			return "v:" + k
		}
		b, _ := json.Marshal(m)
		return "o:" + string(b)
	}
	k := stringOf(e)
	if !a.CaseExact {
		k = strings.ToLower(k)
	}
	return "v:" + k
}

// anyPrimary tells whether a PATCH value holds an element marked
// primary (true, or Entra's "True").
func anyPrimary(value any) bool {
	for _, e := range flatten(value) {
		if m, ok := e.(map[string]any); ok {
			if p, ok := getFold(m, "primary"); ok && isTrue(p) {
				return true
			}
		}
	}
	return false
}

func isTrue(v any) bool {
	b, ok := asBool(v)
	return ok && b
}

// clearPrimary returns the elements with primary unset, copying those
// that had it: a new primary value takes it from them.
func clearPrimary(current any) any {
	elems := flattenOrNil(current)
	out := make([]any, len(elems))
	for i, e := range elems {
		out[i] = withoutPrimary(e)
	}
	return out
}

// withoutPrimary returns an element without primary, copied if it had it.
func withoutPrimary(e any) any {
	if m, ok := e.(map[string]any); ok {
		if p, ok := getFold(m, "primary"); ok && isTrue(p) {
			c := maps.Clone(m)
			deleteFold(c, "primary")
			return c
		}
	}
	return e
}

func setIfAny(m map[string]any, k string, v any) {
	if isEmpty(v) {
		return
	}
	if l, ok := v.([]any); ok && len(l) == 0 {
		return
	}
	m[k] = v
}

func deleteFold(m map[string]any, key string) {
	for k := range m {
		if strings.EqualFold(k, key) {
			delete(m, k)
		}
	}
}

func errNoTarget(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "noTarget", format, args...)
}
