package state

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-memdb"
)

// indexTest is a lookup by an index and the keys of what it finds, in
// index order.
type indexTest struct {
	index string
	args  []any
	want  []string
}

// indexTests are the index lookups of each table's test, which
// TestEveryIndexTested checks against the schema. The tables with a file
// of their own test them there (organizations_test.go, ...); the others
// in TestIndexes.
var indexTests = map[string][]indexTest{
	tableOrganizations: organizationIndexTests,
	tableProviders:     providerIndexTests,
	tableGroups:        groupIndexTests,
	tableMemberships:   membershipIndexTests,
	tableUsers:         userIndexTests,
	tableMeta:          metaIndexTests,
	tableGuards:        guardIndexTests,
	tableStaged:        stagedIndexTests,
}

// TestEveryIndexTested: a table-driven test exercises every index of
// every table.
func TestEveryIndexTested(t *testing.T) {
	for name, table := range dbSchema().Tables {
		tested := map[string]bool{}
		for _, tt := range indexTests[name] {
			tested[tt.index] = true
		}
		for idx := range table.Indexes {
			if !tested[idx] {
				t.Errorf("index %s.%s has no test in indexTests", name, idx)
			}
		}
	}
}

// checkIndexes makes each lookup of tests in a table of tx and compares
// the keys of what it finds.
func checkIndexes(t *testing.T, tx *memdb.Txn, table string, key func(any) string, tests []indexTest) {
	t.Helper()
	for _, tt := range tests {
		var got []string
		for _, o := range list[any](tx, table, tt.index, tt.args...) {
			got = append(got, key(o))
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s.%s %q (-want +got):\n%s", table, tt.index, tt.args, diff)
		}
	}
}

// everyTable is a store with objects in every table, put straight into
// memdb.
func everyTable(t *testing.T) (*Store, map[string][]any) {
	t.Helper()
	s := NewMemory(Options{})
	tx := s.fsm.db.Load().Txn(true)
	objs := map[string][]any{
		tableOrganizations: {testOrg("a", ""), testOrg("b", "a")},
		tableProviders:     {testProvider("p", "a")},
		tableUsers: {
			&User{ID: "u1", Provider: "p", UserName: "Alice@X", Organization: "a", Due: 42},
			&User{ID: "u2", UserName: "bob@x", Organization: "b"},
		},
		tableGroups:      {&Group{ID: "g1", Provider: "p", DisplayName: "Sales"}},
		tableMemberships: {&Membership{GroupID: "g1", UserID: "u1"}},
		tableMeta:        {&meta{Key: metaConfig, Config: &ConfigStatus{Revision: "r"}}},
		tableGuards:      {&Guard{Provider: "p", Tripped: true}},
		tableStaged: {
			&StagedUser{User: User{ID: "s2", Provider: "p", UserName: "Carol@X", Organization: "a"}},
			&StagedUser{User: User{ID: "s1", Provider: "q", UserName: "dan@x", Organization: "a"}},
		},
	}
	for table, os := range objs {
		for _, o := range os {
			if err := tx.Insert(table, o); err != nil {
				t.Fatalf("insert into %s: %v", table, err)
			}
		}
	}
	tx.Commit()
	return s, objs
}

var (
	userIndexTests = []indexTest{
		{indexID, []any{"u2"}, []string{"u2"}},
		{indexDue, []any{int64(42)}, []string{"u1"}},
	}
	metaIndexTests   = []indexTest{{indexID, []any{metaConfig}, []string{metaConfig}}}
	guardIndexTests  = []indexTest{{indexID, []any{"p"}, []string{"p"}}}
	stagedIndexTests = []indexTest{
		{indexID, []any{"s1"}, []string{"s1"}},
		{indexProvider, []any{"p"}, []string{"s2"}},
		{indexUserName, []any{"carol@x"}, []string{"s2"}},
	}
)

// TestIndexes checks the indexes of the tables without a test file of
// their own.
func TestIndexes(t *testing.T) {
	s, _ := everyTable(t)
	tx := s.fsm.db.Load().Txn(false)
	checkIndexes(t, tx, tableUsers, func(o any) string { return o.(*User).ID }, userIndexTests)
	checkIndexes(t, tx, tableMeta, func(o any) string { return o.(*meta).Key }, metaIndexTests)
	checkIndexes(t, tx, tableGuards, func(o any) string { return o.(*Guard).Provider }, guardIndexTests)
	checkIndexes(t, tx, tableStaged, func(o any) string { return o.(*StagedUser).ID }, stagedIndexTests)
}
