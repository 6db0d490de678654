package scim

import (
	"net/http"
	"strings"

	"github.com/reconcile-dev/reconcile/scim/protocol"
)

// serviceProviderConfig answers /ServiceProviderConfig (RFC 7644 §4, RFC
// 7643 §5); Entra's reference tests ask /serviceConfiguration.
func (s *Server) serviceProviderConfig(r *request, id string) *protocol.Error {
	if r.Method != http.MethodGet {
		return methodNotAllowed(r, "GET")
	}
	if id != "" {
		return protocol.NotFound("no such resource")
	}
	scheme := map[string]any{
		"type":        "oauthbearertoken",
		"name":        "OAuth Bearer Token",
		"description": "Authentication with the provider's bearer token (the console's \"OAuth token\").",
		"specUri":     "https://www.rfc-editor.org/info/rfc6750",
		"primary":     true,
	}
	if r.provider.Auth.Type == "basic" {
		scheme = map[string]any{
			"type":        "httpbasic",
			"name":        "HTTP Basic",
			"description": "Authentication with the provider's username and password (the console's \"API credentials\").",
			"specUri":     "https://www.rfc-editor.org/info/rfc7617",
			"primary":     true,
		}
	}
	writeJSON(r.w, http.StatusOK, map[string]any{
		"schemas":               []string{protocol.URNServiceProvider},
		"documentationUri":      "https://github.com/reconcile-dev/reconcile#scim",
		"patch":                 map[string]any{"supported": true},
		"bulk":                  map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":                map[string]any{"supported": true, "maxResults": s.opts.MaxResults},
		"changePassword":        map[string]any{"supported": false},
		"sort":                  map[string]any{"supported": true},
		"etag":                  map[string]any{"supported": true},
		"authenticationSchemes": []any{scheme},
		"meta": map[string]any{
			"resourceType": "ServiceProviderConfig",
			"location":     r.base + "/ServiceProviderConfig",
		},
	})
	return nil
}

func (s *Server) resourceTypeJSON(r *request, rt *resourceType) map[string]any {
	out := map[string]any{
		"schemas":     []string{protocol.URNResourceType},
		"id":          rt.name,
		"name":        rt.name,
		"endpoint":    "/" + rt.endpoint,
		"description": rt.core.Description,
		"schema":      rt.core.ID,
		"meta": map[string]any{
			"resourceType": "ResourceType",
			"location":     r.base + "/ResourceTypes/" + rt.name,
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

// resourceTypes answers /ResourceTypes: User first, as Entra's tests
// expect.
func (s *Server) resourceTypes(r *request, id string) *protocol.Error {
	if r.Method != http.MethodGet {
		return methodNotAllowed(r, "GET")
	}
	types := []*resourceType{userType, groupType}
	if id != "" {
		for _, rt := range types {
			if strings.EqualFold(rt.name, id) {
				writeJSON(r.w, http.StatusOK, s.resourceTypeJSON(r, rt))
				return nil
			}
		}
		return protocol.NotFound("no resource type %q", id)
	}
	resp := listResponse{Schemas: []string{protocol.URNListResponse}, TotalResults: len(types), StartIndex: 1, ItemsPerPage: len(types)}
	for _, rt := range types {
		resp.Resources = append(resp.Resources, s.resourceTypeJSON(r, rt))
	}
	writeJSON(r.w, http.StatusOK, resp)
	return nil
}

func (s *Server) schemaJSON(r *request, sc *Schema) map[string]any {
	attrs := sc.Attributes
	if sc == userSchema || sc == groupSchema {
		// The common attributes other than id (RFC 7643 §3.1) are listed
		// with the core schemas, so that clients can find externalId.
		attrs = append([]*Attr{commonAttrs[1]}, attrs...)
	}
	return map[string]any{
		"schemas":     []string{protocol.URNSchema},
		"id":          sc.ID,
		"name":        sc.Name,
		"description": sc.Description,
		"attributes":  attrs,
		"meta": map[string]any{
			"resourceType": "Schema",
			"location":     r.base + "/Schemas/" + sc.ID,
		},
	}
}

// schemas answers /Schemas and /Schemas/{urn}.
func (s *Server) schemas(r *request, id string) *protocol.Error {
	if r.Method != http.MethodGet {
		return methodNotAllowed(r, "GET")
	}
	all := []*Schema{userSchema, enterpriseSchema, groupSchema}
	if id != "" {
		for _, sc := range all {
			if strings.EqualFold(sc.ID, id) {
				writeJSON(r.w, http.StatusOK, s.schemaJSON(r, sc))
				return nil
			}
		}
		return protocol.NotFound("no schema %q", id)
	}
	resp := listResponse{Schemas: []string{protocol.URNListResponse}, TotalResults: len(all), StartIndex: 1, ItemsPerPage: len(all)}
	for _, sc := range all {
		resp.Resources = append(resp.Resources, s.schemaJSON(r, sc))
	}
	writeJSON(r.w, http.StatusOK, resp)
	return nil
}
