package state

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

// commandPayloads names, for each command type, the field of Command that
// carries its payload ("" for none).
var commandPayloads = map[string]string{
	CmdConfigApply:          "ConfigApply",
	CmdUserWrite:            "UserWrite",
	CmdGroupWrite:           "GroupWrite",
	CmdSyncEvent:            "SyncEvent",
	CmdUserAdmin:            "UserAdmin",
	CmdLifecycleTick:        "",
	CmdDeactivationsResolve: "DeactivationsResolve",
	CmdLoopControl:          "LoopControl",
	CmdSecretRotate:         "SecretRotate",
}

// TestCommandJSON pins the JSON of every command type, every field of its
// payload set: commands are logged as JSON and replayed by later
// versions, so a field renamed or dropped would lose what logs already
// say. A change here is a change of the log format.
func TestCommandJSON(t *testing.T) {
	var types []string
	for typ := range handlers {
		types = append(types, typ)
	}
	slices.Sort(types)
	payloadFields := map[string]bool{}
	for _, f := range reflect.VisibleFields(reflect.TypeFor[Command]()) {
		if f.Type.Kind() == reflect.Pointer {
			payloadFields[f.Name] = true
		}
	}
	for _, typ := range types {
		field, ok := commandPayloads[typ]
		if !ok {
			t.Errorf("command type %q has a handler but no payload in commandPayloads", typ)
			continue
		}
		delete(payloadFields, field)
		t.Run(typ, func(t *testing.T) {
			at := time.Date(2026, 11, 22, 13, 0, 0, 123456789, time.UTC)
			cmd := Command{Type: typ, Time: at, NameRule: nameRuleFold}
			if field != "" {
				fillAll(t, reflect.ValueOf(&cmd).Elem().FieldByName(field), field, at)
			}
			logged, err := json.Marshal(cmd)
			if err != nil {
				t.Fatal(err)
			}
			// Indented to be read; indenting changes only the space
			// between tokens.
			var got bytes.Buffer
			if err := json.Indent(&got, logged, "", "  "); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "commands", typ+".json")
			if *update {
				if err := os.WriteFile(golden, append(got.Bytes(), '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), got.String()+"\n"); diff != "" {
				t.Errorf("%s encodes otherwise than %s (-want +got):\n%s", typ, golden, diff)
			}
			var back Command
			if err := json.Unmarshal(logged, &back); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(cmd, back); diff != "" {
				t.Errorf("%s does not decode to what encoded it (-encoded +decoded):\n%s", typ, diff)
			}
		})
	}
	for f := range payloadFields {
		t.Errorf("Command.%s is no command type's payload", f)
	}
}

// TestCommandWithoutPayload: a command without its payload is refused by
// its handler, with a message naming the command.
func TestCommandWithoutPayload(t *testing.T) {
	want := map[string]string{
		CmdConfigApply:          "config.apply command without payload",
		CmdUserWrite:            "user.write command without a user",
		CmdGroupWrite:           "group.write command without a group",
		CmdSyncEvent:            "sync.event command without an event",
		CmdUserAdmin:            "user.admin command without payload",
		CmdDeactivationsResolve: "deactivations.resolve without payload",
		CmdLoopControl:          "loop.control command without payload",
		CmdSecretRotate:         "provider.rotate-secret command without payload",
	}
	s := NewMemory(Options{})
	for typ := range handlers {
		if commandPayloads[typ] == "" {
			continue
		}
		_, err := s.Apply(context.Background(), &Command{Type: typ, Time: testTime})
		if err == nil || err.Error() != want[typ] {
			t.Errorf("%s without payload: got %v, want %q", typ, err, want[typ])
		}
	}
}
