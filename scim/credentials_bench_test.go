package scim

import (
	"context"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

// BenchmarkVerifySecret compares, in one run, what checking a provider's
// credential costs: uncached against its argon2id hash (what each request
// would cost without the cache, and what a wrong credential costs),
// cached, and against the fast hash of a generated secret.
//
//	go test ./scim -run '^$' -bench BenchmarkVerifySecret -benchtime 2s
func BenchmarkVerifySecret(b *testing.B) {
	ctx := context.Background()
	secret := []byte(chosenSecret)
	slow := state.HashChosenSecret(secret)
	b.Run("argon2id/uncached", func(b *testing.B) {
		c := newCredentials(1, time.Minute, 10)
		for b.Loop() {
			c.mu.Lock()
			clear(c.verified)
			c.mu.Unlock()
			if ok, _, _ := c.verify(ctx, "p", slow, secret); !ok {
				b.Fatal("does not verify")
			}
		}
	})
	b.Run("argon2id/cached", func(b *testing.B) {
		c := newCredentials(1, time.Minute, 10)
		for b.Loop() {
			if ok, _, _ := c.verify(ctx, "p", slow, secret); !ok {
				b.Fatal("does not verify")
			}
		}
	})
	b.Run("hmac", func(b *testing.B) {
		c := newCredentials(1, time.Minute, 10)
		fast := state.HashSecret(secret)
		for b.Loop() {
			if ok, _, _ := c.verify(ctx, "p", fast, secret); !ok {
				b.Fatal("does not verify")
			}
		}
	})
}
