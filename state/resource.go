package state

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/reconcile-dev/reconcile/internal/packjson"
)

// Resource is a user's SCIM resource as the store keeps it: its JSON text
// packed (packjson), in about half the bytes; the resource is a third of
// what a user costs the store. Text Pack does not take (not written as
// encoding/json writes it: a resource stored before packing that came
// from elsewhere) stays as it is. The log and the admin API carry the
// JSON text: MarshalJSON unpacks, UnmarshalJSON packs.
type Resource []byte

// PackResource returns the stored form of a resource's JSON text, in an
// array of its own size (the stored user holds it for as long as it
// lives).
func PackResource(text []byte) Resource {
	if len(text) == 0 {
		return nil
	}
	buf := packBuffers.Get().(*[]byte)
	defer packBuffers.Put(buf)
	p, ok := packjson.Pack((*buf)[:0], text)
	if !ok {
		p = text
	} else if cap(p) <= maxPooledPack {
		*buf = p
	}
	return Resource(append([]byte(nil), p...))
}

// packBuffers are scratch space for packing.
var packBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

const maxPooledPack = 64 << 10

// AppendJSON appends the resource's JSON text to dst.
func (r Resource) AppendJSON(dst []byte) ([]byte, error) {
	out, err := packjson.Unpack(dst, r)
	if err != nil {
		return dst, fmt.Errorf("the stored SCIM resource: %w", err)
	}
	return out, nil
}

// WithJSON calls f with the resource's JSON text (empty for none) in
// scratch space, which f must not keep; an error unpacking it is
// returned instead.
func (r Resource) WithJSON(f func(text []byte)) error {
	if !packjson.IsPacked(r) {
		f(r)
		return nil
	}
	buf := packBuffers.Get().(*[]byte)
	text, err := r.AppendJSON((*buf)[:0])
	if err != nil {
		packBuffers.Put(buf)
		return err
	}
	f(text)
	if cap(text) <= maxPooledPack {
		*buf = text[:0]
	}
	packBuffers.Put(buf)
	return nil
}

// JSON returns the resource's JSON text, nil for none.
func (r Resource) JSON() (json.RawMessage, error) {
	if len(r) == 0 {
		return nil, nil
	}
	if !packjson.IsPacked(r) {
		return json.RawMessage(r), nil
	}
	return r.AppendJSON(make([]byte, 0, packjson.Len(r)))
}

// Packed reports whether the resource is packed: valid JSON text when it
// was packed.
func (r Resource) Packed() bool { return packjson.IsPacked(r) }

// JSONLen is the length of the resource's JSON text.
func (r Resource) JSONLen() int { return packjson.Len(r) }

// Marshalled reports whether json.Marshal writes the resource's JSON
// text as it is: it is packed and has none of the characters json.Marshal
// escapes.
func (r Resource) Marshalled() bool { return packjson.Marshalled(r) }

// MarshalJSON implements json.Marshaler: the resource's JSON text.
func (r Resource) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	return r.JSON()
}

// UnmarshalJSON implements json.Unmarshaler: it keeps the stored form of
// text.
func (r *Resource) UnmarshalJSON(text []byte) error {
	*r = PackResource(text)
	return nil
}

// packed returns the resource packed, if Pack takes it: a snapshot of an
// earlier version holds JSON text.
func (r Resource) packed() Resource {
	if len(r) == 0 || packjson.IsPacked(r) {
		return r
	}
	return PackResource(r)
}
