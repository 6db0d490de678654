package state

import (
	"crypto/rand"
	"encoding/hex"
)

// NewID returns a new id for a user or a group: a random (version 4)
// UUID, the same id SCIM and the admin API show.
func NewID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
