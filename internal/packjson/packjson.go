// Package packjson keeps compact JSON text in fewer bytes and gives it
// back byte for byte.
//
// A stored SCIM resource is about half names: its keys ("userName",
// "familyName", "phoneNumbers"), its schemas' URNs, the punctuation
// between them. Packed, each structural character is a byte with the
// commas and colons left out (the nesting says where they go), each
// string or number is its text as written (escapes and all) after its
// length, and a string that is one of the dictionary's (every attribute
// name of SCIM's User and Group schemas and of the enterprise extension,
// the schemas' URNs, the common "type" values) is one byte. A provider's
// user of about 880 bytes packs into about 390.
//
// Unpack(Pack(x)) is x for every x Pack accepts: compact JSON text, as
// encoding/json writes it, without a byte between tokens, nested at most
// 64 deep. Pack refuses anything else (whitespace, invalid text), and
// callers keep that text as it is: packed text starts with a byte no
// JSON text starts with, so the two tell themselves apart.
//
// The format is stored (in snapshots): a token's byte and the
// dictionary's entries only ever get appended to.
package packjson

import (
	"encoding/binary"
)

// Magic starts packed text: JSON text never starts with it. A byte of
// flags follows, then the length of the JSON text as a uvarint.
const Magic = 0x00

// flagMarshalled says the text is as encoding/json writes it (see
// Marshalled).
const flagMarshalled = 0x01

// The tokens. A dictionary string is dictBase plus its index.
const (
	tObject    = 0x01 // {
	tObjectEnd = 0x02 // }
	tArray     = 0x03 // [
	tArrayEnd  = 0x04 // ]
	tTrue      = 0x05
	tFalse     = 0x06
	tNull      = 0x07
	tString    = 0x08 // uvarint length, then the text between the quotes, as written
	tNumber    = 0x09 // uvarint length, then the number's text
	dictBase   = 0x10
)

// The state of a container being packed or unpacked: what comes next.
const (
	firstMember  = iota // after {
	memberValue         // after a key
	nextMember          // after a member
	firstElement        // after [
	nextElement         // after an element
)

// Pack appends the packed form of the compact JSON text src to dst. It
// reports false, with dst as it was, when src is not one JSON value
// written without a byte between its tokens.
func Pack(dst, src []byte) ([]byte, bool) {
	p := packer{src: src, dst: dst, start: len(dst)}
	p.dst = append(p.dst, Magic, flagMarshalled)
	p.dst = binary.AppendUvarint(p.dst, uint64(len(src)))
	for {
		closed, key, ok := p.separator()
		if !ok {
			return dst[:p.start], false
		}
		if !closed && !p.token(key) {
			return dst[:p.start], false
		}
		if p.depth == 0 {
			if p.i != len(src) {
				return dst[:p.start], false
			}
			return p.dst, true
		}
	}
}

// packer is Pack's state: where it is in src, and the containers it is
// in.
type packer struct {
	src, dst []byte
	i        int
	containers
	start int // of the packed text in dst
}

// containers are the containers a packer or an unpacker is in, as the
// state of each (firstMember...).
type containers struct {
	stack [maxDepth]byte
	depth int
}

// maxDepth is the deepest nesting Pack takes: SCIM's resources nest
// three deep.
const maxDepth = 64

func (c *containers) push(state byte) bool {
	if c.depth == maxDepth {
		return false
	}
	c.stack[c.depth] = state
	c.depth++
	return true
}

// separator reads what comes before the next token in the container the
// packer is in: a comma, a colon, or nothing. closed says it read the
// end of the container instead; key, that a member's key comes next.
func (p *packer) separator() (closed, key, ok bool) {
	n := p.depth
	if n == 0 {
		return false, false, true
	}
	state := p.stack[n-1]
	if end := closer(state); end != 0 && p.i < len(p.src) && p.src[p.i] == end {
		p.dst = append(p.dst, endToken(end))
		p.depth, p.i = n-1, p.i+1
		return true, false, true
	}
	if sep := separatorBefore(state); sep != 0 {
		if p.i >= len(p.src) || p.src[p.i] != sep {
			return false, false, false
		}
		p.i++
	}
	p.stack[n-1] = after(state)
	return false, state == firstMember || state == nextMember, true
}

// closer is the character that may end a container in state, or 0.
func closer(state byte) byte {
	switch state {
	case firstMember, nextMember:
		return '}'
	case firstElement, nextElement:
		return ']'
	}
	return 0
}

