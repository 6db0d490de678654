package state

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"

	"golang.org/x/crypto/argon2"
)

// SecretHash is a salted hash of a provider secret, of one of two kinds:
//
//   - KDF "" is HMAC-SHA256 keyed by a random salt: fast, for generated
//     secrets (32 random bytes, which no one can guess however fast the
//     hash), and what every secret was stored as before argon2id.
//   - KDF "argon2id" (KDFArgon2id) is argon2id with the parameters stored
//     beside it, for secrets read from env or file (secretFrom), which a
//     person may have chosen: each guess at one from a stolen data dir or
//     backup costs tens of milliseconds and Memory KiB.
//
// Old hashes keep verifying: the kind and parameters travel with each
// hash, in the log and in snapshots.
type SecretHash struct {
	KDF string `json:"kdf,omitempty"`
	// Argon2id's parameters: passes, memory in KiB and lanes.
	Time    uint32 `json:"time,omitempty"`
	Memory  uint32 `json:"memoryKiB,omitempty"`
	Threads uint8  `json:"threads,omitempty"`

	Salt []byte `json:"salt,omitempty"`
	Sum  []byte `json:"sum,omitempty"`
}

// KDFArgon2id marks an argon2id hash.
const KDFArgon2id = "argon2id"

// Argon2id parameters of new hashes: 3 passes over 19 MiB, one lane
// (OWASP's minimum is 2 passes over 19 MiB), about 30 ms on a 2020s
// server core. Verification takes them from each hash, so they can be
// raised without breaking stored ones.
const (
	argon2Time    = 3
	argon2Memory  = 19 * 1024
	argon2Threads = 1
)

// Bounds on the parameters Verify accepts, so that a damaged hash cannot
// make it take minutes or gigabytes.
const (
	maxArgon2Time   = 64
	maxArgon2Memory = 1 << 20 // 1 GiB
)

// HashSecret hashes a generated secret with a new random salt: HMAC-SHA256,
// fast, since a generated secret has 256 bits of entropy.
func HashSecret(secret []byte) SecretHash {
	salt := randomSalt()
	return SecretHash{Salt: salt, Sum: sum(salt, secret)}
}

// HashChosenSecret hashes a secret that a person may have chosen (read
// from env or file) with argon2id and a new random salt: slow, so that a
// stolen hash is costly to brute-force.
func HashChosenSecret(secret []byte) SecretHash {
	h := SecretHash{KDF: KDFArgon2id, Time: argon2Time, Memory: argon2Memory, Threads: argon2Threads, Salt: randomSalt()}
	h.Sum = argon2.IDKey(secret, h.Salt, h.Time, h.Memory, h.Threads, 32)
	return h
}

func randomSalt() []byte {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return salt
}

// IsZero reports whether no secret is set.
func (h SecretHash) IsZero() bool { return len(h.Sum) == 0 }

// Slow reports whether verifying the hash runs a KDF (argon2id): callers
// that verify often cache what it verified (and bound how many run at
// once).
func (h SecretHash) Slow() bool { return h.KDF != "" }

// Verify reports, in time independent of where they differ, whether secret
// is the hashed secret. A hash of an unknown kind, or with parameters out
// of bounds, verifies nothing.
func (h SecretHash) Verify(secret []byte) bool {
	if h.IsZero() {
		return false
	}
	switch h.KDF {
	case "":
		return hmac.Equal(h.Sum, sum(h.Salt, secret))
	case KDFArgon2id:
		if h.Time < 1 || h.Time > maxArgon2Time || h.Threads < 1 || h.Memory < 8*uint32(h.Threads) || h.Memory > maxArgon2Memory ||
			len(h.Sum) < 16 || len(h.Sum) > 64 {
			return false
		}
		got := argon2.IDKey(secret, h.Salt, h.Time, h.Memory, h.Threads, uint32(len(h.Sum)))
		return subtle.ConstantTimeCompare(h.Sum, got) == 1
	}
	return false
}

func sum(salt, secret []byte) []byte {
	m := hmac.New(sha256.New, salt)
	m.Write(secret)
	return m.Sum(nil)
}
