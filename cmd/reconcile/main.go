// Command reconcile is the receiving end of enterprise user provisioning,
// run the GitOps way: organizations and SCIM providers are declared in YAML,
// validated, planned and applied; identity providers push users over SCIM.
//
//	reconcile validate --config DIR
//	reconcile plan     --config DIR [--data-dir D] [--detailed-exitcode] [--json]
//	reconcile apply    --config DIR [--data-dir D] [--auto-approve]
//	reconcile version
//
// Run `reconcile help` for the rest.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// exitError ends the command with a code; its message, if any, is printed
// as "Error: ...".
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// exitCode ends the command with code and prints nothing more: the command
// has already said why.
func exitCode(code int) error { return &exitError{code: code} }

// run executes the CLI and returns the process exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := newRootCmd(stdin, stdout, stderr)
	cmd.SetArgs(args)
	err := cmd.Execute()
	if err == nil {
		return 0
	}
	code := 1
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
		err = ee.err
	}
	fmt.Fprintf(stderr, "Error: %v\n", err)
	return code
}
