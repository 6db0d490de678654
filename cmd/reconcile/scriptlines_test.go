package main

import (
	"os"
	"regexp"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// The testscript command of scripts that read what a daemon running in
// the background printed so far (its output redirected to a file):
//
//	waitline FILE REGEXP [NAME]  wait until a line of FILE matches REGEXP
//	                             and set $NAME, if given, to its first
//	                             group (up to 20s)
func init() {
	scriptCmds["waitline"] = cmdWaitLine
}

func cmdWaitLine(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: waitline FILE REGEXP [NAME]")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	var m []string
	if !poll(20*time.Millisecond, func() bool {
		b, _ := os.ReadFile(ts.MkAbs(args[0]))
		m = re.FindStringSubmatch(string(b))
		return m != nil
	}) {
		b, _ := os.ReadFile(ts.MkAbs(args[0]))
		ts.Fatalf("no line of %s matches %s within %v; it holds:\n%s", args[0], args[1], waitFor, b)
	}
	if len(args) == 3 {
		if len(m) < 2 {
			ts.Fatalf("%s has no group to set $%s from", args[1], args[2])
		}
		ts.Setenv(args[2], m[1])
	}
}
