package state

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestConfigApply(t *testing.T) {
	s := NewMemory(Options{})
	res := mustApply(t, s, configCmd(create(testOrg("acme", "")), create(testOrg("eng", "acme")), create(testProvider("pingone", "eng"))))
	v := s.View()
	if got := v.Organization("eng"); got == nil || got.CreateIndex != res.Index || got.ModifyIndex != res.Index || got.Parent != "acme" {
		t.Fatalf("organization eng = %+v, want created at index %d", got, res.Index)
	}
	if got := v.Config(); got == nil || got.Revision != "sha256:test" || got.Index != res.Index || !got.AppliedAt.Equal(testTime) {
		t.Errorf("Config() = %+v", got)
	}
	log := v.SyncLog()
	if len(log) != 1 || log[0].Detail != "3 added, 0 changed, 0 destroyed" || log[0].Source != SourceConfig {
		t.Errorf("sync log = %+v", log)
	}

	// Update with the index the plan saw.
	upd := testOrg("eng", "acme")
	upd.DisplayName = "Engineering"
	res2 := mustApply(t, s, configCmd(ConfigChange{Action: ActionUpdate, Kind: KindOrganization, Name: "eng", ExpectIndex: res.Index, Organization: upd}))
	got := s.View().Organization("eng")
	if got.DisplayName != "Engineering" || got.CreateIndex != res.Index || got.ModifyIndex != res2.Index {
		t.Errorf("after update: %+v", got)
	}

	// A plan made before that update is stale, and changes nothing.
	stale := testOrg("eng", "acme")
	stale.DisplayName = "Stale"
	_, err := s.Apply(context.Background(), configCmd(
		create(testOrg("new", "")),
		ConfigChange{Action: ActionUpdate, Kind: KindOrganization, Name: "eng", ExpectIndex: res.Index, Organization: stale}))
	var se *StaleError
	if !errors.As(err, &se) || se.Address != "organization.eng" {
		t.Fatalf("stale apply: got %v, want StaleError for organization.eng", err)
	}
	if s.View().Organization("new") != nil || s.View().Organization("eng").DisplayName != "Engineering" {
		t.Error("a refused command changed the state")
	}
}

func TestConfigApplyRefusals(t *testing.T) {
	s := NewMemory(Options{})
	protected := testOrg("legal", "")
	protected.Protect = true
	res := mustApply(t, s, configCmd(
		create(testOrg("acme", "")), create(testOrg("eng", "acme")), create(testOrg("sales", "")), create(protected),
		create(testProvider("okta", "sales"))))
	insertUser(t, s, &User{ID: "u1", Provider: "okta", UserName: "a@x", Organization: "sales", State: UserActive})
	insertUser(t, s, &User{ID: "u2", Provider: "okta", UserName: "b@x", Organization: "sales", State: UserActive})
	// Purged users count for neither; deactivated ones only for their
	// organization.
	insertUser(t, s, &User{ID: "u3", Provider: "okta", UserName: "c@x", Organization: "sales", State: UserPurged})
	insertUser(t, s, &User{ID: "u4", Provider: "okta", UserName: "d@x", Organization: "legal", State: UserDeactivated})

	del := func(kind, name string) ConfigChange {
		return ConfigChange{Action: ActionDelete, Kind: kind, Name: name, ExpectIndex: res.Index}
	}
	_, err := s.Apply(context.Background(), configCmd(
		del(KindOrganization, "acme"), del(KindOrganization, "sales"), del(KindOrganization, "legal"), del(KindProvider, "okta"),
		create(testOrg("orphan", "missing"))))
	var re *RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("got %v, want RefusedError", err)
	}
	want := []Refusal{
		{Address: "organization.legal", Message: "cannot be destroyed: it is protected (protect: true in the live state); apply it with protect: false first"},
		{Address: "organization.acme", Message: `cannot be destroyed: organization "eng" is still under it`},
		{Address: "organization.sales", Message: "cannot be destroyed: it still has 2 users (purged users do not count); move them to another organization first (reconcile users move)"},
		{Address: "organization.legal", Message: "cannot be destroyed: it still has 1 user (purged users do not count); move them to another organization first (reconcile users move)"},
		{Address: "provider.okta", Message: "cannot be destroyed: it still manages 2 active or blocked users; deprovision them in the identity provider and let them be deactivated (or deactivate them: reconcile users deactivate) first"},
		{Address: "organization.orphan", Message: `parent organization "missing" does not exist`},
	}
	if diff := cmp.Diff(want, re.Refusals); diff != "" {
		t.Errorf("refusals (-want +got):\n%s", diff)
	}
	if err := s.Check(configCmd(del(KindOrganization, "legal"))); !errors.As(err, &re) {
		t.Errorf("Check: got %v, want the same refusal as Apply", err)
	}
	if n := len(s.View().Organizations()); n != 4 {
		t.Errorf("refused command changed the state: %d organizations", n)
	}

	// A provider still mapping to an organization keeps it alive.
	_, err = s.Apply(context.Background(), configCmd(del(KindOrganization, "sales")))
	if !errors.As(err, &re) || len(re.Refusals) != 2 {
		t.Errorf("got %v, want users and provider refusals", err)
	}
}

