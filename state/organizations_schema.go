package state

import "github.com/hashicorp/go-memdb"

const (
	tableOrganizations = "organizations"
	indexParent        = "parent"
)

func organizationsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableOrganizations,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {
				Name:    indexID,
				Unique:  true,
				Indexer: &memdb.StringFieldIndex{Field: "Name"},
			},
			indexParent: {
				Name:         indexParent,
				AllowMissing: true, // top-level organizations have no parent
				Indexer:      &memdb.StringFieldIndex{Field: "Parent"},
			},
		},
	}
}
