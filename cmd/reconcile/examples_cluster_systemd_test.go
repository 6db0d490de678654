package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

const systemdDir = "../../examples/cluster/systemd"

// readUnit reads a systemd unit's settings, continued lines joined.
func readUnit(t *testing.T, path string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string][]string{}
	var line string
	for raw := range strings.SplitSeq(string(b), "\n") {
		if cont, ok := strings.CutSuffix(raw, "\\"); ok {
			line += cont + " "
			continue
		}
		line += raw
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			settings[strings.TrimSpace(k)] = append(settings[strings.TrimSpace(k)], strings.TrimSpace(v))
		}
		line = ""
	}
	return settings
}

// readEnvFile reads a systemd EnvironmentFile: NAME=value lines, and
// comments.
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is no NAME=value", path, line)
		}
		env[k] = v
	}
	return env
}

// execArgs expands ExecStart as systemd does for the instance: words
// split at spaces, %i the instance, ${NAME} from env (one word each).
func execArgs(t *testing.T, execStart, instance string, env map[string]string) []string {
	t.Helper()
	var args []string
	for _, w := range strings.Fields(execStart) {
		w = strings.ReplaceAll(w, "%i", instance)
		w = regexp.MustCompile(`\$\{(\w+)\}`).ReplaceAllStringFunc(w, func(m string) string {
			v, ok := env[m[2:len(m)-1]]
			if !ok {
				t.Errorf("ExecStart uses %s, which %s.env does not set", m, instance)
			}
			return v
		})
		args = append(args, w)
	}
	return args
}

var systemdNodes = []string{"n1", "n2", "n3"}

// TestClusterExampleSystemd checks the systemd example: the template
// unit's ExecStart, for each node's EnvironmentFile, gives serve flags it
// takes, for a TLS cluster of the three; systemd-analyze, where there is
// one, finds nothing wrong with the unit; and the three nodes, run with
// those flags (the addresses moved to loopback ports and the paths under
// a temporary root) and certificates from examples/cluster/certs, form a
// cluster that takes a write on one node and serves it on another.
func TestClusterExampleSystemd(t *testing.T) {
	unit := readUnit(t, filepath.Join(systemdDir, "reconcile@.service"))
	if len(unit["ExecStart"]) != 1 {
		t.Fatalf("want one ExecStart, got %q", unit["ExecStart"])
	}
	if !slices.Contains(unit["EnvironmentFile"], "/etc/reconcile/%i.env") {
		t.Fatalf("EnvironmentFile %q: want /etc/reconcile/%%i.env", unit["EnvironmentFile"])
	}
	envs := map[string]map[string]string{}
	for _, node := range systemdNodes {
		env := readEnvFile(t, filepath.Join(systemdDir, node+".env"))
		envs[node] = env
		args := execArgs(t, unit["ExecStart"][0], node, env)
		if args[0] != "/usr/local/bin/reconcile" {
			t.Errorf("ExecStart runs %s", args[0])
		}
		f, err := checkServeArgs(args[1:])
		if err != nil {
			t.Fatalf("%s: %q: %v", node, args, err)
		}
		switch cl := f.cl; {
		case cl.insecure || cl.tls.Cert == "":
			t.Errorf("%s: the cluster port runs without mutual TLS", node)
		case cl.nodeID != node:
			t.Errorf("%s: --node-id %s", node, cl.nodeID)
		case cl.bootstrapExpect != len(systemdNodes) || len(cl.join) != len(systemdNodes) || !slices.Contains(cl.join, cl.listen):
			t.Errorf("%s: --bootstrap-expect %d, --join %v, --raft-listen %s: want the 3 nodes, this one among them", node, cl.bootstrapExpect, cl.join, cl.listen)
		}
	}
	verifyUnit(t)
	if testing.Short() {
		t.Skip("the rest starts three daemons")
	}
	runSystemdExample(t, unit, envs)
}

