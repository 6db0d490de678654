package protocol

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
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

// Operation is a PATCH operation with its op lowercased (Entra sends
// "Replace"): add, replace or remove; its path trimmed ("" for none);
// and its value decoded (nil for none).
type Operation struct {
	Op    string
	Path  string
	Value any
}

// DecodePatch decodes a PatchOp message (RFC 7644 §3.5.2), refusing one
// that has no operations or too many, an op other than add, replace or
// remove, an add or replace without a value, or a remove without a path.
func DecodePatch(body []byte) ([]Operation, error) {
	var req patchRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, InvalidSyntax("the body is not a PatchOp message: %v", err)
	}
	if len(req.Operations) == 0 {
		return nil, InvalidSyntax("the PatchOp message has no Operations")
	}
	if len(req.Operations) > maxPatchOperations {
		return nil, InvalidSyntax("the PatchOp message has %d operations; at most %d are allowed", len(req.Operations), maxPatchOperations)
	}
	ops := make([]Operation, 0, len(req.Operations))
	for i, o := range req.Operations {
		d := Operation{Op: strings.ToLower(o.Op), Path: strings.TrimSpace(o.Path)}
		switch d.Op {
		case "add", "replace", "remove":
		default:
			return nil, InvalidSyntax("Operations[%d]: op %q is not add, replace or remove", i, o.Op)
		}
		if len(o.Value) > 0 {
			v, err := decodeValue(o.Value)
			if err != nil {
				return nil, InvalidSyntax("Operations[%d]: value: %v", i, err)
			}
			d.Value = v
		}
		if d.Op != "remove" && d.Value == nil {
			return nil, InvalidValue("Operations[%d]: %s needs a value", i, d.Op)
		}
		if d.Op == "remove" && d.Path == "" {
			return nil, noTarget("Operations[%d]: remove needs a path", i)
		}
		ops = append(ops, d)
	}
	return ops, nil
}

// Patch applies operations to res, a resource in its stored form
// (changed in place), and returns the result normalized (see Normalize).
// Attributes no schema declares are ignored, as in a PUT. An error is a
// SCIM 400 saying which operation and why.
func (rt *ResourceType) Patch(res map[string]any, ops []Operation) (map[string]any, error) {
	if err := rt.applyPatch(res, ops); err != nil {
		return nil, err
	}
	return rt.Normalize(res)
}

// applyPatch applies operations to res, a resource in its stored form
// (changed in place). Attributes no schema declares are ignored, like in
// PUT; Patch normalizes the result.
func (rt *ResourceType) applyPatch(res map[string]any, ops []Operation) error {
	for _, o := range ops {
		if ext := rt.extension(o.Path); ext != nil {
			// The whole extension: {"path": "urn:...:enterprise:2.0:User",
			// "value": {"department": "x"}}.
			if err := rt.applyExtension(res, o.Op, ext, o.Value); err != nil {
				return err
			}
			continue
		}
		if o.Path != "" {
			if err := rt.applyPath(res, o.Op, o.Path, o.Value); err != nil {
				return err
			}
			continue
		}
		obj, ok := o.Value.(map[string]any)
		if !ok {
			return InvalidValue("%s without a path needs an object value", o.Op)
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			v := obj[k]
			if ext := rt.extension(k); ext != nil {
				if err := rt.applyExtension(res, o.Op, ext, v); err != nil {
					return err
				}
				continue
			}
			// Keys may be dotted ("name.givenName") or URN-qualified, as
			// Entra sends them.
			if err := rt.applyPath(res, o.Op, k, v); err != nil {
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
func (rt *ResourceType) applyExtension(res map[string]any, op string, ext *Schema, value any) error {
	if op == "remove" {
		delete(res, ext.ID)
		return nil
	}
	sub, ok := value.(map[string]any)
	if !ok {
		return InvalidValue("%s must be an object", ext.ID)
	}
	for _, k := range slices.Sorted(maps.Keys(sub)) {
		if err := rt.applyPath(res, op, ext.ID+":"+k, sub[k]); err != nil {
			return err
		}
	}
	return nil
}

// activeAttr is the User's active: a PATCH may set it, never remove it.
var activeAttr = userSchema.attr("active")

// errActiveRemoved answers a PATCH that removes active (or replaces it
// with null), which would otherwise change nothing: a PUT or PATCH that
// leaves active out keeps it, so that leaving it out never deprovisions
// anyone. The client would believe the user changed.
func errActiveRemoved() *Error {
	return Mutability("active cannot be removed: to deprovision the user, replace active with false (or DELETE the user)")
}

func (rt *ResourceType) applyPath(res map[string]any, op, path string, value any) error {
	t, err := rt.ResolvePath(path)
	if err != nil {
		return err
	}
	if t == nil {
		return nil // an attribute no schema declares: ignored
	}
	if t.Attr.Mutability == "readOnly" || t.Sub != nil && t.Sub.Mutability == "readOnly" {
		if strings.EqualFold(t.Attr.Name, "id") || strings.EqualFold(t.Attr.Name, "meta") {
			return nil // clients echo these back; RFC 7644 §3.5.2 lets us ignore them
		}
		return Mutability("%s is read-only", path)
	}
	if t.Attr == activeAttr && t.Sub == nil && (op == "remove" || value == nil) {
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
	name := t.Attr.Name
	current, _ := GetFold(container, name)
	DeleteFold(container, name)
	if t.Filter != nil {
		next, err := patchFiltered(t, op, current, value)
		if err != nil {
			return err
		}
		setIfAny(container, name, next)
		return nil
	}
	if t.Sub != nil {
		setIfAny(container, name, patchSub(t, op, current, value))
		return nil
	}
	switch {
	case op == "remove" && t.Attr.MultiValued && value != nil:
		// Entra removes members as {"path": "members", "value": [{"value": id}]}.
		setIfAny(container, name, removeValues(t.Attr, current, value))
	case op == "remove":
	case t.Attr.MultiValued && op == "add":
		if anyPrimary(value) {
			current = clearPrimary(current) // RFC 7644 §3.5.2.1: one primary
		}
		setIfAny(container, name, appendValues(t.Attr, current, value))
	case t.Attr.MultiValued:
		setIfAny(container, name, Flatten(value))
	case t.Attr.Type == typeComplex:
		// Sub-attributes not in the value are left unchanged.
		merged := map[string]any{}
		if cur, ok := current.(map[string]any); ok {
			maps.Copy(merged, cur)
		}
		if v, ok := value.(map[string]any); ok {
			for k, sv := range v {
				DeleteFold(merged, k)
				merged[k] = sv
			}
		} else if t.Attr.sub("value") != nil {
			merged["value"] = value // a manager given as an id
		} else {
			return InvalidValue("%s must be an object", path)
		}
		setIfAny(container, name, merged)
	default:
		setIfAny(container, name, value)
	}
	return nil
}
