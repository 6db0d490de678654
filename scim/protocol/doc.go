// Package protocol is SCIM 2.0 as the scim handlers speak it, apart from
// any store: RFC 7643's resources and schemas, and RFC 7644's messages,
// filters, PATCH operations and errors. It reads what PingOne, Okta and
// Microsoft Entra really send (see the scim package).
//
//   - Schemas and resource types (RFC 7643 §2, §4, §6, §7): User and
//     Group, their schemas and the enterprise extension; Normalize turns
//     a resource as sent into the form the server stores; ResourceTypes
//     and Schemas describe them for discovery (RFC 7644 §4).
//   - Filters (RFC 7644 §3.4.2.2): ParseFilter, and ResourceType.Match
//     to evaluate one against a resource; a Prefilter rules stored
//     resources out on their JSON text.
//   - Lists (RFC 7644 §3.4.2, §3.4.3): Query (from the URL, or a
//     SearchRequest), its page, ListResponse, sorting and Projection
//     (attributes and excludedAttributes, §3.4.2.5).
//   - PATCH (RFC 7644 §3.5.2): DecodePatch, ResourceType.Patch, and
//     ResolvePath for the paths PATCH, attribute mappings and sortBy use.
//   - Errors (RFC 7644 §3.12): Error and its constructors; ETagMatches
//     for versions (§3.14); CheckLengths for the longest values accepted.
//   - JSON: resources are encoding/json's map[string]any, their
//     attribute names matched without case (GetFold); AppendJSON and
//     AppendString write them as json.Marshal would, without reflection.
//
// Errors the functions return are *Error, SCIM 400s unless said
// otherwise: AsError reads one from an error.
package protocol
