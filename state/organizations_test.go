package state

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// organizationIndexTests run on organizationsFixture.
var organizationIndexTests = []indexTest{
	{indexID, []any{"eng"}, []string{"eng"}},
	{indexID, []any{"Eng"}, nil}, // names are compared as they are
	{indexParent, []any{"acme"}, []string{"eng", "ops"}},
	{indexParent, []any{"eng"}, []string{"platform"}},
	{indexParent, []any{"sales"}, nil},
	// Top-level organizations have no parent: the index leaves them out.
	{indexParent, []any{""}, nil},
}

// organizationsFixture is a store with the organizations acme (eng and
// ops under it, platform under eng) and sales, applied from config.
func organizationsFixture(t *testing.T) *Store {
	t.Helper()
	s := NewMemory(Options{})
	mustApply(t, s, configCmd(create(testOrg("acme", "")), create(testOrg("eng", "acme")), create(testOrg("ops", "acme")),
		create(testOrg("platform", "eng")), create(testOrg("sales", ""))))
	return s
}

func TestOrganizationsTable(t *testing.T) {
	s := organizationsFixture(t)
	tx := s.fsm.db.Load().Txn(false)
	checkIndexes(t, tx, tableOrganizations, func(o any) string { return o.(*Organization).Name }, organizationIndexTests)

	v := s.View()
	if got := keysOf(v.Organizations(), func(o *Organization) string { return o.Name }); !cmp.Equal(got, []string{"acme", "eng", "ops", "platform", "sales"}) {
		t.Errorf("Organizations() = %q, want all, by name", got)
	}
	if o := v.Organization("platform"); o == nil || o.Parent != "eng" || o.DisplayName != "Org platform" {
		t.Errorf(`Organization("platform") = %+v`, o)
	}
	if o := v.Organization("nope"); o != nil {
		t.Errorf(`Organization("nope") = %+v, want nil`, o)
	}
	for parent, want := range map[string][]string{"acme": {"eng", "ops"}, "platform": nil, "": nil} {
		if got := keysOf(childOrganizationsTxn(tx, parent), func(o *Organization) string { return o.Name }); !cmp.Equal(got, want) {
			t.Errorf("childOrganizationsTxn(%q) = %q, want %q", parent, got, want)
		}
	}

	wtx := s.fsm.db.Load().Txn(true)
	defer wtx.Abort()
	if err := insertOrganizationTxn(wtx, &Organization{DisplayName: "no name"}); err == nil || !strings.HasPrefix(err.Error(), `inserting organization "": `) {
		t.Errorf("inserting an organization without a name: %v, want an error naming it", err)
	}
	renamed := *v.Organization("sales")
	renamed.DisplayName = "Sales"
	if err := insertOrganizationTxn(wtx, &renamed); err != nil {
		t.Fatal(err)
	}
	if got := first[*Organization](wtx, tableOrganizations, indexID, "sales"); got.DisplayName != "Sales" || len(all[*Organization](wtx, tableOrganizations)) != 5 {
		t.Errorf("insertOrganizationTxn of an existing name did not replace it: %+v", got)
	}
}

// keysOf returns the keys of objs, in order.
func keysOf[T any](objs []T, key func(T) string) []string {
	var out []string
	for _, o := range objs {
		out = append(out, key(o))
	}
	return out
}
