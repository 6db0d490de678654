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

// resourceTypes answers /ResourceTypes and /ResourceTypes/{name}.
func (s *Server) resourceTypes(r *request, id string) *protocol.Error {
	return discover(r, id, "resource type", protocol.ResourceTypes(r.base))
}

// schemas answers /Schemas and /Schemas/{urn}.
func (s *Server) schemas(r *request, id string) *protocol.Error {
	return discover(r, id, "schema", protocol.Schemas(r.base))
}

// discover answers a GET of a discovery endpoint (RFC 7644 §4): the
// resource of all whose id is id, without case, or all of them in a
// ListResponse.
func discover(r *request, id, kind string, all []map[string]any) *protocol.Error {
	if r.Method != http.MethodGet {
		return methodNotAllowed(r, "GET")
	}
	if id != "" {
		for _, res := range all {
			if name, _ := res["id"].(string); strings.EqualFold(name, id) {
				writeJSON(r.w, http.StatusOK, res)
				return nil
			}
		}
		return protocol.NotFound("no %s %q", kind, id)
	}
	resp := protocol.ListResponse{Schemas: []string{protocol.URNListResponse}, TotalResults: len(all), StartIndex: 1, ItemsPerPage: len(all)}
	for _, res := range all {
		resp.Resources = append(resp.Resources, res)
	}
	writeJSON(r.w, http.StatusOK, resp)
	return nil
}
