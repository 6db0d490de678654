package state

import "github.com/hashicorp/go-memdb"

const (
	tableSyncLog = "synclog"
	indexUser    = "user"
)

func syncLogTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableSyncLog,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {
				Name:    indexID,
				Unique:  true,
				Indexer: &memdb.UintFieldIndex{Field: "Seq"},
			},
			indexProvider: {
				Name:         indexProvider,
				AllowMissing: true,
				Indexer:      &memdb.StringFieldIndex{Field: "Provider"},
			},
			indexUser: {
				Name:         indexUser,
				AllowMissing: true,
				Indexer:      &memdb.StringFieldIndex{Field: "UserID"},
			},
		},
	}
}
