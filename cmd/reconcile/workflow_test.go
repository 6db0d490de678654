package main

import (
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestExampleWorkflow checks that the GitHub workflow shipped for config
// repositories parses and calls reconcile with flags that exist.
func TestExampleWorkflow(t *testing.T) {
	data, err := os.ReadFile("../../examples/github/workflows/reconcile.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		On   map[string]any `yaml:"on"`
		Jobs map[string]struct {
			Steps []struct {
				Run string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	if _, ok := wf.On["pull_request"]; !ok {
		t.Error("the workflow does not run on pull requests")
	}
	call := regexp.MustCompile(`(?m)^\s*reconcile ((?:[^\n\\]|\\\n)*)`)
	calls := 0
	for _, job := range wf.Jobs {
		for _, step := range job.Steps {
			for _, m := range call.FindAllStringSubmatch(step.Run, -1) {
				calls++
				line := strings.NewReplacer("\\\n", " ", `"`, "").Replace(m[1])
				line, _, _ = strings.Cut(line, ">")
				args := strings.Fields(line)
				root := newRootCmd(strings.NewReader(""), io.Discard, io.Discard)
				cmd, rest, err := root.Find(args)
				if err != nil {
					t.Errorf("reconcile %s: %v", line, err)
					continue
				}
				if err := cmd.ParseFlags(rest); err != nil {
					t.Errorf("reconcile %s: %v", line, err)
				}
			}
		}
	}
	if calls < 2 {
		t.Errorf("found %d reconcile calls, want validate and plan", calls)
	}
}
