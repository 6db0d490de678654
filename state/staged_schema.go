package state

import "github.com/hashicorp/go-memdb"

// tableStaged holds the staged users of providers in rollout (rollout.go):
// a table of its own, so that no query of live users (the users table,
// its counts and lookups' views, deadlines, drift, the admin API) ever
// sees them.
const tableStaged = "staged"

func stagedTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableStaged,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {
				Name:    indexID,
				Unique:  true,
				Indexer: &memdb.StringFieldIndex{Field: "ID"},
			},
			indexProvider: {
				Name:    indexProvider,
				Indexer: &memdb.StringFieldIndex{Field: "Provider"},
			},
			indexUserName: {
				Name:    indexUserName,
				Indexer: &memdb.StringFieldIndex{Field: "UserName", Lowercase: true},
			},
		},
	}
}