// endToken is the token of the character that ends a container.
func endToken(end byte) byte {
	if end == '}' {
		return tObjectEnd
	}
	return tArrayEnd
}

// separatorBefore is what JSON text writes before the token that comes in
// state, or 0.
func separatorBefore(state byte) byte {
	switch state {
	case nextMember, nextElement:
		return ','
	case memberValue:
		return ':'
	}
	return 0
}

// after is the state of a container once the token that comes in state
// was read.
func after(state byte) byte {
	switch state {
	case firstMember, nextMember:
		return memberValue
	case memberValue:
		return nextMember
	}
	return nextElement
}

// token packs one token: a key must be a string.
func (p *packer) token(key bool) bool {
	src, i := p.src, p.i
	if i >= len(src) || key && src[i] != '"' {
		return false
	}
	switch c := src[i]; {
	case c == '{':
		p.dst = append(p.dst, tObject)
		p.i++
		return p.push(firstMember)
	case c == '[':
		p.dst = append(p.dst, tArray)
		p.i++
		return p.push(firstElement)
	case c == '"':
		end, ok := stringEnd(src, i+1)
		if !ok {
			return false
		}
		p.string(src[i+1 : end])
		p.i = end + 1
	case c == 't' && hasAt(src, i, "true"):
		p.dst = append(p.dst, tTrue)
		p.i += 4
	case c == 'f' && hasAt(src, i, "false"):
		p.dst = append(p.dst, tFalse)
		p.i += 5
	case c == 'n' && hasAt(src, i, "null"):
		p.dst = append(p.dst, tNull)
		p.i += 4
	case c == '-' || c >= '0' && c <= '9':
		end := numberEnd(src, i)
		if end < 0 {
			return false
		}
		p.dst = append(p.dst, tNumber)
		p.dst = binary.AppendUvarint(p.dst, uint64(end-i))
		p.dst = append(p.dst, src[i:end]...)
		p.i = end
	default:
		return false
	}
	return true
}

// string packs a string's text: a dictionary token, or the text after
// its length.
func (p *packer) string(text []byte) {
	if !marshalled(text) {
		p.dst[p.start+1] &^= flagMarshalled
	}
	if t, ok := lookup[string(text)]; ok {
		p.dst = append(p.dst, t)
		return
	}
	p.dst = append(p.dst, tString)
	p.dst = binary.AppendUvarint(p.dst, uint64(len(text)))
	p.dst = append(p.dst, text...)
}

// marshalled reports whether encoding/json writes the string text as it
// is: it escapes <, > and & (for HTML), and U+2028 and U+2029.
func marshalled(text []byte) bool {
	for i, c := range text {
		switch {
		case c == '<' || c == '>' || c == '&':
			return false
		case c == 0xE2 && i+2 < len(text) && text[i+1] == 0x80 && (text[i+2] == 0xA8 || text[i+2] == 0xA9):
			return false
		}
	}
	return true
}

// stringEnd returns the index of the quote that ends the string whose
// text starts at i, and whether it is valid JSON string text.
func stringEnd(src []byte, i int) (int, bool) {
	for i < len(src) {
		switch c := src[i]; {
		case c == '"':
			return i, true
		case c == '\\':
			if i+1 >= len(src) {
				return 0, false
			}
			switch src[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(src) || !isHex(src[i+2]) || !isHex(src[i+3]) || !isHex(src[i+4]) || !isHex(src[i+5]) {
					return 0, false
				}
				i += 6
			default:
				return 0, false
			}
		case c < 0x20:
			return 0, false
		default:
			i++
		}
	}
	return 0, false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// numberEnd returns the end of the JSON number at i, or -1.
func numberEnd(src []byte, i int) int {
	if i < len(src) && src[i] == '-' {
		i++
	}
	switch {
	case i < len(src) && src[i] == '0':
		i++
	case i < len(src) && src[i] >= '1' && src[i] <= '9':
		i = digits(src, i)
	default:
		return -1
	}
	if i < len(src) && src[i] == '.' {
		j := digits(src, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		j := digits(src, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func digits(src []byte, i int) int {
	for i < len(src) && src[i] >= '0' && src[i] <= '9' {
		i++
	}
	return i
}

func hasAt(src []byte, i int, lit string) bool {
	return len(src)-i >= len(lit) && string(src[i:i+len(lit)]) == lit
}
