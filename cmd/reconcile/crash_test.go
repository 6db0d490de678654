package main

import (
	"bufio"

	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	crashRounds = flag.Int("crash.rounds", 3, "rounds of TestCrashUnderLoad (1000 for a long run)")
	crashTags   = flag.String("crash.tags", "", "build tags for the daemon under test (reconcile_ackearly breaks it on purpose)")
)

// loadConfig is the config of the daemons the crash tests load: the
// provider okta, its bearer token from OKTA_TOKEN (loadSCIMToken), and
// the admin API on with RECONCILE_ADMIN_TOKEN (loadAdminToken).
const loadConfig = `
kind: Organization
name: acme
displayName: Acme
---
kind: Provider
name: okta
displayName: Okta
auth: {type: bearer, secretFrom: {env: OKTA_TOKEN}}
deactivationDelay: 24h
deactivationGuard: {maxCount: 0, maxPercent: 0}
organizationMapping: {method: fixed, organization: acme}
`

const (
	loadSCIMToken  = "okta-token-0123456789abcdef"
	loadAdminToken = "admin-token-0123456789abcdef"
)

// buildDaemon builds the reconcile binary with build tags.
func buildDaemon(t *testing.T, tags string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "reconcile")
	build := exec.Command("go", "build", "-tags", tags, "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the daemon: %v\n%s", err, out)
	}
	return bin
}

// TestCrashUnderLoad runs SCIM write load against a daemon process, kills
// it with SIGKILL at a random moment, restarts it on the same data dir and
// checks that every write the clients saw acknowledged is there, whole:
// created users exist with their userName, and a deprovision acknowledged
// left the user inactive in SCIM and blocked in the product (one command,
// never half of it). Loopback only; about a second a round.
func TestCrashUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts daemon processes")
	}
	bin := buildDaemon(t, *crashTags)
	work := t.TempDir()
	cfg := filepath.Join(work, "cfg")
	os.MkdirAll(cfg, 0o755)
	os.WriteFile(filepath.Join(cfg, "config.yaml"), []byte(loadConfig), 0o644)
	const token = loadSCIMToken
	const admin = loadAdminToken
	data := filepath.Join(work, "data")

	start := func() (*exec.Cmd, string) {
		t.Helper()
		addr := freeAddr(t)
		cmd := exec.Command(bin, "serve", "--config", cfg, "--data-dir", data, "--listen", addr, "--access-log=false")
		cmd.Env = append(os.Environ(), "OKTA_TOKEN="+token, "RECONCILE_ADMIN_TOKEN="+admin)
		dieWithTest(cmd)
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "reconcile is serving on ") {
				go io.Copy(io.Discard, stdout)
				return cmd, "http://" + addr
			}
		}
		t.Fatal("the daemon did not start")
		return nil, ""
	}
	do := func(method, url, auth, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}

	type acked struct {
		id, userName string
		inactive     bool
	}
	for round := range *crashRounds {
		daemon, base := start()
		scim := base + "/scim/v2/okta"
		var mu sync.Mutex
		var acks []*acked
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					name := fmt.Sprintf("r%d-w%d-%d@acme.com", round, w, i)
					code, m := do("POST", scim+"/Users", token, `{"userName":"`+name+`"}`)
					if code != http.StatusCreated {
						continue // the daemon is gone, or going
					}
					a := &acked{id: m["id"].(string), userName: name}
					mu.Lock()
					acks = append(acks, a)
					mu.Unlock()
					if i%3 == 0 {
						code, _ := do("PATCH", scim+"/Users/"+a.id, token, `{"Operations":[{"op":"replace","value":{"active":false}}]}`)
						if code == http.StatusNoContent {
							mu.Lock()
							a.inactive = true
							mu.Unlock()
						}
					}
				}
			}()
		}
		// Killed some time after the first acknowledged write: on a loaded
		// machine the first can take longer than the pause.
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
			mu.Lock()
			n := len(acks)
			mu.Unlock()
			if n > 0 || time.Now().After(deadline) {
				break
			}
		}
		time.Sleep(time.Duration(100+rand.IntN(500)) * time.Millisecond)
		daemon.Process.Signal(syscall.SIGKILL)
		daemon.Wait()
		close(stop)
		wg.Wait()
		if len(acks) == 0 {
			t.Fatalf("round %d: no write was acknowledged", round)
		}

		daemon, base = start()
		scim = base + "/scim/v2/okta"
		lost := 0
		for _, a := range acks {
			code, m := do("GET", scim+"/Users/"+a.id, token, "")
			switch {
			case code != http.StatusOK:
				lost++
				if lost <= 5 {
					t.Errorf("round %d: acknowledged user %s (%s) is missing after SIGKILL: %d", round, a.userName, a.id, code)
				}
				continue
			case m["userName"] != a.userName:
				t.Errorf("round %d: user %s has userName %v, want %s", round, a.id, m["userName"], a.userName)
			case a.inactive && m["active"] != false:
				lost++ // a write of its own: the deprovision
				t.Errorf("round %d: acknowledged deprovision of %s is lost", round, a.userName)
			}
			if a.inactive {
				_, u := do("GET", base+"/api/v1/users/"+a.id, admin, "")
				if u["state"] != "blocked" {
					t.Errorf("round %d: %s is inactive in SCIM but %v in the product: half applied", round, a.userName, u["state"])
				}
			}
		}
		if lost > 0 {
			t.Errorf("round %d: %d acknowledged writes lost (creates of the %d users acknowledged, and their deprovisions)", round, lost, len(acks))
		}
		daemon.Process.Signal(os.Interrupt)
		daemon.Wait()
		if t.Failed() {
			return
		}
		t.Logf("round %d: %d acknowledged users intact after SIGKILL", round, len(acks))
	}
}
