package protocol

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// FuzzAppendJSON checks AppendJSON against json.Marshal: on any decoded
// JSON document, on any string (invalid UTF-8 included) and on any
// number.
func FuzzAppendJSON(f *testing.F) {
	for _, seed := range []string{
		`{"b":1,"a":[true,false,null,"x"],"c":{"z":0.000001,"y":1e21,"x":-1.5e-7}}`,
		`"<a href=\"x\">&amp;</a>\u2028\u2029\u0000\u001f\b\f\n\r\t\\"`,
		`[123456789012345678901234567890, 0.1, -0, 1e-320, 5e-324, 1.7976931348623157e308]`,
		`{"é":"ü","":"","\ud800":"\udfff"}`,
		"\"\xff\xfe bad utf-8 \xc3\"",
	} {
		f.Add([]byte(seed), 1.5)
	}
	f.Fuzz(func(t *testing.T, doc []byte, num float64) {
		var v any
		if json.Unmarshal(doc, &v) == nil {
			want, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := AppendJSON([]byte("prefix"), v)
			if !ok || !bytes.Equal(got, append([]byte("prefix"), want...)) {
				t.Fatalf("AppendJSON(%s) = %s, %v; want %s", doc, got, ok, want)
			}
		}
		s := string(doc)
		want, _ := json.Marshal(s)
		if got := appendMarshalString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendMarshalString(%q) = %s, want %s", s, got, want)
		}
		want, err := json.Marshal(num)
		got, ok := AppendJSON(nil, num)
		if ok != (err == nil) || ok && !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON(%v) = %s, %v; json.Marshal gives %s, %v", num, got, ok, want, err)
		}
	})
}

// TestAppendJSONNil checks the nil slice and map, which JSON decoding
// does not give but json.Marshal writes as null.
func TestAppendJSONNil(t *testing.T) {
	v := map[string]any{"a": []any(nil), "m": map[string]any(nil), "e": []any{}, "o": map[string]any{}}
	want, _ := json.Marshal(v)
	if got, ok := AppendJSON(nil, v); !ok || !bytes.Equal(got, want) {
		t.Errorf("AppendJSON = %s, %v; want %s", got, ok, want)
	}
}

// TestAppendJSONRefuses checks that a value JSON decoding does not give
// is left to json.Marshal, with dst as it was.
func TestAppendJSONRefuses(t *testing.T) {
	for _, v := range []any{
		map[string]any{"a": 1}, // an int
		[]any{"x", []string{}}, // a typed slice
		map[string]any{"n": math.NaN()},
		map[string]any{"x": map[string]any{"inf": math.Inf(-1)}},
	} {
		got, ok := AppendJSON([]byte("kept"), v)
		if ok || string(got) != "kept" {
			t.Errorf("AppendJSON(%v) = %q, %v; want kept, false", v, got, ok)
		}
	}
}
