package scim

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/reconcile-dev/reconcile/internal/jsonscan"
	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
)

// appendUser appends u as SCIM returns it without projection, with its
// groups: what userJSON gives, written around the stored resource's JSON
// text instead of decoding it and encoding it again, which was most of
// the work of answering a GET, a POST or a PUT. Members come in another
// order than encoding a map gives; JSON objects have none.
//
// ok is false when the stored text is not a JSON object; userJSON then
// answers, as it always did. (Stored text is what encoding/json wrote, so
// it is valid and has no duplicate keys; the check costs little next to
// the decoding it saves, and packed text, valid when it was packed, needs
// none.)
func (s *Server) appendUser(dst []byte, r *request, v *state.View, u *state.User, etag string) (out []byte, ok bool) {
	buf := userBuffers.Get().(*[]byte)
	stored, err := u.SCIM.AppendJSON((*buf)[:0])
	defer putUserBuffer(buf, stored)
	if err != nil || !u.SCIM.Packed() && len(stored) > 0 && !json.Valid(stored) {
		return dst, false
	}
	start := len(dst)
	groups := v.GroupsOfUser(u.ID)
	location := r.base + "/Users/" + u.ID

	dst = append(dst, `{"id":`...)
	dst = protocol.AppendString(dst, u.ID)
	dst = append(dst, `,"meta":{"created":`...)
	dst = protocol.AppendString(dst, u.Created.UTC().Format(time.RFC3339Nano))
	dst = append(dst, `,"lastModified":`...)
	dst = protocol.AppendString(dst, u.Modified.UTC().Format(time.RFC3339Nano))
	dst = append(dst, `,"location":`...)
	dst = protocol.AppendString(dst, location)
	dst = append(dst, `,"resourceType":"User","version":`...)
	dst = protocol.AppendString(dst, etag)
	dst = append(dst, `},"userName":`...)
	dst = protocol.AppendString(dst, u.UserName)

	// The stored members, but for those written here. An extension's
	// schema is listed when its member is there.
	hasActive := false
	extensions := make([]bool, len(protocol.User.Extensions()))
	if len(stored) == 0 {
		stored = []byte("{}")
	}
	whole := jsonscan.Members(stored, func(k []byte, escaped bool, value []byte) bool {
		switch {
		case jsonscan.KeyIs(k, escaped, "id"), jsonscan.KeyIs(k, escaped, "meta"),
			jsonscan.KeyIs(k, escaped, "userName"), jsonscan.KeyIs(k, escaped, "schemas"):
			return true
		case jsonscan.KeyIs(k, escaped, "groups") && len(groups) > 0:
			return true
		case jsonscan.KeyIs(k, escaped, "active"):
			hasActive = true
		}
		for i, ext := range protocol.User.Extensions() {
			if jsonscan.KeyIs(k, escaped, ext.ID) {
				extensions[i] = true
			}
		}
		dst = append(dst, ',')
		dst = append(dst, k...)
		dst = append(dst, ':')
		dst = append(dst, value...)
		return true
	})
	if !whole {
		return dst[:start], false
	}
	if !hasActive {
		dst = append(dst, `,"active":`...)
		dst = strconv.AppendBool(dst, u.State == state.UserActive)
	}
	dst = appendMember(dst, "groups", groups, func(dst []byte, g *state.Group) []byte {
		return appendRef(dst, r.base, "/Groups/", g.ID, g.DisplayName, false, "direct")
	})
	dst = append(dst, `,"schemas":[`...)
	dst = protocol.AppendString(dst, protocol.URNUser)
	for i, ext := range protocol.User.Extensions() {
		if extensions[i] {
			dst = append(dst, ',')
			dst = protocol.AppendString(dst, ext.ID)
		}
	}
	return append(dst, "]}\n"...), true
}
