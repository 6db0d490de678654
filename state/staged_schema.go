package state

import "github.com/hashicorp/go-memdb"

// tableStaged holds the staged users of providers in rollout (rollout.go):
// a table of its own, so that no query of live users (the users table,
// its counts and lookups' views, deadlines, drift, the admin API) ever
// sees them.
const tableStaged = "staged"

func stagedTableSchema() *memdb.TableSchema {
	index := func(name, field string, unique, lowercase bool) *memdb.IndexSchema {
		return &memdb.IndexSchema{Name: name, Unique: unique, Indexer: &memdb.StringFieldIndex{Field: field, Lowercase: lowercase}}
	}
	return &memdb.TableSchema{
		Name: tableStaged,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:       index(indexID, "ID", true, false),
			indexProvider: index(indexProvider, "Provider", false, false),
			// userNames compare without case, as in the users table.
			indexUserName: index(indexUserName, "UserName", false, true),
		},
	}
}