// verifyUnit runs systemd-analyze verify on the unit, if there is one,
// with ExecStart's binary one that exists; it must complain of nothing in
// the unit.
func verifyUnit(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("no systemd-analyze here: the unit is not verified")
		return
	}
	b, err := os.ReadFile(filepath.Join(systemdDir, "reconcile@.service"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	self, _ := os.Executable()
	b = bytes.ReplaceAll(b, []byte("/usr/local/bin/reconcile"), []byte(self))
	if err := os.WriteFile(filepath.Join(dir, "reconcile@.service"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Symlink("reconcile@.service", filepath.Join(dir, "reconcile@n1.service"))
	out, _ := exec.Command(analyze, "verify", filepath.Join(dir, "reconcile@n1.service")).CombinedOutput()
	for line := range strings.SplitSeq(string(out), "\n") {
		if strings.Contains(line, "reconcile@") {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
}

// runSystemdExample runs the three nodes as the unit would, on loopback.
func runSystemdExample(t *testing.T, unit map[string][]string, envs map[string]map[string]string) {
	root := t.TempDir()
	bin := buildDaemon(t, "")
	gen := exec.Command("go", append([]string{"run", "../../examples/cluster/certs", "-out", filepath.Join(root, "etc/reconcile/tls")}, systemdNodes...)...)
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("making the certificates: %v\n%s", err, out)
	}
	const token = "example-cluster-token-0123456789"
	files := map[string]string{
		"etc/reconcile/config/config.yaml": oktaConfig,
		"etc/reconcile/admin-token":        "example-admin-token-0123456789abcdef\n",
		"etc/reconcile/secrets.env":        "OKTA_TOKEN=" + token + "\n",
	}
	for name, content := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o700)
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	secrets := readEnvFile(t, filepath.Join(root, "etc/reconcile/secrets.env"))

	// Every address of the env files moves to a loopback port of its own.
	moved := map[string]string{}
	hostPort := regexp.MustCompile(`\b\d+\.\d+\.\d+\.\d+:\d+\b`)
	relocate := func(v string) string {
		return hostPort.ReplaceAllStringFunc(v, func(a string) string {
			if moved[a] == "" {
				moved[a] = freeAddr(t)
			}
			return moved[a]
		})
	}
	urls := map[string]string{}
	for _, node := range systemdNodes {
		var procEnv []string
		env := map[string]string{}
		for k, v := range envs[node] {
			env[k] = relocate(v)
			procEnv = append(procEnv, k+"="+env[k])
		}
		for k, v := range secrets {
			procEnv = append(procEnv, k+"="+v)
		}
		urls[node] = "http://" + env["LISTEN"]
		args := execArgs(t, unit["ExecStart"][0], node, env)
		for i, a := range args {
			for _, dir := range []string{"/etc/reconcile", "/var/lib/reconcile"} {
				if strings.HasPrefix(a, dir) {
					args[i] = filepath.Join(root, a)
				}
			}
		}
		startProc(t, bin, args[1:], procEnv, filepath.Join(root, node+".log"))
	}
	for _, node := range systemdNodes {
		waitReady(t, urls[node], filepath.Join(root, node+".log"))
	}
	// A write on n2, read on n3: the cluster replicates over its TLS port.
	// (Until the leader has applied the config, the provider is unknown.)
	auth := "Bearer " + token
	user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com","active":true}`
	status := 0
	poll(50*time.Millisecond, func() bool {
		status = send("POST", urls["n2"]+"/scim/v2/okta/Users", auth, user, nil)
		return status != 0 && status != http.StatusUnauthorized
	})
	if status != http.StatusCreated {
		t.Fatalf("POST on n2: %d, want 201", status)
	}
	var list struct {
		TotalResults int `json:"totalResults"`
	}
	q := urls["n3"] + "/scim/v2/okta/Users?filter=" + url.QueryEscape(`userName eq "ada@example.com"`)
	if status := send("GET", q, auth, "", &list); status != http.StatusOK || list.TotalResults != 1 {
		t.Errorf("n3 answered %d and found %d users named ada@example.com, want the one written on n2", status, list.TotalResults)
	}
}

// send sends a request and returns its status, 0 when it got no answer;
// out, when not nil, is given the JSON body.
func send(method, u, auth, body string, out any) int {
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		return 0
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if out != nil && json.NewDecoder(resp.Body).Decode(out) != nil {
		return 0
	}
	return resp.StatusCode
}
