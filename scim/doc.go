// Package scim is the SCIM 2.0 service (RFC 7643, RFC 7644) each provider
// pushes users and groups to, at /scim/v2/{provider}/. It authenticates the
// provider, turns requests into state commands (so every acknowledged
// write is durable) and answers in SCIM's JSON, accepting what PingOne,
// Okta and Microsoft Entra really send: `username Eq "x"` filters, PUT
// updates, no-path PATCH replaces, capitalised ops, "True"/"False"
// strings, dotted keys and enterprise-extension URN paths.
//
// A provider sees and changes only its own users and groups. Users are
// never hard-deleted through SCIM: DELETE and active=false block the user
// at once, and the lifecycle deactivates them after the provider's delay.
//
// The handlers here are the part over state; the protocol itself (schemas,
// filters, PATCH, projection, errors, JSON) is package scim/protocol.
package scim
