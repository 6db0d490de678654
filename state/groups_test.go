package state

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// groupIndexTests run on groupsFixture.
var groupIndexTests = []indexTest{
	{indexID, []any{"g2"}, []string{"g2"}},
	{indexID, []any{"G2"}, nil},
	{indexProvider, []any{"okta"}, []string{"g1", "g2"}},
	{indexProvider, []any{"entra"}, []string{"g3"}},
	{indexProvider, []any{"nope"}, nil},
	// Display names are compared without case, across providers.
	{indexDisplayName, []any{"SALES"}, []string{"g1", "g3"}},
	{indexDisplayName, []any{"engineering"}, []string{"g2"}},
	{indexDisplayName, []any{"sale"}, nil},
}

// groupsFixture is a store with the groups g1 (Sales) and g2
// (Engineering) of provider okta, and g3 (sales) of entra.
func groupsFixture(t *testing.T) *Store {
	t.Helper()
	s := NewMemory(Options{})
	mustApply(t, s, configCmd(create(testOrg("o", "")), create(testProvider("okta", "o")), create(testProvider("entra", "o"))))
	for _, g := range []*Group{
		{ID: "g2", Provider: "okta", DisplayName: "Engineering"},
		{ID: "g1", Provider: "okta", DisplayName: "Sales", ExternalID: "ext-1"},
		{ID: "g3", Provider: "entra", DisplayName: "sales"},
	} {
		mustApply(t, s, groupWrite(&GroupWrite{Provider: g.Provider, Group: g}))
	}
	return s
}

func TestGroupsTable(t *testing.T) {
	s := groupsFixture(t)
	checkIndexes(t, s.fsm.db.Load().Txn(false), tableGroups, func(o any) string { return o.(*Group).ID }, groupIndexTests)

	v := s.View()
	ids := func(gs []*Group) []string { return keysOf(gs, func(g *Group) string { return g.ID }) }
	tests := []struct {
		query string
		got   []*Group
		want  []string
	}{
		{"Groups()", v.Groups(), []string{"g1", "g2", "g3"}},
		{`GroupsOfProvider("okta")`, v.GroupsOfProvider("okta"), []string{"g1", "g2"}},
		{`GroupsOfProvider("nope")`, v.GroupsOfProvider("nope"), nil},
		{`GroupsByDisplayName("Sales")`, v.GroupsByDisplayName("Sales"), []string{"g1", "g3"}},
		{`GroupsByDisplayName("sALES")`, v.GroupsByDisplayName("sALES"), []string{"g1", "g3"}},
		{`GroupsByDisplayName("Eng")`, v.GroupsByDisplayName("Eng"), nil},
	}
	for _, tt := range tests {
		if got := ids(tt.got); !cmp.Equal(got, tt.want) {
			t.Errorf("%s = %q, want %q", tt.query, got, tt.want)
		}
	}
	if g := v.Group("g1"); g == nil || g.DisplayName != "Sales" || g.ExternalID != "ext-1" || !g.Created.Equal(testTime) {
		t.Errorf(`Group("g1") = %+v`, g)
	}
	if g := v.Group("nope"); g != nil {
		t.Errorf(`Group("nope") = %+v, want nil`, g)
	}
}
