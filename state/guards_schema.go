package state

import "github.com/hashicorp/go-memdb"

const tableGuards = "guards"

func guardsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableGuards,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {
				Name:    indexID,
				Unique:  true,
				Indexer: &memdb.StringFieldIndex{Field: "Provider"},
			},
		},
	}
}
