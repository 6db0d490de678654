package state

import (
	"bytes"
	"testing"
)

// TestSeqKeyOrder checks that sync log keys sort as their sequence
// numbers do, across digit boundaries: the log is read in key order.
func TestSeqKeyOrder(t *testing.T) {
	seqs := []uint64{0, 1, 9, 10, 15, 16, 255, 256, 4095, 4096, 1<<32 - 1, 1 << 32, 1<<64 - 1}
	for i := 1; i < len(seqs); i++ {
		if a, b := seqKey(seqs[i-1]), seqKey(seqs[i]); bytes.Compare(a, b) >= 0 {
			t.Errorf("seqKey(%d) = %s does not sort before seqKey(%d) = %s", seqs[i-1], a, seqs[i], b)
		}
	}
}
