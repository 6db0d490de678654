package protocol

// ResourceTypes describes the resource types as /ResourceTypes lists them
// (RFC 7644 §4, RFC 7643 §6): User first, as Entra's tests expect. base
// is the provider's SCIM base URL, for meta.location.
func ResourceTypes(base string) []map[string]any {
	return []map[string]any{User.describe(base), Group.describe(base)}
}

func (rt *ResourceType) describe(base string) map[string]any {
	out := map[string]any{
		"schemas":     []string{URNResourceType},
		"id":          rt.name,
		"name":        rt.name,
		"endpoint":    "/" + rt.endpoint,
		"description": rt.core.Description,
		"schema":      rt.core.ID,
		"meta": map[string]any{
			"resourceType": "ResourceType",
			"location":     base + "/ResourceTypes/" + rt.name,
		},
	}
	if len(rt.extensions) > 0 {
		var exts []any
		for _, e := range rt.extensions {
			exts = append(exts, map[string]any{"schema": e.ID, "required": false})
		}
		out["schemaExtensions"] = exts
	}
	return out
}

// Schemas describes the schemas as /Schemas lists them (RFC 7644 §4, RFC
// 7643 §7). base is the provider's SCIM base URL, for meta.location.
func Schemas(base string) []map[string]any {
	return []map[string]any{userSchema.describe(base), enterpriseSchema.describe(base), groupSchema.describe(base)}
}

func (sc *Schema) describe(base string) map[string]any {
	attrs := sc.Attributes
	if sc == userSchema || sc == groupSchema {
		// The common attributes other than id (RFC 7643 §3.1) are listed
		// with the core schemas, so that clients can find externalId.
		attrs = append([]*Attr{commonAttrs[1]}, attrs...)
	}
	return map[string]any{
		"schemas":     []string{URNSchema},
		"id":          sc.ID,
		"name":        sc.Name,
		"description": sc.Description,
		"attributes":  attrs,
		"meta": map[string]any{
			"resourceType": "Schema",
			"location":     base + "/Schemas/" + sc.ID,
		},
	}
}
