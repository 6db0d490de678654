package state

import "github.com/hashicorp/go-memdb"

const (
	tableGroups      = "groups"
	indexProvider    = "provider" // users have none: see usersTableSchema
	indexDisplayName = "displayname"
)

func groupsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableGroups,
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
			indexDisplayName: {
				Name:    indexDisplayName,
				Indexer: &memdb.StringFieldIndex{Field: "DisplayName", Lowercase: true},
			},
		},
	}
}
