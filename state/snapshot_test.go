package state

import (
	"bytes"
	"encoding/gob"
	"strings"
	"testing"
)

// TestReadSnapshotErrors checks that a snapshot that cannot be read whole
// is an error, never a partial state.
func TestReadSnapshotErrors(t *testing.T) {
	s := NewMemory(Options{})
	mustApply(t, s, configCmd(create(testOrg("o", "")), create(testProvider("p", "o"))))
	for i := range 3000 { // several batches of objects
		insertUser(t, s, benchUser(i))
	}
	var good bytes.Buffer
	if err := writeSnapshot(&good, s.fsm.db.Load()); err != nil {
		t.Fatal(err)
	}
	if db, err := readSnapshot(bytes.NewReader(good.Bytes()), nil); err != nil || count(db.Txn(false), tableUsers, indexID) != 3000 {
		t.Fatalf("reading a good snapshot: %v", err)
	}

	encode := func(values ...any) []byte {
		var b bytes.Buffer
		enc := gob.NewEncoder(&b)
		for _, v := range values {
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
		}
		return b.Bytes()
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", good.Bytes()[:good.Len()*2/3], "reading snapshot"},
		{"another format", encode(snapshotHeader{Format: 99}), "format 99 is not supported"},
		{"unknown table", encode(snapshotHeader{Format: snapshotFormat}, tableHeader{Name: "nope", Count: 1}), `unknown table "nope"`},
		{"an object memdb refuses", encode(snapshotHeader{Format: snapshotFormat}, tableHeader{Name: tableUsers, Count: 2},
			User{ID: "u1", UserName: "a"}, User{UserName: "no id"}), "restoring users"},
		{"fewer objects than announced", encode(snapshotHeader{Format: snapshotFormat}, tableHeader{Name: tableUsers, Count: 5},
			User{ID: "u1", UserName: "a"}), "reading snapshot of users"},
	}
	for _, tt := range tests {
		db, err := readSnapshot(bytes.NewReader(tt.data), nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) || db != nil {
			t.Errorf("%s: got %v, %v; want an error containing %q and no db", tt.name, db != nil, err, tt.want)
		}
	}
}
