// Package protocol is the SCIM 2.0 protocol as the scim handlers speak
// it, apart from any store: RFC 7643's resources and RFC 7644's messages.
//
// JSON encoding of decoded resources (AppendJSON, AppendString) writes
// the bytes encoding/json would, without reflection.
package protocol
