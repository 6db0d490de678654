package state

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const chosen = "chosen-by-a-person-1234"

// oldHashJSON is a secret hash as stored before argon2id: HMAC-SHA256 of
// chosen keyed by the salt 00 01 ... 0f (computed outside Go).
const oldHashJSON = `{"salt":"AAECAwQFBgcICQoLDA0ODw==","sum":"cPCJxYUjhmlDZDUOjRZ7omaUqLmGo9zZTe6BNUuo9xM="}`

// TestHashChosenSecret checks the stored form of a secret from env or
// file: argon2id with its parameters beside it.
func TestHashChosenSecret(t *testing.T) {
	h := HashChosenSecret([]byte(chosen))
	want := SecretHash{KDF: "argon2id", Time: 3, Memory: 19 * 1024, Threads: 1}
	got := h
	got.Salt, got.Sum = nil, nil
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parameters (-want +got):\n%s", diff)
	}
	if len(h.Salt) != 16 || len(h.Sum) != 32 {
		t.Errorf("salt of %d bytes and sum of %d, want 16 and 32", len(h.Salt), len(h.Sum))
	}
	if !h.Slow() {
		t.Error("an argon2id hash is not Slow")
	}
	data, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), `{"kdf":"argon2id","time":3,"memoryKiB":19456,"threads":1,"salt":"`) {
		t.Errorf("stored as %s", data)
	}
	var back SecretHash
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Verify([]byte(chosen)) {
		t.Error("the secret does not verify")
	}
	for _, wrong := range []string{"", "chosen-by-a-person-123", "chosen-by-a-person-12345", "Chosen-by-a-person-1234"} {
		if back.Verify([]byte(wrong)) {
			t.Errorf("%q verifies", wrong)
		}
	}
	if again := HashChosenSecret([]byte(chosen)); bytes.Equal(again.Salt, h.Salt) || bytes.Equal(again.Sum, h.Sum) {
		t.Error("two hashes of one secret share their salt or sum")
	}
}

// TestOldSecretHashes checks that hashes stored before argon2id, in log
// entries (JSON) and in snapshots (gob), keep verifying, as fast hashes.
func TestOldSecretHashes(t *testing.T) {
	var h SecretHash
	if err := json.Unmarshal([]byte(oldHashJSON), &h); err != nil {
		t.Fatal(err)
	}
	if h.Slow() || !h.Verify([]byte(chosen)) || h.Verify([]byte(chosen+"x")) {
		t.Errorf("old hash from JSON: slow %v, verifies the secret %v, a wrong one %v", h.Slow(), h.Verify([]byte(chosen)), h.Verify([]byte(chosen+"x")))
	}

	// A config apply logged before argon2id, replayed.
	store := NewMemory(Options{})
	cmd := `{"type":"config.apply","time":"2025-01-01T00:00:00Z","configApply":{"revision":"r1","changes":[` +
		`{"action":"create","kind":"organization","name":"o","organization":{"name":"o","displayName":"O"}},` +
		`{"action":"create","kind":"provider","name":"p","provider":{"name":"p","displayName":"P",` +
		`"auth":{"type":"bearer","secretSource":"env:P_SECRET","secret":` + oldHashJSON + `},` +
		`"organizationMapping":{"method":"fixed","organization":"o"},"roleMapping":{"method":"manual"},"attributes":{"preset":"okta"}}}]}}`
	var c Command
	if err := json.Unmarshal([]byte(cmd), &c); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Apply(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
	if p := store.View().Provider("p"); p == nil || p.Auth.Secret.Slow() || !p.Auth.Secret.Verify([]byte(chosen)) {
		t.Errorf("the replayed provider's old hash does not verify: %+v", p)
	}

	// A provider in a snapshot written before argon2id: gob matches fields
	// by name, and the old hash has only these.
	type oldHash struct{ Salt, Sum []byte }
	type oldAuth struct {
		Type, SecretSource string
		Secret             oldHash
	}
	type oldProvider struct {
		Name string
		Auth oldAuth
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(oldProvider{Name: "p", Auth: oldAuth{Type: "bearer", SecretSource: "env:P_SECRET", Secret: oldHash{Salt: h.Salt, Sum: h.Sum}}}); err != nil {
		t.Fatal(err)
	}
	var p Provider
	if err := gob.NewDecoder(&buf).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.Auth.Secret.Slow() || !p.Auth.Secret.Verify([]byte(chosen)) {
		t.Errorf("the old hash from a snapshot does not verify: %+v", p.Auth.Secret)
	}
}

// TestSecretHashBounds checks that hashes Verify cannot check, or that
// would cost too much, verify nothing.
func TestSecretHashBounds(t *testing.T) {
	good := HashChosenSecret([]byte(chosen))
	for _, tt := range []struct {
		name string
		edit func(h *SecretHash)
	}{
		{"an unknown KDF", func(h *SecretHash) { h.KDF = "bcrypt" }},
		{"no passes", func(h *SecretHash) { h.Time = 0 }},
		{"too many passes", func(h *SecretHash) { h.Time = 1000 }},
		{"too much memory", func(h *SecretHash) { h.Memory = 4 << 20 }},
		{"no lanes", func(h *SecretHash) { h.Threads = 0 }},
		{"a short sum", func(h *SecretHash) { h.Sum = h.Sum[:8] }},
		{"no sum", func(h *SecretHash) { h.Sum = nil }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := good
			tt.edit(&h)
			if h.Verify([]byte(chosen)) {
				t.Error("verifies")
			}
		})
	}
}
