package packjson

import (
	"encoding/binary"
	"errors"
)

// IsPacked reports whether b is packed text (else it is JSON text, or
// empty).
func IsPacked(b []byte) bool { return len(b) > 0 && b[0] == Magic }

// Body is the packed text after its header: its tokens, where a string's
// or a number's text is as written. Nil when b is not packed.
func Body(b []byte) []byte {
	if !IsPacked(b) || len(b) < 2 {
		return nil
	}
	_, k := binary.Uvarint(b[2:])
	if k <= 0 {
		return nil
	}
	return b[2+k:]
}

// ErrDamaged means packed text that Pack did not write.
var ErrDamaged = errors.New("packjson: damaged packed text")

// Len returns the length of the JSON text b holds: packed, what Unpack
// appends; else len(b).
func Len(b []byte) int {
	if !IsPacked(b) {
		return len(b)
	}
	if len(b) < 2 {
		return 0
	}
	n, k := binary.Uvarint(b[2:])
	if k <= 0 || n > uint64(maxLen) {
		return 0
	}
	return int(n)
}

// Marshalled reports whether b is packed text that encoding/json writes
// as it is (json.Marshal of a json.RawMessage): compact, as all packed
// text is, and with none of the characters it escapes in strings.
func Marshalled(b []byte) bool {
	return IsPacked(b) && len(b) > 1 && b[1]&flagMarshalled != 0
}

const maxLen = 1<<31 - 1

// maxExpansion bounds how many bytes of JSON text a byte of packed text
// gives: a dictionary string's, quoted, with a separator. A length past
// it is damage, not an allocation to make.
const maxExpansion = 64

// Unpack appends the JSON text b holds to dst: b itself when it is not
// packed. Damaged packed text is ErrDamaged, with dst as it was.
func Unpack(dst, b []byte) ([]byte, error) {
	if !IsPacked(b) {
		return append(dst, b...), nil
	}
	start := len(dst)
	if len(b) < 2 {
		return dst, ErrDamaged
	}
	n, k := binary.Uvarint(b[2:])
	if k <= 0 || n > uint64(maxLen) || n > uint64(len(b))*maxExpansion {
		return dst, ErrDamaged
	}
	u := unpacker{b: b, i: 2 + k, dst: growBy(dst, int(n))}
	for {
		if u.i >= len(b) || !u.token() {
			return dst[:start], ErrDamaged
		}
		if u.depth == 0 {
			if u.i != len(b) || uint64(len(u.dst)-start) != n {
				return dst[:start], ErrDamaged
			}
			return u.dst, nil
		}
	}
}

// unpacker is Unpack's state: where it is in the packed text, and the
// containers it is in.
type unpacker struct {
	b, dst []byte
	i      int
	containers
}

// token writes the next token with the separator before it, and reports
// whether the packed text is as Pack writes it so far.
func (u *unpacker) token() bool {
	t := u.b[u.i]
	u.i++
	n := u.depth
	if t == tObjectEnd || t == tArrayEnd {
		if n == 0 || closer(u.stack[n-1]) == 0 || endToken(closer(u.stack[n-1])) != t {
			return false
		}
		u.dst = append(u.dst, closer(u.stack[n-1]))
		u.depth--
		return true
	}
	if n > 0 {
		state := u.stack[n-1]
		if (state == firstMember || state == nextMember) && t != tString && t < dictBase {
			return false // a key that is no string
		}
		if sep := separatorBefore(state); sep != 0 {
			u.dst = append(u.dst, sep)
		}
		u.stack[n-1] = after(state)
	}
	switch {
	case t == tObject:
		u.dst = append(u.dst, '{')
		return u.push(firstMember)
	case t == tArray:
		u.dst = append(u.dst, '[')
		return u.push(firstElement)
	case t == tTrue:
		u.dst = append(u.dst, "true"...)
	case t == tFalse:
		u.dst = append(u.dst, "false"...)
	case t == tNull:
		u.dst = append(u.dst, "null"...)
	case t == tString || t == tNumber:
		l, k := binary.Uvarint(u.b[u.i:])
		if k <= 0 || l > uint64(len(u.b)-u.i-k) {
			return false
		}
		u.i += k
		text := u.b[u.i : u.i+int(l)]
		u.i += int(l)
		if t == tNumber {
			u.dst = append(u.dst, text...)
		} else {
			u.dst = append(append(append(u.dst, '"'), text...), '"')
		}
	case t >= dictBase && int(t-dictBase) < len(dictionary):
		u.dst = append(append(append(u.dst, '"'), dictionary[t-dictBase]...), '"')
	default:
		return false
	}
	return true
}

// growBy makes room for n more bytes in dst.
func growBy(dst []byte, n int) []byte {
	if cap(dst)-len(dst) >= n {
		return dst
	}
	grown := make([]byte, len(dst), len(dst)+n)
	copy(grown, dst)
	return grown
}
