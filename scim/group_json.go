package scim

import (
	"net/http"
	"time"

	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
)

// appendGroup appends a group with its members ms as groupJSON and the
// encoding of its map give it (the members in the same order, with the
// same keys, sorted as encoding/json sorts a map's), without building a
// map per member: a page of 100 groups of 1,000 members is 100,000 of
// them.
func appendGroup(dst []byte, r *request, g *state.Group, ms []*state.Membership) []byte {
	dst = append(dst, `{"displayName":`...)
	dst = protocol.AppendString(dst, g.DisplayName)
	if g.ExternalID != "" {
		dst = append(dst, `,"externalId":`...)
		dst = protocol.AppendString(dst, g.ExternalID)
	}
	dst = append(dst, `,"id":`...)
	dst = protocol.AppendString(dst, g.ID)
	dst = appendMember(dst, "members", ms, func(dst []byte, m *state.Membership) []byte {
		return appendRef(dst, r.base, "/Users/", m.UserID, m.Display, true, "User")
	})
	dst = append(dst, `,"meta":{"created":`...)
	dst = protocol.AppendString(dst, g.Created.UTC().Format(time.RFC3339Nano))
	dst = append(dst, `,"lastModified":`...)
	dst = protocol.AppendString(dst, g.Modified.UTC().Format(time.RFC3339Nano))
	dst = append(dst, `,"location":`...)
	dst = appendJoined(dst, r.base, "/Groups/", g.ID)
	dst = append(dst, `,"resourceType":"Group","version":`...)
	dst = protocol.AppendString(dst, etag(g.ModifyIndex))
	dst = append(dst, `},"schemas":["`+protocol.URNGroup+`"]}`...)
	return dst
}

// appendMember appends the member ,"key":[...] of a JSON object with
// each item as appendItem writes it, or nothing when there are none.
func appendMember[T any](dst []byte, key string, items []T, appendItem func([]byte, T) []byte) []byte {
	if len(items) == 0 {
		return dst
	}
	dst = append(dst, `,"`+key+`":[`...)
	for i, item := range items {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendItem(dst, item)
	}
	return append(dst, ']')
}

// appendRef appends a reference to the resource base+path+id (a group's
// member, a user's group) as encoding its map gives it, the keys sorted:
// display is left out when it is empty and omitEmpty.
func appendRef(dst []byte, base, path, id, display string, omitEmpty bool, typ string) []byte {
	dst = append(dst, `{"$ref":`...)
	dst = appendJoined(dst, base, path, id)
	if display != "" || !omitEmpty {
		dst = append(dst, `,"display":`...)
		dst = protocol.AppendString(dst, display)
	}
	dst = append(dst, `,"type":`...)
	dst = protocol.AppendString(dst, typ)
	dst = append(dst, `,"value":`...)
	dst = protocol.AppendString(dst, id)
	return append(dst, '}')
}

// appendJoined appends the concatenation of parts as a JSON string,
// without making it.
func appendJoined(dst []byte, parts ...string) []byte {
	dst = append(dst, '"')
	for _, part := range parts {
		n := len(dst)
		dst = protocol.AppendString(dst, part)
		dst = append(dst[:n], dst[n+1:len(dst)-1]...) // without its quotes
	}
	return append(dst, '"')
}

// writeGroupPage answers a page of a list of total groups, startIndex
// first, with their members or without, as appendGroup writes each. It
// writes the page as it goes, a group or more at a time, through a
// buffer of the pool's: a page of 100 groups of 1,000 members is about
// 15 MB, which allocated whole (and collected after) cost more than
// writing it.
func (s *Server) writeGroupPage(r *request, v *state.View, page []*state.Group, total, first int, withMembers bool) {
	buf := userBuffers.Get().(*[]byte)
	b := appendListStart((*buf)[:0], total, first, len(page))
	r.w.Header().Set("Content-Type", contentType+"; charset=utf-8")
	r.w.WriteHeader(http.StatusOK)
	for i, g := range page {
		if i > 0 {
			b = append(b, ',')
		}
		var ms []*state.Membership
		if withMembers {
			ms = v.Memberships(g.ID)
		}
		b = appendGroup(b, r, g, ms)
		if len(b) >= groupPageChunk {
			r.w.Write(b)
			b = b[:0]
		}
	}
	r.w.Write(append(b, "]}\n"...))
	putUserBuffer(buf, b)
}

// groupPageChunk is how much of a page of groups writeGroupPage holds
// before writing it: under the pool's largest buffer.
const groupPageChunk = maxPooledBuffer / 2
