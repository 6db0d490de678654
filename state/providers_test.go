package state

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// providerIndexTests run on the providers okta and entra.
var providerIndexTests = []indexTest{
	{indexID, []any{"okta"}, []string{"okta"}},
	{indexID, []any{"OKTA"}, nil}, // names are compared as they are
	{indexID, []any{"nope"}, nil},
}

func TestProvidersTable(t *testing.T) {
	s := NewMemory(Options{})
	res := mustApply(t, s, configCmd(create(testOrg("o", "")), create(testProvider("okta", "o")), create(testProvider("entra", "o"))))
	tx := s.fsm.db.Load().Txn(false)
	checkIndexes(t, tx, tableProviders, func(o any) string { return o.(*Provider).Name }, providerIndexTests)

	v := s.View()
	if got := keysOf(v.Providers(), func(p *Provider) string { return p.Name }); !cmp.Equal(got, []string{"entra", "okta"}) {
		t.Errorf("Providers() = %q, want all, by name", got)
	}
	p := v.Provider("okta")
	if p == nil || p.CreateIndex != res.Index || p.Applied == nil || p.Applied.Name != "okta" || p.Applied.Applied != nil {
		t.Errorf(`Provider("okta") = %+v, want it as config applied it`, p)
	}
	if p := v.Provider("nope"); p != nil {
		t.Errorf(`Provider("nope") = %+v, want nil`, p)
	}

	wtx := s.fsm.db.Load().Txn(true)
	defer wtx.Abort()
	if err := insertProviderTxn(wtx, &Provider{DisplayName: "no name"}); err == nil || !strings.HasPrefix(err.Error(), `inserting provider "": `) {
		t.Errorf("inserting a provider without a name: %v, want an error naming it", err)
	}
}

func TestOrganizationMappingOrganizations(t *testing.T) {
	tests := []struct {
		name string
		m    OrganizationMapping
		want []string
	}{
		{"fixed", OrganizationMapping{Method: "fixed", Organization: "eng"}, []string{"eng"}},
		{"attribute", OrganizationMapping{Method: "attribute", Organization: "eng", Attribute: "department"}, []string{"eng"}},
		{"group rules, fallback first, each once", OrganizationMapping{Method: "group", Organization: "eng", Rules: []GroupOrganization{
			{Group: "Sales", Organization: "sales"}, {Group: "Eng", Organization: "eng"}, {Group: "EMEA", Organization: "sales"}, {Group: "Ops", Organization: "ops"},
		}}, []string{"eng", "sales", "ops"}},
	}
	for _, tt := range tests {
		if got := tt.m.Organizations(); !cmp.Equal(got, tt.want) {
			t.Errorf("%s: Organizations() = %q, want %q", tt.name, got, tt.want)
		}
	}
}
