package main

import (
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
)

// readmeCommands returns the reconcile command lines of the README's
// shell and console blocks (continuation lines joined, "go run
// ./cmd/reconcile" read as reconcile), each with the section it is in.
func readmeCommands(t *testing.T) (cmds []readmeCommand) {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section, lang, inBlock := "", "", false
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.HasPrefix(line, "```") && !inBlock:
			inBlock, lang = true, strings.TrimPrefix(line, "```")
			continue
		case strings.HasPrefix(strings.TrimSpace(line), "```") && inBlock:
			inBlock = false
			continue
		case !inBlock && strings.HasPrefix(line, "## "):
			section = strings.TrimPrefix(line, "## ")
		}
		if !inBlock || (lang != "sh" && lang != "console") {
			continue
		}
		for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, "\\") + " " + strings.TrimSpace(lines[i])
		}
		cmds = append(cmds, readmeCommand{section: section, line: strings.TrimSpace(strings.TrimPrefix(line, "$ "))})
	}
	return cmds
}

type readmeCommand struct{ section, line string }

var readmeCall = regexp.MustCompile(`^(?:go run \./cmd/reconcile|reconcile) (.*)$`)

// TestReadmeCommands: every reconcile command the README shows exists,
// with the flags it gives.
func TestReadmeCommands(t *testing.T) {
	calls := 0
	for _, c := range readmeCommands(t) {
		m := readmeCall.FindStringSubmatch(c.line)
		if m == nil {
			continue
		}
		calls++
		line := m[1]
		for _, cut := range []string{" #", " |", " >", " &&"} {
			line, _, _ = strings.Cut(line, cut)
		}
		args := strings.Fields(strings.NewReplacer(`"`, "", "'", "").Replace(line))
		root := newRootCmd(strings.NewReader(""), io.Discard, io.Discard)
		cmd, rest, err := root.Find(args)
		if err != nil || cmd == root {
			t.Errorf("README (%s): reconcile %s: no such command (%v)", c.section, line, err)
			continue
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Errorf("README (%s): reconcile %s: %v", c.section, line, err)
		}
	}
	if calls < 12 {
		t.Errorf("found %d reconcile commands in the README, want at least 12", calls)
	}
}

// TestReadmeSetUp: the README's Set up section gives exactly two
// commands, the daemon on the example config in the default data dir and
// the tests, and .ci/run runs that same test command.
func TestReadmeSetUp(t *testing.T) {
	var setup []string
	for _, c := range readmeCommands(t) {
		if c.section == "Set up" && !strings.HasPrefix(c.line, "curl ") && !strings.HasPrefix(c.line, "-") && !strings.HasPrefix(c.line, "reconcile ") && !strings.HasPrefix(c.line, `"`) {
			setup = append(setup, c.line)
		}
	}
	want := []string{"go run ./cmd/reconcile serve --config examples/quickstart", "go test ./..."}
	if strings.Join(setup, "\n") != strings.Join(want, "\n") {
		t.Errorf("the Set up section's commands are\n%s\nwant\n%s", strings.Join(setup, "\n"), strings.Join(want, "\n"))
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^go test \./\.\.\.$`).Match(ci) {
		t.Error(".ci/run does not run the README's test command, go test ./...")
	}
}
