package state

import "github.com/hashicorp/go-memdb"

// first returns the first object of an index lookup, or the zero T.
func first[T any](tx *memdb.Txn, table, index string, args ...any) T {
	var zero T
	raw, err := tx.First(table, index, args...)
	if err != nil {
		panic(err) // only a wrong table or index name gets here
	}
	if raw == nil {
		return zero
	}
	return raw.(T)
}

// list returns every object of an index lookup, in index order.
func list[T any](tx *memdb.Txn, table, index string, args ...any) []T {
	it, err := tx.Get(table, index, args...)
	if err != nil {
		panic(err) // only a wrong table or index name gets here
	}
	var out []T
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(T))
	}
	return out
}

// all returns a whole table in primary-key order.
func all[T any](tx *memdb.Txn, table string) []T {
	return list[T](tx, table, indexID)
}

// count counts the objects of an index lookup.
func count(tx *memdb.Txn, table, index string, args ...any) int {
	it, err := tx.Get(table, index, args...)
	if err != nil {
		panic(err)
	}
	n := 0
	for raw := it.Next(); raw != nil; raw = it.Next() {
		n++
	}
	return n
}

// View is a consistent, read-only view of the store at one moment.
type View struct {
	tx      *memdb.Txn
	lookups *lookups
	// staged is the provider whose staged users the view sees too
	// (WithStaged), "" for none.
	staged string
}
