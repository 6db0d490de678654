package state

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// sameAsMarshal fails t unless encodeCommand gives for cmd what
// json.Marshal gives (both an error, or the same bytes), and the bytes
// decode to cmd.
func sameAsMarshal(t *testing.T, name string, cmd *Command) {
	t.Helper()
	want, wantErr := json.Marshal(cmd)
	got, err := encodeCommand(cmd)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%s: encodeCommand error %v, json.Marshal error %v", name, err, wantErr)
	}
	if err != nil {
		return
	}
	if string(got) != string(want) {
		t.Fatalf("%s: encodeCommand and json.Marshal differ:\n got  %s\n want %s", name, got, want)
	}
	var back Command
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestEncodeCommandMatchesJSON: every command type, every field of its
// payload set, and then a user write with each of its fields left empty
// in turn (the omitted ones), encodes to json.Marshal's bytes. A field
// added to a user write and not to its encoder fails here.
func TestEncodeCommandMatchesJSON(t *testing.T) {
	at := time.Date(2026, 11, 22, 13, 0, 0, 123456789, time.UTC)
	var types []string
	for typ := range handlers {
		types = append(types, typ)
	}
	slices.Sort(types)
	for _, typ := range types {
		cmd := Command{Type: typ, Time: at, NameRule: nameRuleFold}
		if field := commandPayloads[typ]; field != "" {
			fillAll(t, reflect.ValueOf(&cmd).Elem().FieldByName(field), field, at)
		}
		sameAsMarshal(t, typ, &cmd)
	}

	full := func() *Command {
		cmd := &Command{Type: CmdUserWrite, Time: at, NameRule: nameRuleFold}
		fillAll(t, reflect.ValueOf(cmd).Elem().FieldByName("UserWrite"), "UserWrite", at)
		return cmd
	}
	if !userWriteEncodable(full()) {
		t.Fatal("a user write with every field set is left to json.Marshal: the test would test nothing")
	}
	// Each field of the user write, its user and its event emptied in
	// turn.
	for _, path := range [][]string{{}, {"User"}, {"Event"}, {"Event", "Changes"}} {
		v := fieldAt(full(), path)
		for i := range v.NumField() {
			cmd := full()
			f := fieldAt(cmd, path).Field(i)
			f.SetZero()
			sameAsMarshal(t, "UserWrite."+joinPath(path, v.Type().Field(i).Name)+" empty", cmd)
		}
	}
	variants := map[string]func(c *Command){
		"no payload":         func(c *Command) { c.UserWrite = nil },
		"another payload":    func(c *Command) { c.SyncEvent = &SyncEvent{Seq: 1, Time: at} },
		"no user":            func(c *Command) { c.UserWrite.User = nil },
		"no name rule":       func(c *Command) { c.NameRule = 0 },
		"inactive":           func(c *Command) { f := false; c.UserWrite.Active = &f },
		"one provider value": func(c *Command) { c.UserWrite.User.ProviderValues = map[string]string{"title": "x"} },
		"zoned times": func(c *Command) {
			z := at.In(time.FixedZone("", 5*3600+1800))
			c.Time, c.UserWrite.User.Created, c.UserWrite.Event.Time = z, z, z
		},
		"time past 9999":   func(c *Command) { c.UserWrite.User.Modified = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
		"event past 9999":  func(c *Command) { c.UserWrite.Event.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
		"time before 0":    func(c *Command) { c.Time = time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC) },
		"offset of a day":  func(c *Command) { c.Time = at.In(time.FixedZone("", 24*3600)) },
		"SCIM indented":    func(c *Command) { c.UserWrite.User.SCIM = []byte(`{"userName": "ada"}`) },
		"SCIM with HTML":   func(c *Command) { c.UserWrite.User.SCIM = []byte(`{"userName":"a<b>&c"}`) },
		"SCIM with U+2028": func(c *Command) { c.UserWrite.User.SCIM = []byte("{\"userName\":\"a\u2028\"}") },
		"SCIM invalid":     func(c *Command) { c.UserWrite.User.SCIM = []byte(`{"userName":`) },
		"SCIM escapes":     func(c *Command) { c.UserWrite.User.SCIM = []byte(`{"a\"b":"\\\" \u00e9","n":[1,2.5e3,true,null]}`) },
		"strings": func(c *Command) {
			c.UserWrite.User.UserName = "\x00\x1f\b\f\n\r\t\"\\/\x7f é\xff\xfe\u2029 \U0001F600"
			c.UserWrite.Event.Changes = []Change{{Field: "\xc3", New: "<script>"}}
		},
	}
	for name, change := range variants {
		cmd := full()
		change(cmd)
		sameAsMarshal(t, name, cmd)
	}
}

// fieldAt returns the struct at path under cmd's user write.
func fieldAt(cmd *Command, path []string) reflect.Value {
	v := reflect.ValueOf(cmd.UserWrite).Elem()
	for _, name := range path {
		v = v.FieldByName(name)
		if v.Kind() == reflect.Slice {
			v = v.Index(0)
		}
		if v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
	}
	return v
}

func joinPath(path []string, name string) string {
	out := ""
	for _, p := range path {
		out += p + "."
	}
	return out + name
}

// FuzzEncodeCommand: a user write of any strings, resource, numbers and
// flags encodes to json.Marshal's bytes, which decode to it.
func FuzzEncodeCommand(f *testing.F) {
	f.Add("ada", "Ada <&>", []byte(`{"userName":"ada"}`), uint64(3), int64(7), true, "detail\u2028")
	f.Add("\xff", "", []byte(`{"a": 1}`), uint64(0), int64(-1), false, "")
	f.Add("é", "\x00", []byte(`[1,"\u003c"]`), uint64(1<<63), int64(0), true, "\"")
	f.Fuzz(func(t *testing.T, userName, given string, scim []byte, index uint64, due int64, flag bool, detail string) {
		at := time.Unix(0, due).UTC()
		active := flag
		cmd := &Command{Type: CmdUserWrite, Time: at, NameRule: int(due % 3), UserWrite: &UserWrite{
			Provider: given, ExpectIndex: index, Active: &active, LeaveGroups: flag,
			User: &User{
				ID: userName, UserName: userName, GivenName: given, Roles: []string{given, detail},
				Deprovisioned: flag, Due: due, DeactivateAt: at, SCIM: scim,
				ProviderValues: map[string]string{userName: given, detail: userName},
				Created:        at, Modified: at, CreateIndex: index, ModifyIndex: index + 1,
			},
			Event: &SyncEvent{Seq: index, Time: at, Source: given, Detail: detail, Changes: []Change{{Field: userName, Old: detail}}},
		}}
		want, wantErr := json.Marshal(cmd)
		got, err := encodeCommand(cmd)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("encodeCommand error %v, json.Marshal error %v", err, wantErr)
		}
		if err != nil {
			return
		}
		if string(got) != string(want) {
			t.Fatalf("encodeCommand and json.Marshal differ:\n got  %s\n want %s", got, want)
		}
		var a, b Command
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(want, &b); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(b, a); diff != "" {
			t.Fatalf("decoded otherwise (-marshal +encodeCommand):\n%s", diff)
		}
	})
}

