package state

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
)

// SecretHash is a salted hash of a provider secret: HMAC-SHA256 keyed by a
// random salt. Secrets are either generated (32 random bytes) or required
// to be at least 16 characters, so a fast hash is adequate, and it keeps
// authenticating each SCIM request cheap.
type SecretHash struct {
	Salt []byte `json:"salt,omitempty"`
	Sum  []byte `json:"sum,omitempty"`
}

// HashSecret hashes secret with a new random salt.
func HashSecret(secret []byte) SecretHash {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return SecretHash{Salt: salt, Sum: sum(salt, secret)}
}

// IsZero reports whether no secret is set.
func (h SecretHash) IsZero() bool { return len(h.Sum) == 0 }

// Verify reports, in time independent of where they differ, whether secret
// is the hashed secret.
func (h SecretHash) Verify(secret []byte) bool {
	if h.IsZero() {
		return false
	}
	return hmac.Equal(h.Sum, sum(h.Salt, secret))
}

func sum(salt, secret []byte) []byte {
	m := hmac.New(sha256.New, salt)
	m.Write(secret)
	return m.Sum(nil)
}
