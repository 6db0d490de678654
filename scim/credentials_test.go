package scim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

const chosenSecret = "chosen-by-a-person-1234"

// countKDF makes c count its KDF runs.
func countKDF(c *credentials) *atomic.Int64 {
	var n atomic.Int64
	check := c.check
	c.check = func(h state.SecretHash, secret []byte) bool {
		n.Add(1)
		return check(h, secret)
	}
	return &n
}

// TestCredentialsCache checks that a credential a slow hash verified is
// verified again without the KDF, that a wrong one never is, and that a
// new secret for the provider drops what was verified against the old.
func TestCredentialsCache(t *testing.T) {
	ctx := context.Background()
	c := newCredentials(1, time.Minute, 10)
	runs := countKDF(c)
	h := state.HashChosenSecret([]byte(chosenSecret))

	step := func(name string, h state.SecretHash, secret string, wantOK bool, wantRuns int64) {
		t.Helper()
		ok, _, err := c.verify(ctx, "p", h, []byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		if ok != wantOK || runs.Load() != wantRuns {
			t.Errorf("%s: ok %v after %d KDF runs, want %v after %d", name, ok, runs.Load(), wantOK, wantRuns)
		}
	}
	step("first", h, chosenSecret, true, 1)
	step("cached", h, chosenSecret, true, 1)
	step("cached again", h, chosenSecret, true, 1)
	step("wrong", h, "chosen-by-a-person-1235", false, 2)
	step("wrong again", h, "chosen-by-a-person-1235", false, 3)
	step("still cached", h, chosenSecret, true, 3)

	// The cache keeps a keyed hash of the credential, not the credential.
	for p, e := range c.verified {
		if bytes.Contains(e.cred[:], []byte(chosenSecret)) || bytes.Contains(e.stored, []byte(chosenSecret)) {
			t.Errorf("the cache entry of %s holds the secret", p)
		}
	}

	// The provider's secret changes: the old one no longer passes, from
	// the cache or otherwise, and its entry goes.
	h2 := state.HashChosenSecret([]byte("another-chosen-secret-5678"))
	step("old secret, new hash", h2, chosenSecret, false, 4)
	if n := c.size(); n != 0 {
		t.Errorf("%d entries after the secret changed, want 0", n)
	}
	step("new secret", h2, "another-chosen-secret-5678", true, 5)
	step("new secret cached", h2, "another-chosen-secret-5678", true, 5)
	// The same secret stored again (another salt) is another hash too.
	step("rehashed", state.HashChosenSecret([]byte("another-chosen-secret-5678")), "another-chosen-secret-5678", true, 6)

	// Fast hashes are checked as they are: no KDF, nothing cached.
	fast := state.HashSecret([]byte("generated-0123456789"))
	ok, slow, err := c.verify(ctx, "q", fast, []byte("generated-0123456789"))
	if !ok || slow || err != nil || runs.Load() != 6 || c.size() != 1 {
		t.Errorf("fast hash: ok %v slow %v err %v, %d KDF runs, %d entries", ok, slow, err, runs.Load(), c.size())
	}
}

// TestCredentialsBounded checks that the cache holds at most its maximum
// of entries.
func TestCredentialsBounded(t *testing.T) {
	c := newCredentials(1, time.Minute, 3)
	c.check = func(state.SecretHash, []byte) bool { return true } // every credential verifies
	h := state.SecretHash{KDF: state.KDFArgon2id, Sum: []byte("sum")}
	for i := range 10 {
		if ok, _, err := c.verify(context.Background(), fmt.Sprintf("p%d", i), h, []byte("x")); !ok || err != nil {
			t.Fatalf("verify: %v %v", ok, err)
		}
		if n := c.size(); n > 3 {
			t.Fatalf("%d entries after %d providers, want at most 3", n, i+1)
		}
	}
}

// TestCredentialsKDFSlots checks that no more KDFs run at once than there
// are slots, however many wrong credentials arrive: the others wait, and
// give up (errBusy) when no slot frees up in time, or when their request
// ends.
func TestCredentialsKDFSlots(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const slots, requests = 2, 8
		c := newCredentials(slots, time.Second, 10)
		var inflight, most atomic.Int64
		release := make(chan struct{})
		c.check = func(state.SecretHash, []byte) bool {
			n := inflight.Add(1)
			defer inflight.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			if n <= slots {
				<-release // hold the slot until the others gave up
			}
			return false
		}
		h := state.SecretHash{KDF: state.KDFArgon2id, Sum: []byte("sum")}
		var mu sync.Mutex
		errs := map[string]int{}
		var wg sync.WaitGroup
		for i := range requests {
			wg.Go(func() {
				ok, _, err := c.verify(context.Background(), "p", h, fmt.Appendf(nil, "wrong-%d", i))
				if ok {
					t.Error("a wrong credential verified")
				}
				mu.Lock()
				errs[fmt.Sprint(err)]++
				mu.Unlock()
			})
		}
		synctest.Wait() // two hold the slots, the others wait for one
		time.Sleep(2 * time.Second)
		synctest.Wait() // the others gave up
		close(release)
		wg.Wait()
		if most.Load() != slots {
			t.Errorf("%d KDFs ran at once, want %d", most.Load(), slots)
		}
		if errs[errBusy.Error()] != requests-slots {
			t.Errorf("results %v, want %d %q", errs, requests-slots, errBusy)
		}

		// A request that ends while waiting stops waiting.
		blocked := make(chan struct{})
		c.check = func(state.SecretHash, []byte) bool { <-blocked; return false }
		for range slots {
			wg.Go(func() { c.verify(context.Background(), "p", h, []byte("x")) })
		}
		synctest.Wait()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() {
			_, _, err := c.verify(ctx, "p", h, []byte("y"))
			done <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("canceled while waiting: %v, want context.Canceled", err)
		}
		close(blocked)
		wg.Wait()
	})
}

// TestBurnTakesNoKDFSlot: wrong credentials for a provider that does not
// exist (or has a generated secret) cost a fast hash, not a KDF slot, so
// a flood of them cannot hold up a provider's first login.
func TestBurnTakesNoKDFSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCredentials(1, time.Second, 10)
		blocked := make(chan struct{})
		c.check = func(state.SecretHash, []byte) bool { <-blocked; return false }
		h := state.SecretHash{KDF: state.KDFArgon2id, Sum: []byte("sum")}
		go c.verify(context.Background(), "p", h, []byte("x")) // holds the only slot
		synctest.Wait()
		done := make(chan struct{})
		go func() {
			c.burn([]byte("wrong"))
			close(done)
		}()
		synctest.Wait()
		select {
		case <-done:
		default:
			t.Error("burn waited for a KDF slot")
		}
		close(blocked)
	})
}
