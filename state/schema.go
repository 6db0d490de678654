package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"
)

// tableSchemas are the tables of the store, each declared in its
// *_schema.go file.
var tableSchemas = []func() *memdb.TableSchema{
	organizationsTableSchema,
	providersTableSchema,
	usersTableSchema,
	groupsTableSchema,
	membershipsTableSchema,
	metaTableSchema,
	guardsTableSchema,
	stagedTableSchema,
}

// dbSchema assembles the tables; it panics on a duplicate table name, a
// programming error.
func dbSchema() *memdb.DBSchema {
	db := &memdb.DBSchema{Tables: make(map[string]*memdb.TableSchema)}
	for _, fn := range tableSchemas {
		t := fn()
		if _, dup := db.Tables[t.Name]; dup {
			panic(fmt.Sprintf("state: duplicate table %q", t.Name))
		}
		db.Tables[t.Name] = t
	}
	return db
}

func newDB() *memdb.MemDB {
	db, err := memdb.NewMemDB(dbSchema())
	if err != nil {
		panic(fmt.Sprintf("state: invalid schema: %v", err))
	}
	return db
}

// indexID is the primary index of every table.
const indexID = "id"
