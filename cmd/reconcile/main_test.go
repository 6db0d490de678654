package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/reconcile-dev/reconcile/bench"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"reconcile": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

func TestScripts(t *testing.T) {
	examples, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("RECONCILE_DATA_DIR", env.Getenv("WORK")+"/data")
			env.Setenv("EXAMPLES", examples)
			// Who the CLI says it is, in the sync log.
			env.Setenv("RECONCILE_ACTOR", "tester")
			return nil
		},
		Cmds: scriptCmds,
		// [shm]: /dev/shm is a tmpfs, for the durable baseline's warning.
		Condition: func(cond string) (bool, error) {
			if cond == "shm" {
				return bench.OnTmpfs("/dev/shm"), nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		UpdateScripts: os.Getenv("UPDATE_SCRIPTS") == "1",
	})
}
