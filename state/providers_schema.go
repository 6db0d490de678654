package state

import "github.com/hashicorp/go-memdb"

const tableProviders = "providers"

func providersTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableProviders,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {
				Name:    indexID,
				Unique:  true,
				Indexer: &memdb.StringFieldIndex{Field: "Name"},
			},
		},
	}
}
