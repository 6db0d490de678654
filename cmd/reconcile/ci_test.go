package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestConformanceMissingSuites: outside CI, .ci/conformance skips suites
// that are not there and says so; with CI=true it fails, unless
// ALLOW_MISSING_CONFORMANCE=1.
func TestConformanceMissingSuites(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("needs bash")
	}
	empty := t.TempDir()
	for _, tc := range []struct {
		name   string
		env    []string
		status int
		stderr string
	}{
		{"outside CI", nil, 0, "conformance: SKIPPED, not run: the suite okta/Okta-SCIM-20-SPEC-Test.json is not in " + empty + " (set CONFORMANCE_DIR)\n"},
		{"CI", []string{"CI=true"}, 1, "conformance: the suite okta/Okta-SCIM-20-SPEC-Test.json is not in " + empty + " (set CONFORMANCE_DIR): CI=true, so this fails (set ALLOW_MISSING_CONFORMANCE=1 to skip)\n"},
		{"CI, allowed", []string{"CI=true", "ALLOW_MISSING_CONFORMANCE=1"}, 0, "conformance: SKIPPED, not run: the suite okta/Okta-SCIM-20-SPEC-Test.json is not in " + empty + " (set CONFORMANCE_DIR)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("bash", "../../.ci/conformance")
			var env []string
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "CI=") && !strings.HasPrefix(kv, "ALLOW_MISSING_CONFORMANCE=") {
					env = append(env, kv)
				}
			}
			cmd.Env = append(append(env, "CONFORMANCE_DIR="+empty), tc.env...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			status := 0
			if ee, ok := err.(*exec.ExitError); ok {
				status = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if status != tc.status || stderr.String() != tc.stderr {
				t.Errorf("exit status %d, stderr:\n%s\nwant %d, stderr:\n%s", status, stderr.String(), tc.status, tc.stderr)
			}
		})
	}
}
