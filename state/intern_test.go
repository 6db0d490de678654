package state

import (
	"testing"
	"unsafe"
)

// TestInternUser checks that stored users share the strings many of them
// hold, and an email that is the userName, whichever copies the writers
// (or the log's decoding) gave them.
func TestInternUser(t *testing.T) {
	s := NewMemory(Options{})
	mustApply(t, s, configCmd(create(testOrg("o", "")), create(testProvider("p", "o"))))
	for _, name := range []string{"a@x.example", "b@x.example"} {
		u := benchUser(0)
		u.ID, u.UserName, u.Email, u.ExternalID = "id-"+name, name, string([]byte(name)), "ext-"+name
		u.Title, u.City = string([]byte("Load Generator")), string([]byte("Minneapolis"))
		mustApply(t, s, &Command{Type: CmdUserWrite, UserWrite: &UserWrite{Provider: "p", User: u}})
	}
	same := func(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }
	v := s.View()
	a, b := v.User("id-a@x.example"), v.User("id-b@x.example")
	if a == nil || b == nil {
		t.Fatal("users not stored")
	}
	if !same(a.Title, b.Title) || !same(a.City, b.City) {
		t.Error("two users' title and city are separate copies")
	}
	if !same(a.Email, a.UserName) || a.Email != "a@x.example" {
		t.Errorf("email %q and userName %q are separate copies", a.Email, a.UserName)
	}
}
