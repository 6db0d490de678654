package state

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-memdb"
)

var testTime = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

func testOrg(name, parent string) *Organization {
	return &Organization{Name: name, DisplayName: "Org " + name, Parent: parent, ColdStoragePeriod: 30 * 24 * time.Hour}
}

func testProvider(name, org string) *Provider {
	return &Provider{
		Name:                name,
		DisplayName:         "Provider " + name,
		Auth:                ProviderAuth{Type: "bearer", SecretSource: SecretSourceGenerated, Secret: HashSecret([]byte("s3cret-s3cret-s3cret"))},
		DeactivationDelay:   15 * time.Minute,
		OrganizationMapping: OrganizationMapping{Method: "fixed", Organization: org},
		RoleMapping:         RoleMapping{Method: "manual"},
		Attributes:          Attributes{Preset: "pingone-directory"},
	}
}

func create(o any) ConfigChange {
	switch o := o.(type) {
	case *Organization:
		return ConfigChange{Action: ActionCreate, Kind: KindOrganization, Name: o.Name, Organization: o}
	case *Provider:
		return ConfigChange{Action: ActionCreate, Kind: KindProvider, Name: o.Name, Provider: o}
	}
	panic("unknown object")
}

func configCmd(changes ...ConfigChange) *Command {
	return &Command{Type: CmdConfigApply, Time: testTime, ConfigApply: &ConfigApply{Revision: "sha256:test", Digest: "sha256:test", Changes: changes}}
}

func mustApply(t *testing.T, s *Store, cmd *Command) Result {
	t.Helper()
	res, err := s.Apply(context.Background(), cmd)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return res
}

// restoredCopy returns a memory store restored from a snapshot of s.
func restoredCopy(t *testing.T, s *Store) *Store {
	t.Helper()
	var snap bytes.Buffer
	if err := writeSnapshot(&snap, s.fsm.db.Load()); err != nil {
		t.Fatal(err)
	}
	restored := NewMemory(Options{})
	if err := restored.fsm.Restore(io.NopCloser(&snap)); err != nil {
		t.Fatal(err)
	}
	return restored
}

// insertUser puts a user straight into memdb, standing in for the SCIM
// commands that create users.
func insertUser(t *testing.T, s *Store, u *User) {
	t.Helper()
	tx := s.fsm.db.Load().Txn(true)
	if err := tx.Insert(tableUsers, u); err != nil {
		t.Fatal(err)
	}
	tx.Commit()
}

func TestIndexes(t *testing.T) {
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
	}
	for table, os := range objs {
		for _, o := range os {
			if err := tx.Insert(table, o); err != nil {
				t.Fatalf("insert into %s: %v", table, err)
			}
		}
	}
	tx.Commit()
	tests := []struct {
		table, index string
		args         []any
		want         int
	}{
		{tableOrganizations, indexID, []any{"a"}, 1},
		{tableOrganizations, indexParent, []any{"a"}, 1},
		{tableProviders, indexID, []any{"p"}, 1},
		{tableUsers, indexID, []any{"u2"}, 1},
		{tableUsers, indexUserName, []any{"alice@x"}, 1},
		{tableUsers, indexDue, []any{int64(42)}, 1},
		{tableGuards, indexID, []any{"p"}, 1},
		{tableGroups, indexID, []any{"g1"}, 1},
		{tableGroups, indexProvider, []any{"p"}, 1},
		{tableGroups, indexDisplayName, []any{"sales"}, 1},
		{tableMemberships, indexID, []any{"g1", "u1"}, 1},
		{tableMemberships, indexGroup, []any{"g1"}, 1},
		{tableMemberships, indexUser, []any{"u1"}, 1},
		{tableMeta, indexID, []any{metaConfig}, 1},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.table+"."+tt.index] = true
		if got := count(s.fsm.db.Load().Txn(false), tt.table, tt.index, tt.args...); got != tt.want {
			t.Errorf("%s.%s %v: %d objects, want %d", tt.table, tt.index, tt.args, got, tt.want)
		}
	}
	for name, table := range dbSchema().Tables {
		for idx := range table.Indexes {
			if !covered[name+"."+idx] {
				t.Errorf("index %s.%s has no test", name, idx)
			}
		}
	}

	// Snapshots carry every table.
	var buf bytes.Buffer
	if err := writeSnapshot(&buf, s.fsm.db.Load()); err != nil {
		t.Fatal(err)
	}
	db, err := readSnapshot(&buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The sync log is not a table, but snapshots hold it as one.
	if len(snapshotTables) != len(dbSchema().Tables)+1 {
		t.Errorf("snapshotTables lists %d tables, schema has %d and the sync log", len(snapshotTables), len(dbSchema().Tables))
	}
	// The users were inserted here without their counts, which a restore
	// adds (TestUserCounts checks them).
	counts := func(o any) bool { m, ok := o.(*meta); return ok && strings.HasPrefix(m.Key, "users.") }
	for table := range objs {
		before := all[any](s.fsm.db.Load().Txn(false), table)
		after := slices.DeleteFunc(all[any](db.Txn(false), table), counts)
		if diff := cmp.Diff(before, after, cmp.AllowUnexported(meta{})); diff != "" {
			t.Errorf("table %s after snapshot round trip (-before +after):\n%s", table, diff)
		}
	}
}

var _ = memdb.NewMemDB
