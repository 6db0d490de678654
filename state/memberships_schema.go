package state

import "github.com/hashicorp/go-memdb"

const (
	tableMemberships = "memberships"
	indexGroup       = "group"
	indexUser        = "user"
)

// Memberships are a table of their own, not a list in each group, so that
// adding one member to a group of 50,000 writes one row.
func membershipsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableMemberships,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {
				Name:   indexID,
				Unique: true,
				Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
					&memdb.StringFieldIndex{Field: "GroupID"},
					&memdb.StringFieldIndex{Field: "UserID"},
				}},
			},
			indexGroup: {
				Name:    indexGroup,
				Indexer: &memdb.StringFieldIndex{Field: "GroupID"},
			},
			indexUser: {
				Name:    indexUser,
				Indexer: &memdb.StringFieldIndex{Field: "UserID"},
			},
		},
	}
}
