package main

import (
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// startProc starts the daemon binary with args, env added to this
// process's, its output in logPath; the test's cleanup stops it.
func startProc(t *testing.T, bin string, args, env []string, logPath string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	dieWithTest(cmd)
	log, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		log.Close()
	})
}

// waitReady waits until the daemon at base answers /readyz with 200, and
// fails the test with its log when it does not.
func waitReady(t *testing.T, base, logPath string) {
	t.Helper()
	if !poll(50*time.Millisecond, func() bool { return send("GET", base+"/readyz", "", "", nil) == http.StatusOK }) {
		b, _ := os.ReadFile(logPath)
		t.Fatalf("%s is not ready after %v; its log:\n%s", base, waitFor, b)
	}
}

// oktaConfig is the config of the tests that start cluster nodes: one
// organization, and a provider whose token is in $OKTA_TOKEN.
const oktaConfig = `kind: Organization
name: acme
displayName: Acme
---
kind: Provider
name: okta
displayName: Okta
auth: {type: bearer, secretFrom: {env: OKTA_TOKEN}}
organizationMapping: {method: fixed, organization: acme}
attributes: {preset: okta}
`
