package state

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestHandOverRoundTrip checks what forFSM relies on: for the commands
// handed to the FSM rather than decoded, decoding their encoding gives
// them back, field for field. Every exported field is filled, so a field
// that encoding drops (json:"-", a custom marshaller, an unexported field)
// fails here.
func TestHandOverRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 22, 13, 0, 0, 123456789, time.UTC)
	for _, typ := range []string{CmdUserWrite, CmdGroupWrite} {
		t.Run(typ, func(t *testing.T) {
			cmd := &Command{Type: typ, Time: at}
			switch typ {
			case CmdUserWrite:
				cmd.UserWrite = new(UserWrite)
				fillAll(t, reflect.ValueOf(cmd.UserWrite).Elem(), "userWrite", at)
			case CmdGroupWrite:
				cmd.GroupWrite = new(GroupWrite)
				fillAll(t, reflect.ValueOf(cmd.GroupWrite).Elem(), "groupWrite", at)
			}
			data := mustMarshal(t, cmd)
			if !handedOver(cmd, data) {
				t.Fatalf("%s is not handed over", typ)
			}
			got, err := forFSM(cmd, data)
			if err != nil {
				t.Fatal(err)
			}
			var want Command
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("handed over command differs from the decoded one (-decoded +handed over):\n%s", diff)
			}
			// The FSM may change the payload it is given; the writer's
			// stays as it was.
			if got.UserWrite != nil && got.UserWrite == cmd.UserWrite || got.GroupWrite != nil && got.GroupWrite == cmd.GroupWrite {
				t.Error("the FSM shares the writer's payload")
			}
		})
	}
}

// TestHandOverFallsBackToDecoding: what encoding changes is decoded (or
// handed over as decoding gives it), so that the leader applies exactly
// what a replay of the log applies: reflect.DeepEqual tells nil from
// empty and one time location from another.
func TestHandOverFallsBackToDecoding(t *testing.T) {
	at := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)
	user := func() *User { return &User{ID: "u1", Provider: "okta", UserName: "ada", Organization: "acme"} }
	tests := []struct {
		name string
		cmd  *Command
	}{
		{"invalid UTF-8", &Command{Type: CmdUserWrite, Time: at, UserWrite: &UserWrite{Provider: "okta", User: user(),
			Event: &SyncEvent{RequestID: "req-\xff"}}}},
		{"time not in UTC", &Command{Type: CmdUserWrite, Time: at.In(time.FixedZone("CET", 3600)), UserWrite: &UserWrite{Provider: "okta", User: user()}}},
		{"time with a monotonic reading", &Command{Type: CmdGroupWrite, Time: time.Now(), GroupWrite: &GroupWrite{Provider: "okta", Group: &Group{ID: "g1"}}}},
		{"other command types", &Command{Type: CmdSyncEvent, Time: at, SyncEvent: &SyncEvent{Action: "x"}}},
		{"SCIM text not compact", &Command{Type: CmdUserWrite, Time: at, UserWrite: &UserWrite{Provider: "okta", User: func() *User {
			u := user()
			u.SCIM = Resource(`{ "userName" : "ada" }`)
			return u
		}()}}},
		{"SCIM text escaped otherwise", &Command{Type: CmdUserWrite, Time: at, UserWrite: &UserWrite{Provider: "okta", User: func() *User {
			u := user()
			u.SCIM = Resource("{\"title\":\"R<D>&\u2028\"}")
			return u
		}()}}},
		{"SCIM text escaped otherwise, packed", &Command{Type: CmdUserWrite, Time: at, UserWrite: &UserWrite{Provider: "okta", User: func() *User {
			u := user()
			u.SCIM = PackResource([]byte("{\"title\":\"R<D>&\u2028\"}"))
			return u
		}()}}},
		// Handed over, with empty slices and maps as decoding gives them.
		{"empty slices", &Command{Type: CmdUserWrite, Time: at, UserWrite: &UserWrite{Provider: "okta", User: func() *User {
			u := user()
			u.Roles, u.ProviderValues = []string{}, map[string]string{}
			return u
		}(), Event: &SyncEvent{Changes: []Change{}}}}},
		{"empty group slices", &Command{Type: CmdGroupWrite, Time: at, GroupWrite: &GroupWrite{Provider: "okta", Group: &Group{ID: "g1"},
			Members: []Member{}, Add: []Member{}, Remove: []string{}, Event: &SyncEvent{Changes: []Change{}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := json.Marshal(tt.cmd)
			if err != nil {
				t.Fatal(err)
			}
			got, err := forFSM(tt.cmd, data)
			if err != nil {
				t.Fatal(err)
			}
			var want Command
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, &want) {
				t.Errorf("forFSM = %+v, want the decoded %+v", got, &want)
			}
		})
	}
}

