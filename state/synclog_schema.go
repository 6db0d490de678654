package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"
)

const tableSyncLog = "synclog"

func syncLogTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableSyncLog,
		// Only by sequence: the log is read in order and filtered as it
		// goes; every other index would be paid for on every write.
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {
				Name:    indexID,
				Unique:  true,
				Indexer: seqIndexer{},
			},
		},
	}
}

// seqIndexer indexes sync events by Seq written as 16 hex digits, in
// order. memdb's radix tree branches on bytes: with the 8 bytes of a
// binary uint64, the nodes a write copies hold up to 256 edges each (4 KiB
// apiece for an append and again for the trim at the other end of the
// log); with hex digits they hold at most 16.
type seqIndexer struct{}

func (seqIndexer) FromObject(obj any) (bool, []byte, error) {
	e, ok := obj.(*SyncEvent)
	if !ok {
		return false, nil, fmt.Errorf("not a sync event: %T", obj)
	}
	return true, seqKey(e.Seq), nil
}

func (seqIndexer) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("seq: want one argument, got %d", len(args))
	}
	seq, ok := args[0].(uint64)
	if !ok {
		return nil, fmt.Errorf("seq: want a uint64, got %T", args[0])
	}
	return seqKey(seq), nil
}

func seqKey(seq uint64) []byte {
	const digits = "0123456789abcdef"
	var k [16]byte
	for i := 15; i >= 0; i-- {
		k[i] = digits[seq&0xf]
		seq >>= 4
	}
	return k[:]
}
