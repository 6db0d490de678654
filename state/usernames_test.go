package state

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

// writeUser writes a new user of provider p named name.
func writeUser(s *Store, p, id, name string) error {
	_, err := s.Apply(context.Background(), &Command{Type: CmdUserWrite, Time: testTime, UserWrite: &UserWrite{
		Provider: p, User: &User{ID: id, Provider: p, UserName: name, Organization: "o"},
	}})
	return err
}

func twoProviders(t *testing.T) *Store {
	t.Helper()
	s := NewMemory(Options{})
	mustApply(t, s, configCmd(create(testOrg("o", "")), create(testProvider("a", "o")), create(testProvider("b", "o"))))
	return s
}

// TestKelvinSignTakesNoName checks that a userName with the Kelvin sign
// (U+212A) for K, which lowercases to k, does not take kelvin@acme.com
// from the provider it belongs to, nor from a local user.
func TestKelvinSignTakesNoName(t *testing.T) {
	s := twoProviders(t)
	if err := writeUser(s, "b", "squatter", "\u212Aelvin@acme.com"); err != nil {
		t.Fatal(err)
	}
	if err := writeUser(s, "a", "kelvin", "kelvin@acme.com"); err != nil {
		t.Fatalf("kelvin@acme.com after the Kelvin sign's: %v", err)
	}
	var conflict *ConflictError
	if err := writeUser(s, "a", "again", "KELVIN@acme.com"); !errors.As(err, &conflict) || conflict.ID != "kelvin" {
		t.Errorf("KELVIN@acme.com after kelvin@acme.com: %v, want a conflict with kelvin", err)
	}
	if _, err := s.Apply(context.Background(), &Command{Type: CmdUserAdmin, UserAdmin: &UserAdmin{Action: AdminCreate, UserID: "local",
		Organization: "o", User: &User{UserName: "Kelvin@Acme.com"}}}); !errors.As(err, &conflict) || conflict.ID != "kelvin" {
		t.Errorf("a local Kelvin@Acme.com: %v, want a conflict with kelvin", err)
	}
	if _, err := s.Apply(context.Background(), &Command{Type: CmdUserAdmin, UserAdmin: &UserAdmin{Action: AdminUpdate, UserID: "kelvin",
		User: &User{UserName: "\u212Aelvin@acme.com"}}}); !errors.As(err, &conflict) || conflict.ID != "squatter" {
		t.Errorf("renaming kelvin to the Kelvin sign's name: %v, want a conflict with squatter", err)
	}
	v := s.View()
	for name, want := range map[string]string{"kelvin@acme.com": "kelvin", "KELVIN@ACME.COM": "kelvin", "\u212Aelvin@ACME.com": "squatter"} {
		if got := v.UsersByUserName(name); len(got) != 1 || got[0].ID != want {
			t.Errorf("UsersByUserName(%q) = %v, want %s alone", name, got, want)
		}
	}
}

// TestUserNameLookAlikes checks which userNames are the same name:
// case is ignored, look-alikes are other names.
func TestUserNameLookAlikes(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		same bool
	}{
		{"alice@acme.com", "Alice@ACME.com", true},
		{"évelyne@acme.fr", "ÉVELYNE@acme.fr", true},
		{"Ǆemal", "ǆemal", true},
		{"\u212Aelvin", "kelvin", false}, // Kelvin sign
		{"\u2126mega", "ωmega", false},   // Ohm sign
		{"аlice", "alice", false},        // Cyrillic а
		{"ａlice", "alice", false},        // fullwidth ａ
		{"straße", "strasse", false},
		{"STRAẞE", "straße", false}, // capital sharp s
		{"İlker", "ilker", false},   // Turkish capital dotted İ
		{"ılker", "ilker", false},   // Turkish dotless ı
		{"ILKER", "ılker", false},
		{"e\u0301velyne", "évelyne", false}, // NFD, NFC (new names must be NFC)
	} {
		s := twoProviders(t)
		if err := writeUser(s, "a", "first", tt.a); err != nil {
			t.Fatal(err)
		}
		err := writeUser(s, "b", "second", tt.b)
		var conflict *ConflictError
		if got := errors.As(err, &conflict); got != tt.same {
			t.Errorf("%q then %q: %v, want the same name %v", tt.a, tt.b, err, tt.same)
		}
		found := false
		for _, u := range s.View().UsersByUserName(tt.b) {
			found = found || u.ID == "first"
		}
		if found != tt.same {
			t.Errorf("UsersByUserName(%q) finds %q: %v, want %v", tt.b, tt.a, found, tt.same)
		}
	}
}

// TestOldCommandsKeepTheirNameRule checks that a command logged before
// userNames were compared by names.Fold is replayed as it was applied:
// what it refused stays refused, while the same command logged now is
// applied.
func TestOldCommandsKeepTheirNameRule(t *testing.T) {
	s := NewMemory(Options{})
	encode := func(cmd *Command) []byte {
		b, err := json.Marshal(cmd)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	write := func(p, id, name string, rule int) *Command {
		return &Command{Type: CmdUserWrite, Time: testTime, NameRule: rule, UserWrite: &UserWrite{
			Provider: p, User: &User{ID: id, Provider: p, UserName: name, Organization: "o"}}}
	}
	logged := []*Command{
		configCmd(create(testOrg("o", "")), create(testProvider("a", "o")), create(testProvider("b", "o"))),
		write("b", "squatter", "\u212Aelvin@acme.com", nameRuleLower),
		write("a", "old", "kelvin@acme.com", nameRuleLower), // refused when it was logged
		write("a", "new", "kelvin@acme.com", nameRuleFold),
	}
	if b := encode(logged[2]); containsKey(b, "nameRule") {
		t.Fatalf("an old command encodes a nameRule: %s", b)
	}
	var conflict *ConflictError
	for i, cmd := range logged {
		res := s.fsm.apply(uint64(i+1), encode(cmd))
		switch i {
		case 2:
			if !errors.As(res.err, &conflict) {
				t.Errorf("the old command: %v, want the conflict it had", res.err)
			}
		default:
			if res.err != nil {
				t.Errorf("command %d: %v", i, res.err)
			}
		}
	}
	v := s.View()
	if v.User("old") != nil || v.User("new") == nil {
		t.Errorf("after the replay: old %v, new %v; want only new", v.User("old"), v.User("new"))
	}
}

func containsKey(doc []byte, key string) bool {
	var m map[string]json.RawMessage
	json.Unmarshal(doc, &m)
	_, ok := m[key]
	return ok
}
