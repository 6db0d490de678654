package state

import "github.com/hashicorp/go-memdb"

const tableMeta = "meta"

func metaTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableMeta,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {
				Name:    indexID,
				Unique:  true,
				Indexer: &memdb.StringFieldIndex{Field: "Key"},
			},
		},
	}
}