func TestDestroyedProviderDetachesItsUsers(t *testing.T) {
	s := NewMemory(Options{})
	res := mustApply(t, s, configCmd(create(testOrg("o", "")), create(testProvider("okta", "o"))))
	mustApply(t, s, userWrite("okta", &User{ID: "u1", Provider: "okta", UserName: "u1", Organization: "o", SCIM: []byte(`{"userName":"u1"}`)}, 0))
	mustApply(t, s, &Command{Type: CmdUserAdmin, Time: testTime, UserAdmin: &UserAdmin{Action: AdminDeactivate, UserID: "u1"}})
	mustApply(t, s, groupWrite(&GroupWrite{Provider: "okta", Group: &Group{ID: "g", Provider: "okta", DisplayName: "G"}, Add: []Member{{UserID: "u1"}}}))
	del := mustApply(t, s, configCmd(ConfigChange{Action: ActionDelete, Kind: KindProvider, Name: "okta", ExpectIndex: res.Index}))
	if u := s.View().User("u1"); u.Provider != "" || u.SCIM != nil || u.State != UserDeactivated || u.ModifyIndex != del.Index {
		t.Errorf("after the provider went: %+v", u)
	}
	if s.View().Group("g") != nil || s.View().GroupsOfUser("u1") != nil {
		t.Error("the provider's group or its memberships survived it")
	}
	log := s.View().SyncLog()
	want := []*SyncEvent{
		{Time: testTime, Source: SourceConfig, Action: "user.detach", Outcome: OutcomeOK, Provider: "okta", UserID: "u1", UserName: "u1",
			Detail: "provider okta was destroyed: the user is now a local user", Changes: []Change{{Field: "provider", Old: "okta"}}},
		{Time: testTime, Source: SourceConfig, Action: CmdConfigApply, Outcome: OutcomeOK, Revision: "sha256:test",
			Detail: "0 added, 0 changed, 1 destroyed", Changes: []Change{{Field: "provider.okta", New: ActionDelete}}},
	}
	if diff := cmp.Diff(want, log[len(log)-2:], cmpopts.IgnoreFields(SyncEvent{}, "Seq")); diff != "" {
		t.Errorf("sync events (-want +got):\n%s", diff)
	}
}

// TestConfigApplyErrors: a config apply that cannot be applied says which
// object and why, and changes nothing.
func TestConfigApplyErrors(t *testing.T) {
	noSecret := testProvider("okta", "eng")
	noSecret.Auth.Secret = SecretHash{}
	loop := testOrg("acme", "eng")
	elsewhere := testProvider("okta", "nope")
	renamed := testOrg("other", "")
	tests := []struct {
		name    string
		edit    bool
		change  func(expect uint64) ConfigChange
		wantErr string
	}{
		{"unknown kind", false, func(e uint64) ConfigChange {
			return ConfigChange{Action: ActionUpdate, Kind: "group", Name: "g", ExpectIndex: e}
		},
			`group.g: unknown kind "group"`},
		{"create over an object", false, func(uint64) ConfigChange { return create(testOrg("eng", "acme")) },
			"organization.eng was created since the plan was made; nothing was applied, plan again"},
		{"update of nothing", false, func(e uint64) ConfigChange { return updateTo(KindOrganization, "nope", e, testOrg("nope", "")) },
			"organization.nope was destroyed since the plan was made; nothing was applied, plan again"},
		{"delete of nothing", false, func(e uint64) ConfigChange {
			return ConfigChange{Action: ActionDelete, Kind: KindProvider, Name: "nope", ExpectIndex: e}
		},
			"provider.nope was destroyed since the plan was made; nothing was applied, plan again"},
		{"update of another version", false, func(e uint64) ConfigChange { return updateTo(KindOrganization, "eng", e-1, testOrg("eng", "")) },
			"organization.eng was changed (at index 1) since the plan was made; nothing was applied, plan again"},
		{"edit that creates", true, func(uint64) ConfigChange { return create(testOrg("new", "")) },
			"organization.new: an edit outside of config can only update"},
		{"provider without a secret hash", false, func(e uint64) ConfigChange { return updateTo(KindProvider, "okta", e, noSecret) },
			"provider.okta: no secret hash"},
		{"update without an organization", false, func(e uint64) ConfigChange { return updateTo(KindOrganization, "eng", e, nil) },
			"organization.eng: malformed update change"},
		{"update with another organization's name", false, func(e uint64) ConfigChange { return updateTo(KindOrganization, "eng", e, renamed) },
			"organization.eng: malformed update change"},
		{"update without a provider", false, func(e uint64) ConfigChange { return updateTo(KindProvider, "okta", e, nil) },
			"provider.okta: malformed update change"},
		{"organization its own ancestor", false, func(e uint64) ConfigChange { return updateTo(KindOrganization, "acme", e, loop) },
			`refused: organization.acme: organization "acme" is its own ancestor`},
		{"provider mapping to no organization", false, func(e uint64) ConfigChange { return updateTo(KindProvider, "okta", e, elsewhere) },
			`refused: provider.okta: maps users to organization "nope", which does not exist`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewMemory(Options{})
			res := mustApply(t, s, configCmd(create(testOrg("acme", "")), create(testOrg("eng", "acme")), create(testProvider("okta", "eng"))))
			before := dump(s)
			cmd := configCmd(tt.change(res.Index))
			cmd.ConfigApply.Edit = tt.edit
			_, err := s.Apply(context.Background(), cmd)
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("got error %v, want %q", err, tt.wantErr)
			}
			if diff := cmp.Diff(before, dump(s), cmp.AllowUnexported(meta{})); diff != "" {
				t.Errorf("the state changed (-before +after):\n%s", diff)
			}
		})
	}
}

