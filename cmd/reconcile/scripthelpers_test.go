package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/reconcile-dev/reconcile/internal/loopport"
	"github.com/reconcile-dev/reconcile/state"
)

// scriptCmds are the testscript commands that drive a running daemon:
//
//	freeport NAME              set $NAME to a free loopback port
//	waitready URL              wait until URL answers (up to 20s)
//	scim [-H k:v]... METHOD PATH [FILE]
//	                           call $SCIM_URL+PATH with $SCIM_AUTH, the body
//	                           read from FILE with $VARs expanded; print the
//	                           status, headers that matter and the JSON body
//	capture NAME PATH          set $NAME from the last JSON body (e.g. id,
//	                           Resources.0.id)
//	waitstate URL ID STATE     poll the admin API at URL (token from
//	                           $RECONCILE_ADMIN_TOKEN) until user ID is in
//	                           STATE, or "paused" (up to 20s)
//	waitjson URL PATH VALUE    poll URL with the admin token until the JSON
//	                           value at PATH prints as VALUE (up to 20s)
//	http                       the same as scim, named for calls to other
//	                           APIs (set SCIM_URL and SCIM_AUTH for them)
//	damagelog DATADIR          change one byte in the middle of what the
//	                           first log segment of DATADIR holds
//	seed FILE                  apply the state commands of FILE (JSON, one
//	                           a line) to $RECONCILE_DATA_DIR, no daemon
//	                           running: what older versions stored
//	damagefile flip|cut FILE   change one byte in the middle of FILE, or
//	                           cut off its second half
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"freeport":   cmdFreePort,
	"waitready":  cmdWaitReady,
	"scim":       cmdSCIM,
	"capture":    cmdCapture,
	"waitstate":  cmdWaitState,
	"waitjson":   cmdWaitJSON,
	"waitmetric": cmdWaitMetric,
	"waitfile":   cmdWaitFile,
	"http":       cmdSCIM,
	"damagelog":  cmdDamageLog,
	"seed":       cmdSeed,
	"damagefile": cmdDamageFile,
}

func cmdDamageFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 || args[0] != "flip" && args[0] != "cut" {
		ts.Fatalf("usage: damagefile flip|cut FILE")
	}
	path := ts.MkAbs(args[1])
	b, err := os.ReadFile(path)
	ts.Check(err)
	if args[0] == "flip" {
		b[len(b)/2] ^= 0x01
	} else {
		b = b[:len(b)/2]
	}
	ts.Check(os.WriteFile(path, b, 0o600))
}

func cmdDamageLog(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: damagelog DATADIR")
	}
	segs, err := filepath.Glob(filepath.Join(ts.MkAbs(args[0]), "raft", "wal", "*.wal"))
	ts.Check(err)
	if len(segs) == 0 {
		ts.Fatalf("no log segment in %s", args[0])
	}
	b, err := os.ReadFile(segs[0])
	ts.Check(err)
	end := len(bytes.TrimRight(b, "\x00")) // segments are preallocated with zeros
	b[end/2] ^= 0x20
	ts.Check(os.WriteFile(segs[0], b, 0o600))
}

func cmdSeed(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: seed FILE")
	}
	store, err := state.Open(context.Background(), ts.Getenv("RECONCILE_DATA_DIR"), state.Options{})
	ts.Check(err)
	defer store.Close()
	for i, line := range strings.Split(ts.ReadFile(args[0]), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var cmd state.Command
		if err := json.Unmarshal([]byte(line), &cmd); err != nil {
			ts.Fatalf("%s:%d: %v", args[0], i+1, err)
		}
		if _, err := store.Apply(context.Background(), &cmd); err != nil {
			ts.Fatalf("%s:%d: %v", args[0], i+1, err)
		}
	}
}

func cmdWaitState(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: waitstate URL ID STATE")
	}
	last := ""
	if !poll(50*time.Millisecond, func() bool {
		req, err := http.NewRequest("GET", args[0]+"/api/v1/users/"+args[1], nil)
		ts.Check(err)
		req.Header.Set("Authorization", "Bearer "+ts.Getenv("RECONCILE_ADMIN_TOKEN"))
		resp, err := http.DefaultClient.Do(req)
		ts.Check(err)
		var u struct {
			State  string `json:"state"`
			Paused bool   `json:"deactivationPaused"`
		}
		json.NewDecoder(resp.Body).Decode(&u)
		resp.Body.Close()
		if last = u.State; u.Paused {
			last = "paused"
		}
		return last == args[2]
	}) {
		ts.Fatalf("user %s is %q after %v, want %q", args[1], last, waitFor, args[2])
	}
}

// waitFor is how long the wait commands wait: long, as the tests share a
// busy machine (a daemon replaying a seeded log with the race detector
// on took over 20 s); a daemon that never gets there fails all the same.
const waitFor = 60 * time.Second

// poll calls done every interval until it returns true, and reports
// whether it did within waitFor.
func poll(interval time.Duration, done func() bool) bool {
	deadline := time.Now().Add(waitFor)
	for !done() {
		if !time.Now().Before(deadline) {
			return false
		}
		time.Sleep(interval)
	}
	return true
}

