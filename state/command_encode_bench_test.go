package state

import (
	"encoding/json"
	"testing"
	"time"
)

// BenchmarkEncodeCommand encodes a SCIM create as Store.Apply logs it,
// with json.Marshal (what Apply used before) and with encodeCommand, in
// one run.
func BenchmarkEncodeCommand(b *testing.B) {
	at := time.Date(2026, 12, 7, 6, 0, 0, 123456789, time.UTC)
	active := true
	u := benchUser(42)
	u.State, u.Created, u.Modified = UserActive, at, at
	cmd := &Command{Type: CmdUserWrite, Time: at, NameRule: nameRuleFold, UserWrite: &UserWrite{
		Provider: "p", User: u, Active: &active,
		Event: &SyncEvent{Source: SourceSCIM, Action: "user.create", Outcome: OutcomeOK, Provider: "p", RequestID: "req-42"},
	}}
	for _, enc := range []struct {
		name string
		fn   func(*Command) ([]byte, error)
	}{
		{"json.Marshal", func(c *Command) ([]byte, error) { return json.Marshal(c) }},
		{"encodeCommand", encodeCommand},
	} {
		b.Run(enc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := enc.fn(cmd); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeCommand decodes a SCIM create as a follower's FSM does,
// with json.Unmarshal (what it used before) and with decodeCommand, in
// one run.
func BenchmarkDecodeCommand(b *testing.B) {
	at := time.Date(2026, 12, 7, 6, 0, 0, 123456789, time.UTC)
	active := true
	u := benchUser(42)
	u.State, u.Created, u.Modified = UserActive, at, at
	data, err := encodeCommand(&Command{Type: CmdUserWrite, Time: at, NameRule: nameRuleFold, UserWrite: &UserWrite{
		Provider: "p", User: u, Active: &active,
		Event: &SyncEvent{Source: SourceSCIM, Action: "user.create", Outcome: OutcomeOK, Provider: "p", RequestID: "req-42",
			Changes: []Change{{Field: "userName", New: u.UserName}, {Field: "email", New: u.Email}, {Field: "organization", New: u.Organization}}},
	}})
	if err != nil {
		b.Fatal(err)
	}
	if _, ok := readUserWrite(data); !ok {
		b.Fatal("decodeCommand leaves the command to json.Unmarshal: the benchmark would measure it twice")
	}
	for _, dec := range []struct {
		name string
		fn   func([]byte, *Command) error
	}{
		{"json.Unmarshal", func(d []byte, c *Command) error { return json.Unmarshal(d, c) }},
		{"decodeCommand", decodeCommand},
	} {
		b.Run(dec.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				var c Command
				if err := dec.fn(data, &c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
