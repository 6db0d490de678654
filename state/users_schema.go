package state

import "github.com/hashicorp/go-memdb"

const (
	tableUsers        = "users"
	indexProvider     = "provider"
	indexOrganization = "organization"
	indexUserName     = "username"
)

func usersTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableUsers,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {
				Name:    indexID,
				Unique:  true,
				Indexer: &memdb.StringFieldIndex{Field: "ID"},
			},
			// Local users have no provider.
			indexProvider: {
				Name:         indexProvider,
				AllowMissing: true,
				Indexer:      &memdb.StringFieldIndex{Field: "Provider"},
			},
			indexOrganization: {
				Name:    indexOrganization,
				Indexer: &memdb.StringFieldIndex{Field: "Organization"},
			},
			// userName is unique per provider and compared without case
			// (RFC 7643 §4.1.1); memdb does not enforce uniqueness on
			// secondary indexes, so writers check it.
			indexUserName: {
				Name:    indexUserName,
				Indexer: &memdb.StringFieldIndex{Field: "UserName", Lowercase: true},
			},
		},
	}
}
