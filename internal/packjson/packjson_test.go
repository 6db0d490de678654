package packjson

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// user is a provider's user as a SCIM resource is stored: json.Marshal
// of the decoded body.
const user = `{"active":true,"addresses":[{"country":"US","locality":"Minneapolis","postalCode":"55401","region":"MN","streetAddress":"100 Washington Ave S","type":"work"}],"emails":[{"primary":true,"type":"work","value":"user-0000123@bench.example.com"}],"externalId":"ext-user-0000123@bench.example.com","name":{"familyName":"User user-0000123@bench.example.com","formatted":"Bench User","givenName":"Bench"},"phoneNumbers":[{"type":"work","value":"+1 612 555 0100"}],"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"title":"Load Generator","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"costCenter":"CC-42","department":"Backup and Restore","division":"Research and Development","employeeNumber":"E-12345","organization":"Acme Corporation"},"userName":"user-0000123@bench.example.com","userType":"Employee"}`

func TestPack(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"a provider's user", user, true},
		{"empty object", `{}`, true},
		{"empty array", `[]`, true},
		{"nested empties", `{"a":{},"b":[],"c":[{},[]]}`, true},
		{"literals", `[true,false,null]`, true},
		{"numbers", `[0,-0,1.5,-12e+3,3E-2,123456789012345678901234567890]`, true},
		{"escapes", `{"a\"b":"\u00e9\n\\\/","é":"\ud83d\ude00"}`, true},
		{"a dictionary string as a value", `{"type":"work","value":"userName"}`, true},
		{"a bare string", `"work"`, true},
		{"a bare number", `42`, true},
		{"characters json.Marshal escapes", `{"a":"<b>& "}`, true},
		{"whitespace between tokens", `{"a": 1}`, false},
		{"leading whitespace", ` {}`, false},
		{"trailing bytes", `{}x`, false},
		{"two values", `{}{}`, false},
		{"unterminated object", `{"a":1`, false},
		{"unterminated string", `{"a":"b}`, false},
		{"a key that is no string", `{1:2}`, false},
		{"a trailing comma", `[1,]`, false},
		{"a missing colon", `{"a"1}`, false},
		{"a bad escape", `["\x"]`, false},
		{"a control character", "[\"a\tb\"]", false},
		{"a leading zero", `[01]`, false},
		{"a bare minus", `[-]`, false},
		{"mismatched brackets", `{]`, false},
		{"empty", ``, false},
		{"a bad literal", `[tru]`, false},
		{"nested 64 deep", strings.Repeat("[", 64) + strings.Repeat("]", 64), true},
		{"nested 65 deep", strings.Repeat("[", 65) + strings.Repeat("]", 65), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := Pack([]byte("prefix"), []byte(tt.in))
			if ok != tt.ok {
				t.Fatalf("Pack(%s) = %v, want %v", tt.in, ok, tt.ok)
			}
			if !ok {
				if string(p) != "prefix" {
					t.Errorf("refused, but dst is %q", p)
				}
				return
			}
			packed := p[len("prefix"):]
			if !IsPacked(packed) {
				t.Errorf("%q does not say it is packed", packed)
			}
			if got := Len(packed); got != len(tt.in) {
				t.Errorf("Len = %d, want %d", got, len(tt.in))
			}
			out, err := Unpack([]byte("x"), packed)
			if err != nil || string(out) != "x"+tt.in {
				t.Errorf("Unpack = %q, %v; want %q", out, err, "x"+tt.in)
			}
		})
	}
}

// TestPackedSize: a provider's user packs into about half its bytes.
func TestPackedSize(t *testing.T) {
	p, ok := Pack(nil, []byte(user))
	if !ok {
		t.Fatal("not packed")
	}
	if len(p) > len(user)*55/100 {
		t.Errorf("%d bytes packed into %d, want at most 55 %%", len(user), len(p))
	}
	t.Logf("%d bytes packed into %d", len(user), len(p))
}

// TestUnpackNotPacked: JSON text, or nothing, comes back as it is.
func TestUnpackNotPacked(t *testing.T) {
	for _, in := range []string{"", `{"a": 1}`} {
		out, err := Unpack(nil, []byte(in))
		if err != nil || string(out) != in || Len([]byte(in)) != len(in) {
			t.Errorf("Unpack(%q) = %q, %v", in, out, err)
		}
	}
}

// TestUnpackDamaged: every truncation of packed text is ErrDamaged, and
// a changed byte is ErrDamaged or text of the stated length (a string's
// bytes are not checked again: what holds packed text checksums it),
// never a panic.
func TestUnpackDamaged(t *testing.T) {
	p, _ := Pack(nil, []byte(user))
	for n := 1; n < len(p); n++ {
		if out, err := Unpack([]byte("x"), p[:n]); !errors.Is(err, ErrDamaged) || string(out) != "x" {
			t.Fatalf("truncated at %d: %q, %v", n, out, err)
		}
	}
	for i := 1; i < len(p); i++ {
		for _, c := range []byte{0x00, 0x02, 0x04, 0x08, 0x09, 0x0f, 0xff} {
			d := bytes.Clone(p)
			d[i] = c
			out, err := Unpack(nil, d)
			if err == nil && len(out) != Len(d) {
				t.Fatalf("byte %d set to %#x: %q", i, c, out)
			}
		}
	}
}

// TestUnpackLengthBound: a length that no packed text of its size could
// unpack to is damage, not an allocation.
func TestUnpackLengthBound(t *testing.T) {
	b := binary.AppendUvarint([]byte{Magic, 0}, 1<<30)
	b = append(b, tNull)
	if n := testing.AllocsPerRun(10, func() {
		if _, err := Unpack(nil, b); !errors.Is(err, ErrDamaged) {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

// FuzzPack holds Pack and Unpack to each other and to encoding/json:
// what Pack accepts is valid JSON and comes back byte for byte; what
// json.Compact leaves as it is, Pack accepts.
func FuzzPack(f *testing.F) {
	for _, s := range []string{user, `{}`, `[1,"a",true,null,{"b":[]}]`, `"\u00e9"`, `-1.5e3`, `{"a": 1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p, ok := Pack(nil, in)
		var compact bytes.Buffer
		valid := json.Compact(&compact, in) == nil
		if ok != (valid && bytes.Equal(compact.Bytes(), in)) {
			t.Fatalf("Pack(%q) = %v; json.Compact: valid %v, %q", in, ok, valid, compact.Bytes())
		}
		if !ok {
			return
		}
		out, err := Unpack(nil, p)
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("Unpack(Pack(%q)) = %q, %v", in, out, err)
		}
		if Len(p) != len(in) {
			t.Fatalf("Len = %d, want %d", Len(p), len(in))
		}
		m, err := json.Marshal(json.RawMessage(in))
		if err != nil || Marshalled(p) != bytes.Equal(m, in) {
			t.Fatalf("Marshalled(%q) = %v; json.Marshal gives %q, %v", in, Marshalled(p), m, err)
		}
	})
}

func BenchmarkPack(b *testing.B) {
	var dst []byte
	src := []byte(user)
	for b.Loop() {
		dst, _ = Pack(dst[:0], src)
	}
}

func BenchmarkUnpack(b *testing.B) {
	p, _ := Pack(nil, []byte(user))
	var dst []byte
	for b.Loop() {
		dst, _ = Unpack(dst[:0], p)
	}
}
