package protocol

import (
	"encoding/json"
	"testing"
)

// BenchmarkDecodeBody decodes a provider's POST /Users body (the first
// of fastCases) with json.Unmarshal, what DecodeObject used alone before,
// and with decodeFast, in one run.
func BenchmarkDecodeBody(b *testing.B) {
	body := []byte(fastCases[0].body)
	b.Run("json.Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decodeFast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := decodeFast(body); !ok {
				b.Fatal("not decoded")
			}
		}
	})
}
