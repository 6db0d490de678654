package state

import "github.com/hashicorp/go-memdb"

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
				Indexer: &memdb.UintFieldIndex{Field: "Seq"},
			},
		},
	}
}