// fillAll sets every exported field reachable from v to a value that is not
// zero, for TestHandOverRoundTrip and TestCommandJSON. A struct that
// points to its own type (an object's Applied copy of itself) is filled
// two levels deep.
func fillAll(t *testing.T, v reflect.Value, path string, at time.Time) {
	t.Helper()
	fillValue(t, v, path, at, map[reflect.Type]int{})
}

func fillValue(t *testing.T, v reflect.Value, path string, at time.Time, filling map[reflect.Type]int) {
	t.Helper()
	switch v.Type() {
	case reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(at))
		return
	case reflect.TypeFor[json.RawMessage]():
		v.SetBytes([]byte(`{"userName":"ada","emails":[{"value":"a@example.com"}]}`))
		return
	case reflect.TypeFor[Resource]():
		v.Set(reflect.ValueOf(PackResource([]byte(`{"userName":"ada","emails":[{"value":"a@example.com"}]}`))))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(path + " é<&>\u2028")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint8, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	case reflect.Float64:
		v.SetFloat(7.5)
	case reflect.Pointer:
		if filling[v.Type().Elem()] == 2 {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fillValue(t, v.Elem(), path, at, filling)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fillValue(t, v.Index(i), path+"[]", at, filling)
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fillValue(t, k, path+".key", at, filling)
		fillValue(t, e, path+".value", at, filling)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		filling[v.Type()]++
		defer func() { filling[v.Type()]-- }()
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				t.Fatalf("%s.%s is not exported: encoding would drop it", path, f.Name)
			}
			fillValue(t, v.Field(i), path+"."+f.Name, at, filling)
		}
	default:
		t.Fatalf("%s: fill does not know %s", path, v.Type())
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHandOverTakesEncodedResources: a stored resource as encoding/json
// writes it (as SCIM stores them) is found in the logged bytes, so such
// writes are handed over rather than decoded again.
func TestHandOverTakesEncodedResources(t *testing.T) {
	scim := mustMarshal(t, map[string]any{"userName": "a<b>&c", "title": "Zoë \u2028", "emails": []any{map[string]any{"value": `q"@x`}}})
	cmd := &Command{Type: CmdUserWrite, Time: time.Now().UTC(), UserWrite: &UserWrite{Provider: "p", User: &User{ID: "u1", SCIM: scim}}}
	if data := mustMarshal(t, cmd); !handedOver(cmd, data) {
		t.Errorf("a resource encoded by encoding/json is not handed over: %s", data)
	}
}

// TestDecodeCache: the FSM takes what a writer handed over at most once,
// by the very bytes the writer logged, and nothing once it was released.
func TestDecodeCache(t *testing.T) {
	var c decodeCache
	cmd := &Command{Type: CmdUserWrite, Time: time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC),
		UserWrite: &UserWrite{Provider: "p", User: &User{ID: "u1", Provider: "p", UserName: "ada"}}}
	data := mustMarshal(t, cmd)
	if err := c.handOver(cmd, data); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.take(bytes.Clone(data)); ok {
		t.Error("took the command for a copy of the bytes logged: the FSM of a replay would skip decoding")
	}
	got, ok := c.take(data)
	if !ok || got.UserWrite.User.ID != "u1" {
		t.Fatalf("take = %+v, %v; want the command handed over", got, ok)
	}
	if got.UserWrite == cmd.UserWrite {
		t.Error("the FSM got the writer's payload")
	}
	if _, ok := c.take(data); ok {
		t.Error("took the same command twice: one applied again after a failed batch must be decoded afresh")
	}
	c.release(data)

	if err := c.handOver(cmd, data); err != nil {
		t.Fatal(err)
	}
	c.release(data)
	if _, ok := c.take(data); ok {
		t.Error("took a command after its writer released it")
	}
	if _, ok := c.take(nil); ok {
		t.Error("took a command for no bytes")
	}
	// A command that is not handed over is decoded by the writer; bytes
	// that do not decode are the writer's error.
	if err := c.handOver(&Command{Type: CmdSyncEvent}, []byte("{not json")); err == nil {
		t.Error("handOver of bytes that do not decode: no error")
	}
}