// TestEncodeCommandAllocatesOnce: a SCIM create's user write, its sync
// log event listing every field, and a PUT's, changing one, are each
// encoded in one allocation sized beforehand (json.Marshal made nine),
// never grown.
func TestEncodeCommandAllocatesOnce(t *testing.T) {
	at := time.Date(2026, 12, 7, 6, 0, 0, 123456789, time.UTC)
	active := true
	u := benchUser(42)
	u.State, u.Created, u.Modified, u.DeactivateAt = UserActive, at, at, at
	var created []Change
	for _, f := range []string{"email", "firstName", "lastName", "title", "division", "department", "employeeType", "address.city", "address.state", "address.country", "externalId", "userName"} {
		created = append(created, Change{Field: f, New: "Research and Development"})
	}
	updated := benchUser(7) // as PingOne's PUT writes it
	updated.State, updated.Created, updated.Modified, updated.CreateIndex, updated.ModifyIndex = UserActive, at, at, 10, 1009
	for name, w := range map[string]*UserWrite{
		"create": {Provider: "p", User: u, Active: &active, Event: &SyncEvent{Source: SourceSCIM, Action: "user.create", Outcome: OutcomeOK, Provider: "p", RequestID: "z04iRW348q9TJsk2", Changes: created}},
		"update": {Provider: "p", User: updated, Active: &active, ExpectIndex: 1009, Event: &SyncEvent{
			Source: SourceSCIM, Action: "user.update", Outcome: OutcomeOK, Provider: "p", RequestID: "z04iRW348q9TJsk2",
			Changes: []Change{{Field: "title", Old: "Load Generator 7", New: "Load Generator 1007"}},
		}},
	} {
		cmd := &Command{Type: CmdUserWrite, Time: at, NameRule: nameRuleFold, UserWrite: w}
		b, err := encodeCommand(cmd)
		if err != nil {
			t.Fatal(err)
		}
		if est := userWriteSize(w); len(b) > est {
			t.Errorf("a %s encodes to %d bytes, over the %d it was sized for: it was grown", name, len(b), est)
		}
		if raceDetector {
			continue
		}
		if n := testing.AllocsPerRun(20, func() {
			if _, err := encodeCommand(cmd); err != nil {
				t.Fatal(err)
			}
		}); n != 1 {
			t.Errorf("encoding a %s made %v allocations, want 1", name, n)
		}
	}
}