func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport NAME")
	}
	port, err := loopport.Free()
	ts.Check(err)
	ts.Setenv(args[0], strconv.Itoa(port))
}

func cmdWaitReady(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitready URL")
	}
	if !poll(20*time.Millisecond, func() bool {
		resp, err := http.Get(args[0])
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}) {
		ts.Fatalf("%s did not answer within %v", args[0], waitFor)
	}
}

// cmdWaitFile waits for a file matching a glob (relative to $WORK) to
// exist.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfile GLOB")
	}
	if !poll(20*time.Millisecond, func() bool {
		m, _ := filepath.Glob(ts.MkAbs(args[0]))
		return len(m) > 0
	}) {
		ts.Fatalf("no %s within %v", args[0], waitFor)
	}
}

func cmdSCIM(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("scim does not support !: check the printed status")
	}
	headers := http.Header{}
	for len(args) >= 2 && args[0] == "-H" {
		k, v, ok := strings.Cut(args[1], ":")
		if !ok {
			ts.Fatalf("-H wants name:value")
		}
		headers.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		args = args[2:]
	}
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: scim [-H name:value]... METHOD PATH [BODYFILE]")
	}
	var body io.Reader
	if len(args) == 3 {
		body = strings.NewReader(os.Expand(ts.ReadFile(args[2]), ts.Getenv))
	}
	req, err := http.NewRequest(args[0], ts.Getenv("SCIM_URL")+args[1], body)
	ts.Check(err)
	if auth := ts.Getenv("SCIM_AUTH"); auth != "" {
		if user, pass, ok := strings.Cut(strings.TrimPrefix(auth, "Basic "), ":"); strings.HasPrefix(auth, "Basic ") && ok {
			req.SetBasicAuth(user, pass)
		} else {
			req.Header.Set("Authorization", auth)
		}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for k, vs := range headers {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	ts.Check(err)
	out := ts.Stdout()
	fmt.Fprintf(out, "HTTP %d\n", resp.StatusCode)
	for _, h := range []string{"Content-Type", "ETag", "Location", "WWW-Authenticate", "Retry-After"} {
		for _, v := range resp.Header.Values(h) {
			fmt.Fprintf(out, "%s: %s\n", h, v)
		}
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, data, "", "  ") == nil {
		out.Write(pretty.Bytes())
	} else {
		out.Write(data)
	}
	ts.Check(os.WriteFile(filepath.Join(ts.Getenv("WORK"), ".last-response"), data, 0o644))
}

func cmdCapture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: capture NAME PATH")
	}
	var v any
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(".last-response")), &v))
	v, err := jsonAt(v, args[1])
	ts.Check(err)
	s, ok := v.(string)
	if !ok {
		ts.Fatalf("capture: %s is %v, not a string", args[1], v)
	}
	ts.Setenv(args[0], s)
}

// jsonAt walks a decoded JSON value along a dotted path (a.0.b).
func jsonAt(v any, path string) (any, error) {
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i >= len(x) {
				return nil, fmt.Errorf("no element %s in %s", part, path)
			}
			v = x[i]
		default:
			return nil, fmt.Errorf("nothing at %s", path)
		}
	}
	return v, nil
}

// cmdWaitMetric waits until a Prometheus endpoint has a sample NAME whose
// value compares to VALUE as CMP (= or >) says.
func cmdWaitMetric(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 || args[2] != "=" && args[2] != ">" {
		ts.Fatalf("usage: waitmetric URL NAME =|> VALUE")
	}
	want, err := strconv.ParseFloat(args[3], 64)
	ts.Check(err)
	last := "no sample"
	if !poll(50*time.Millisecond, func() bool {
		resp, err := http.Get(args[0])
		ts.Check(err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, line := range strings.Split(string(body), "\n") {
			name, value, ok := strings.Cut(line, " ")
			if !ok || name != args[1] {
				continue
			}
			last = value
			if got, err := strconv.ParseFloat(value, 64); err == nil && (args[2] == "=" && got == want || args[2] == ">" && got > want) {
				return true
			}
		}
		return false
	}) {
		ts.Fatalf("%s of %s is %s after %v, want %s %s", args[1], args[0], last, waitFor, args[2], args[3])
	}
}

// cmdWaitJSON polls an admin API path until the JSON value at a dotted
// path, printed with fmt, is VALUE.
func cmdWaitJSON(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: waitjson URL PATH VALUE")
	}
	var last any
	if !poll(50*time.Millisecond, func() bool {
		req, err := http.NewRequest("GET", args[0], nil)
		ts.Check(err)
		req.Header.Set("Authorization", "Bearer "+ts.Getenv("RECONCILE_ADMIN_TOKEN"))
		resp, err := http.DefaultClient.Do(req)
		ts.Check(err)
		var v any
		json.NewDecoder(resp.Body).Decode(&v)
		resp.Body.Close()
		last, err = jsonAt(v, args[1])
		return err == nil && fmt.Sprint(last) == args[2]
	}) {
		ts.Fatalf("%s of %s is %v after %v, want %s", args[1], args[0], last, waitFor, args[2])
	}
}
