package state

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// sameAsUnmarshal fails t unless decodeCommand gives for data what
// json.Unmarshal gives: both an error, or the same command. fast says
// whether readUserWrite must take data itself.
func sameAsUnmarshal(t *testing.T, name string, data []byte, fast bool) {
	t.Helper()
	var want, got Command
	wantErr := json.Unmarshal(data, &want)
	err := decodeCommand(data, &got)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%s: decodeCommand error %v, json.Unmarshal error %v\n%s", name, err, wantErr, data)
	}
	if diff := cmp.Diff(want, got); err == nil && diff != "" {
		t.Fatalf("%s: decoded otherwise (-json.Unmarshal +decodeCommand):\n%s\n%s", name, diff, data)
	}
	if _, ok := readUserWrite(data); ok != fast {
		t.Fatalf("%s: read without reflection %v, want %v\n%s", name, ok, fast, data)
	}
}

// TestDecodeCommand: a user write as encodeCommand writes it, with every
// field set and then each left empty in turn, is read without reflection
// and decodes as json.Unmarshal decodes it; what the reader leaves to
// json.Unmarshal (other commands, whitespace, escapes, a key twice or
// unknown, null, numbers and strings it does not take, invalid JSON)
// still decodes as json.Unmarshal decodes it, or fails as it fails. A
// field added to a user write and not to its reader fails here.
func TestDecodeCommand(t *testing.T) {
	at := time.Date(2026, 11, 22, 13, 0, 0, 123456789, time.UTC)
	full := func() *Command {
		cmd := &Command{Type: CmdUserWrite, Time: at, NameRule: nameRuleFold}
		fillAll(t, reflect.ValueOf(cmd).Elem().FieldByName("UserWrite"), "UserWrite", at)
		return cmd
	}
	encode := func(cmd *Command) []byte {
		t.Helper()
		b, err := encodeCommand(cmd)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sameAsUnmarshal(t, "every field", encode(full()), true)
	for _, path := range [][]string{{}, {"User"}, {"Event"}, {"Event", "Changes"}} {
		v := fieldAt(full(), path)
		for i := range v.NumField() {
			cmd := full()
			fieldAt(cmd, path).Field(i).SetZero()
			sameAsUnmarshal(t, "UserWrite."+joinPath(path, v.Type().Field(i).Name)+" empty", encode(cmd), true)
		}
	}
	for name, change := range map[string]func(c *Command){
		"no user":     func(c *Command) { c.UserWrite.User = nil },
		"no payload":  func(c *Command) { c.UserWrite = nil },
		"inactive":    func(c *Command) { f := false; c.UserWrite.Active = &f },
		"zoned times": func(c *Command) { c.Time = at.In(time.FixedZone("", 5*3600+1800)) },
		"SCIM with spaces": func(c *Command) {
			c.UserWrite.User.SCIM = []byte(`{"userName": "ada", "n": [1, 2.5e3, true, null, {}]}`)
		},
		"SCIM escapes": func(c *Command) { c.UserWrite.User.SCIM = []byte(`{"a\"b":"\\\" \u00e9"}`) },
		"empty roles and values": func(c *Command) {
			c.UserWrite.User.Roles, c.UserWrite.User.ProviderValues = []string{}, map[string]string{}
		},
	} {
		cmd := full()
		change(cmd)
		sameAsUnmarshal(t, name, encode(cmd), true)
	}
	// What the reader takes itself of the changes below; it leaves the
	// others to json.Unmarshal.
	readsItself := map[string]bool{"keys in other order": true, "a provider value twice": true, "index largest": true,
		"due negative": true, "due minus zero": true, "escapes": true, "SCIM a string": true, "only the type": true, "user null": true}
	good := string(encode(full()))
	cmd := full()
	cmd.UserWrite.User.UserName = "ada <&> \x00 é\xff"
	sameAsUnmarshal(t, "escaped strings", encode(cmd), true)
	sameAsUnmarshal(t, "another command", encode(&Command{Type: CmdSyncEvent, Time: at, SyncEvent: &SyncEvent{Seq: 1, Time: at}}), false)
	for name, data := range map[string]string{
		"whitespace":               strings.Replace(good, `"id":`, `"id": `, 1),
		"trailing space":           good + " ",
		"trailing bytes":           good + "{}",
		"truncated":                good[:len(good)-1],
		"user twice":               strings.Replace(good, `,"event":`, `,"user":{"title":"x"},"event":`, 1),
		"changes twice":            strings.Replace(good, `,"changes":`, `,"changes":[{"field":"f"}],"changes":`, 1),
		"a string twice":           strings.Replace(good, `,"state":`, `,"organization":"x","state":`, 1),
		"a provider value twice":   strings.Replace(good, `"providerValues":{`, `"providerValues":{"a":"1","a":"2",`, 1),
		"an unknown key":           strings.Replace(good, `"id":`, `"zz":1,"id":`, 1),
		"a key in other case":      strings.Replace(good, `"userName":`, `"USERNAME":`, 1),
		"keys in other order":      `{"type":"user.write","userWrite":{"user":{"userName":"ada","id":"u1","scim":{"a":1}},"provider":"p"},"time":"2026-11-22T13:00:00Z"}`,
		"null event":               strings.Replace(good, `"event":{`, `"event":null,"x":{`, 1),
		"null roles":               replaceValue(good, "roles", "null"),
		"roles of numbers":         replaceValue(good, "roles", "[1]"),
		"index leading zero":       replaceValue(good, "createIndex", "01"),
		"index negative":           replaceValue(good, "createIndex", "-1"),
		"index a fraction":         replaceValue(good, "createIndex", "1.5"),
		"index an exponent":        replaceValue(good, "createIndex", "1e3"),
		"index too large":          replaceValue(good, "createIndex", "18446744073709551616"),
		"index largest":            replaceValue(good, "createIndex", "18446744073709551615"),
		"due negative":             replaceValue(good, "due", "-7"),
		"due minus zero":           replaceValue(good, "due", "-0"),
		"a bool misspelt":          replaceValue(good, "scimDeleted", "tru"),
		"a time not RFC 3339":      replaceValue(good, "created", `"2026-11-22 13:00:00Z"`),
		"a time not a string":      replaceValue(good, "created", `0`),
		"SCIM invalid":             replaceValue(good, "scim", `{"a":}`),
		"SCIM a string":            replaceValue(good, "scim", `"x"`),
		"SCIM deep":                replaceValue(good, "scim", strings.Repeat("[", 100)+strings.Repeat("]", 100)),
		"a surrogate pair escaped": replaceValue(good, "title", `"\ud83d\ude00"`),
		"a lone surrogate":         replaceValue(good, "title", `"\udc00"`),
		"escapes":                  replaceValue(good, "title", `"\"\\\/\b\f\n\r\t\u00e9\u00E9\u0000"`),
		"an unknown escape":        replaceValue(good, "title", `"\x41"`),
		"a short escape":           replaceValue(good, "title", `"\u00e"`),
		"invalid UTF-8":            replaceValue(good, "title", "\"\xff\""),
		"an escaped key":           strings.Replace(good, `"title":`, `"titl\u0065":`, 1),
		"control character":        strings.Replace(good, `"id":"`, "\"id\":\"\x01", 1),
		"empty":                    ``,
		"not an object":            `{"type":"user.write"]`,
		"only the type":            `{"type":"user.write"}`,
		"user null":                `{"type":"user.write","time":"2026-11-22T13:00:00Z","userWrite":{"user":null}}`,
	} {
		sameAsUnmarshal(t, name, []byte(data), readsItself[name])
	}
}

// replaceValue replaces the value of key (a number, a literal, a string
// without escapes, or an array or object without brackets in its
// strings) in data.
func replaceValue(data, key, value string) string {
	i := strings.Index(data, `"`+key+`":`)
	if i < 0 {
		panic("no " + key)
	}
	start := i + len(key) + 3
	var end int
	switch data[start] {
	case '"':
		end = start + 1 + strings.IndexByte(data[start+1:], '"') + 1
	case '[', '{':
		depth := 0
		for end = start; end == start || depth > 0; end++ {
			switch data[end] {
			case '[', '{':
				depth++
			case ']', '}':
				depth--
			}
		}
	default:
		end = start + strings.IndexAny(data[start:], ",}")
	}
	return data[:start] + value + data[end:]
}

// FuzzDecodeCommand: whatever the bytes, decodeCommand decodes them as
// json.Unmarshal does, or fails where it fails.
func FuzzDecodeCommand(f *testing.F) {
	at := time.Date(2026, 11, 22, 13, 0, 0, 5, time.UTC)
	active := true
	for _, cmd := range []*Command{
		{Type: CmdUserWrite, Time: at, NameRule: 1, UserWrite: &UserWrite{Provider: "okta", Active: &active, ExpectIndex: 4,
			User: &User{ID: "u1", Provider: "okta", UserName: "ada", Roles: []string{"a", "b"}, ProviderValues: map[string]string{"k": "v"},
				SCIM: PackResource([]byte(`{"userName":"ada","emails":[{"value":"a@b","primary":true}]}`)), Created: at, Modified: at, CreateIndex: 3, ModifyIndex: 4},
			Event: &SyncEvent{Seq: 9, Time: at, Source: "scim", Action: "user.update", Changes: []Change{{Field: "title", Old: "a", New: "b"}}}}},
		{Type: CmdUserWrite, Time: at, UserWrite: &UserWrite{User: &User{ID: "u2", DeactivateAt: at, Due: -4, SCIMDeleted: true}}},
	} {
		b, err := encodeCommand(cmd)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"type":"user.write","userWrite":{"user":null,"active":false}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, fast := readUserWrite(data)
		var want, got Command
		wantErr := json.Unmarshal(data, &want)
		err := decodeCommand(data, &got)
		if fast && wantErr != nil {
			t.Fatalf("read without reflection what json.Unmarshal refuses (%v): %q", wantErr, data)
		}
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("decodeCommand error %v, json.Unmarshal error %v: %q", err, wantErr, data)
		}
		if diff := cmp.Diff(want, got); err == nil && diff != "" {
			t.Fatalf("decoded otherwise (-json.Unmarshal +decodeCommand):\n%s\n%q", diff, data)
		}
	})
}