// updateTo is a config change updating an object to o, an *Organization or
// a *Provider.
func updateTo(kind, name string, expect uint64, o any) ConfigChange {
	ch := ConfigChange{Action: ActionUpdate, Kind: kind, Name: name, ExpectIndex: expect}
	switch o := o.(type) {
	case *Organization:
		ch.Organization = o
	case *Provider:
		ch.Provider = o
	}
	return ch
}

// TestConfigEdit: an admin's edit outside of config changes the objects
// but neither what config applied last (their Applied) nor the applied
// revision, and is logged as an edit.
func TestConfigEdit(t *testing.T) {
	s := NewMemory(Options{})
	res := mustApply(t, s, configCmd(create(testOrg("eng", "")), create(testProvider("okta", "eng"))))
	org, prov := *s.View().Organization("eng"), *s.View().Provider("okta")
	org.DisplayName, prov.DeactivationDelay = "Edited", time.Hour
	org.Applied, prov.Applied = nil, nil // what the edit says of them is not kept
	cmd := configCmd(updateTo(KindOrganization, "eng", res.Index, &org), updateTo(KindProvider, "okta", res.Index, &prov))
	cmd.ConfigApply.Revision = "sha256:ignored"
	cmd.ConfigApply.Edit = true
	edit := mustApply(t, s, cmd)

	v := s.View()
	wantOrg, wantProv := org, prov
	wantOrg.Applied, wantProv.Applied = v.Organization("eng").Applied, v.Provider("okta").Applied
	wantOrg.ModifyIndex, wantProv.ModifyIndex = edit.Index, edit.Index
	if diff := cmp.Diff(&wantOrg, v.Organization("eng")); diff != "" || wantOrg.Applied == nil || wantOrg.Applied.DisplayName != "Org eng" {
		t.Errorf("organization (-want +got):\n%s\napplied: %+v", diff, wantOrg.Applied)
	}
	if diff := cmp.Diff(&wantProv, v.Provider("okta")); diff != "" || wantProv.Applied == nil || wantProv.Applied.DeactivationDelay != 15*time.Minute {
		t.Errorf("provider (-want +got):\n%s\napplied: %+v", diff, wantProv.Applied)
	}
	if c := v.Config(); c.Revision != "sha256:test" || c.Index != res.Index {
		t.Errorf("config status = %+v, want the revision applied before the edit", c)
	}
	log := v.SyncLog()
	want := &SyncEvent{Time: testTime, Source: SourceAdmin, Action: "config.edit", Outcome: OutcomeOK,
		Detail:  "changed outside of config: drift until the config says the same, or a reconcile corrects it",
		Changes: []Change{{Field: "organization.eng", New: "edited"}, {Field: "provider.okta", New: "edited"}}}
	if diff := cmp.Diff(want, log[len(log)-1], cmpopts.IgnoreFields(SyncEvent{}, "Seq")); diff != "" {
		t.Errorf("sync event (-want +got):\n%s", diff)
	}
}

// TestConfigApplyCorrectsDrift: an update that reverts an edit says so in
// the sync log.
func TestConfigApplyCorrectsDrift(t *testing.T) {
	s := NewMemory(Options{})
	res := mustApply(t, s, configCmd(create(testOrg("eng", ""))))
	ch := updateTo(KindOrganization, "eng", res.Index, testOrg("eng", ""))
	ch.Corrects = true
	mustApply(t, s, configCmd(ch, create(testOrg("new", ""))))
	log := s.View().SyncLog()
	want := &SyncEvent{Time: testTime, Source: SourceConfig, Action: CmdConfigApply, Outcome: OutcomeOK, Revision: "sha256:test",
		Detail:  "1 added, 1 changed, 0 destroyed",
		Changes: []Change{{Field: "organization.eng", New: "update (drift corrected)"}, {Field: "organization.new", New: ActionCreate}}}
	if diff := cmp.Diff(want, log[len(log)-1], cmpopts.IgnoreFields(SyncEvent{}, "Seq")); diff != "" {
		t.Errorf("sync event (-want +got):\n%s", diff)
	}
}
