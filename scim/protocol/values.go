package protocol

import (
	"encoding/json"
	"strings"
)

// The helpers here read and change resources as encoding/json decodes
// them: objects are map[string]any, whose keys are attribute names
// matched without case (RFC 7643 §2.1).

// decodeValue decodes any JSON value, as json.Unmarshal does.
func decodeValue(b []byte) (any, error) {
	if v, ok := decodeFast(b); ok {
		return v, nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// DecodeObject decodes a request body that must be a JSON object; an
// error is a 400 invalidSyntax.
func DecodeObject(body []byte) (map[string]any, error) {
	v, err := decodeValue(body)
	if err != nil {
		return nil, InvalidSyntax("the body is not valid JSON: %v", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, InvalidSyntax("the body must be a JSON object")
	}
	return obj, nil
}

func asBool(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string: // Entra sends "True" and "False"
		switch strings.ToLower(v) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

func asFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	}
	return 0, false
}

// Flatten returns the values of an attribute: a list's elements, or v
// alone.
func Flatten(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

// GetFold looks an attribute up by name, without case.
func GetFold(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

func flattenOrNil(v any) []any {
	if v == nil {
		return nil
	}
	return Flatten(v)
}

func isTrue(v any) bool {
	b, ok := asBool(v)
	return ok && b
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

// DeleteFold deletes an attribute by name, without case.
func DeleteFold(m map[string]any, key string) {
	for k := range m {
		if strings.EqualFold(k, key) {
			delete(m, k)
		}
	}
}
