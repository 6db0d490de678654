package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// The testscript commands of scripts that read what a command printed:
//
//	waitline FILE REGEXP [NAME]  wait until a line of FILE (or of stdout,
//	                             stderr: the last command's) matches
//	                             REGEXP and set $NAME, if given, to its
//	                             first group (up to 20s): what a daemon
//	                             running in the background printed so far
//	cmpmask FILE GOLDEN          compare FILE (or stdout, stderr) with
//	                             GOLDEN once every RFC 3339 time in FILE
//	                             is written YYYY-MM-DDTHH:MM:SSZ (as wide)
//	                             and every loopback port PORT; with
//	                             $CMPMASK_UPDATE set to a directory, what
//	                             GOLDEN would say is written there
func init() {
	scriptCmds["waitline"] = cmdWaitLine
	scriptCmds["cmpmask"] = cmdCmpMask
}

// readOutput reads FILE, or the last command's stdout or stderr.
func readOutput(ts *testscript.TestScript, name string) string {
	if name == "stdout" || name == "stderr" {
		return ts.ReadFile(name)
	}
	b, _ := os.ReadFile(ts.MkAbs(name))
	return string(b)
}

var (
	rfc3339Time  = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
	loopbackPort = regexp.MustCompile(`127\.0\.0\.1:\d+`)
)

func cmdCmpMask(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: cmpmask FILE GOLDEN")
	}
	got := rfc3339Time.ReplaceAllString(readOutput(ts, args[0]), "YYYY-MM-DDTHH:MM:SSZ")
	got = loopbackPort.ReplaceAllString(got, "127.0.0.1:PORT")
	want := ts.ReadFile(args[1])
	if dir := os.Getenv("CMPMASK_UPDATE"); dir != "" && got != want {
		// Where a developer updating the goldens finds what they would say.
		ts.Check(os.WriteFile(filepath.Join(dir, args[1]), []byte(got), 0o644))
		return
	}
	if got != want {
		ts.Logf("[diff -%s +%s (masked)]\n%s", args[1], args[0], lineDiff(want, got))
		ts.Fatalf("%s and %s differ", args[0], args[1])
	}
}

// lineDiff marks the lines of want and got that differ, in order.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := range max(len(w), len(g)) {
		switch {
		case i >= len(w):
			fmt.Fprintf(&b, "+%s\n", g[i])
		case i >= len(g):
			fmt.Fprintf(&b, "-%s\n", w[i])
		case w[i] != g[i]:
			fmt.Fprintf(&b, "-%s\n+%s\n", w[i], g[i])
		default:
			fmt.Fprintf(&b, " %s\n", w[i])
		}
	}
	return b.String()
}

func cmdWaitLine(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: waitline FILE REGEXP [NAME]")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	var m []string
	if !poll(20*time.Millisecond, func() bool {
		m = re.FindStringSubmatch(readOutput(ts, args[0]))
		return m != nil
	}) {
		ts.Fatalf("no line of %s matches %s within %v; it holds:\n%s", args[0], args[1], waitFor, readOutput(ts, args[0]))
	}
	if len(args) == 3 {
		if len(m) < 2 {
			ts.Fatalf("%s has no group to set $%s from", args[1], args[2])
		}
		ts.Setenv(args[2], m[1])
	}
}
