package state

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"
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
	tx.TrackChanges()
	if err := tx.Insert(tableUsers, u); err != nil {
		t.Fatal(err)
	}
	s.fsm.lookups.note(tx.Changes()) // as the FSM's commit does: found by userName
	tx.Commit()
}
