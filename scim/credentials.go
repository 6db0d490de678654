package scim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/reconcile-dev/reconcile/state"
	"golang.org/x/sync/semaphore"
)

// credentials checks request credentials against the providers' stored
// secret hashes.
//
// A slow hash (argon2id, for secrets from env or file) costs tens of
// milliseconds to check, so a credential it verified is remembered, per
// provider, as a keyed hash (never the credential itself): the provider's
// next requests with it cost one HMAC. The entry goes when the provider's
// stored hash changes (a new secret), and there are at most maxEntries.
//
// Only a bounded number of KDF runs go at once (kdfSlots, half the CPUs),
// whatever arrives: a flood of wrong credentials, which no cache can
// answer, queues for them, waits at most kdfWait, and leaves the other
// CPUs to everything else.
type credentials struct {
	key [32]byte // random, for the keyed hashes of credentials

	slots *semaphore.Weighted
	wait  time.Duration

	mu       sync.Mutex
	verified map[string]verifiedCredential // by provider
	max      int

	// check verifies a secret against a slow hash: SecretHash.Verify,
	// which tests wrap to count the KDF runs.
	check func(h state.SecretHash, secret []byte) bool
}

// verifiedCredential is a credential a slow hash verified.
type verifiedCredential struct {
	stored []byte   // the stored hash's sum: another one is another secret
	cred   [32]byte // the keyed hash of the credential
}

// errBusy means no KDF run could start within kdfWait.
var errBusy = errors.New("too many credentials are being checked at once")

// newCredentials returns a checker running at most slots KDFs at once,
// each waiting at most wait to start, and remembering at most maxEntries
// verified credentials.
func newCredentials(slots int, wait time.Duration, maxEntries int) *credentials {
	c := &credentials{
		slots: semaphore.NewWeighted(int64(max(1, slots))), wait: wait,
		verified: make(map[string]verifiedCredential), max: maxEntries,
		check: state.SecretHash.Verify,
	}
	if _, err := rand.Read(c.key[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return c
}

// Defaults of the SCIM server's credentials checker.
const (
	kdfWait           = 5 * time.Second
	maxVerifiedCached = 4096
)

func defaultKDFSlots() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// verify reports whether secret is the one h hashes, for the named
// provider. slow says whether it ran a KDF (or waited for one and gave
// up): a failure that did not is given the work of a fast hash by burn. err is errBusy or the context's error when no KDF slot
// freed up in time.
func (c *credentials) verify(ctx context.Context, provider string, h state.SecretHash, secret []byte) (ok, slow bool, err error) {
	if !h.Slow() {
		return h.Verify(secret), false, nil
	}
	tag := c.tag(secret)
	if c.cached(provider, h, tag) {
		return true, false, nil
	}
	if err := c.acquire(ctx); err != nil {
		return false, true, err
	}
	defer c.slots.Release(1)
	// Another request may have verified the same credential while this
	// one waited: a provider's first requests after a start arrive
	// together.
	if c.cached(provider, h, tag) {
		return true, false, nil
	}
	if !c.check(h, secret) {
		return false, true, nil
	}
	c.remember(provider, h, tag)
	return true, true, nil
}

// burn gives a failure that ran no KDF the work of checking a fast hash:
// what a failure against a provider with a generated secret costs, so
// that a 401 tells nothing about which providers exist. It does not run
// the KDF: anyone can send wrong credentials to any provider name, and a
// flood of them must not take the KDF slots that a provider's first
// login after a start needs. (A provider whose secret was chosen does run
// it for every wrong credential; those runs queue in the slots.)
func (c *credentials) burn(secret []byte) {
	burnHash().Verify(secret)
}

// burnHash is a fast hash with a random sum, which no secret gives.
var burnHash = sync.OnceValue(func() state.SecretHash {
	h := state.HashSecret(nil)
	if _, err := rand.Read(h.Sum); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return h
})

func (c *credentials) acquire(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.wait)
	defer cancel()
	if err := c.slots.Acquire(ctx, 1); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return errBusy
		}
		return err
	}
	return nil
}

// tag is the keyed hash of a credential.
func (c *credentials) tag(secret []byte) [32]byte {
	m := hmac.New(sha256.New, c.key[:])
	m.Write(secret)
	var t [32]byte
	m.Sum(t[:0])
	return t
}

// cached reports whether the provider's credential with this tag was
// verified against h; an entry for another hash (the secret changed)
// goes.
func (c *credentials) cached(provider string, h state.SecretHash, tag [32]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.verified[provider]
	if !ok {
		return false
	}
	if !bytes.Equal(e.stored, h.Sum) {
		delete(c.verified, provider)
		return false
	}
	return hmac.Equal(e.cred[:], tag[:])
}

func (c *credentials) remember(provider string, h state.SecretHash, tag [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.verified[provider]; !ok && len(c.verified) >= c.max {
		for p := range c.verified { // any one: there are as many as providers
			delete(c.verified, p)
			break
		}
	}
	c.verified[provider] = verifiedCredential{stored: bytes.Clone(h.Sum), cred: tag}
}

// size is how many verified credentials are remembered.
func (c *credentials) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.verified)
}
