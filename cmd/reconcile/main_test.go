package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
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
			return nil
		},
		Cmds:          scriptCmds,
		UpdateScripts: os.Getenv("UPDATE_SCRIPTS") == "1",
	})
}
