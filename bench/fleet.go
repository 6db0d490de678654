package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/reconcile-dev/reconcile/internal/loopport"
	"github.com/valyala/fasthttp"
)

// A Fleet is daemons that bench starts itself, from one binary, for a
// cluster run: a single node, then the nodes of a cluster, all on
// loopback, each with a data dir of its own in a directory that Close
// removes. They serve one provider (FleetProvider) whose token the fleet
// makes up.
type Fleet struct {
	exe     string
	dir     string
	token   string
	daemons []*Daemon
}

// FleetProvider is the provider a fleet's daemons serve.
const FleetProvider = "bench"

// fleetTokenEnv holds the provider's token in the daemons' environment.
const fleetTokenEnv = "RECONCILE_BENCH_TOKEN"

// fleetConfig is the daemons' config: one organization, one provider
// with its guard off, as the bench config of BENCHMARKS.md.
const fleetConfig = `kind: Organization
name: bench
displayName: Bench
---
kind: Provider
name: ` + FleetProvider + `
displayName: Bench
auth: {type: bearer, secretFrom: {env: ` + fleetTokenEnv + `}}
deactivationGuard: {maxCount: 0, maxPercent: 0}
organizationMapping: {method: fixed, organization: bench}
attributes: {preset: okta}
`

// NewFleet makes the fleet's directory in parent ("" for the system's
// temporary directory) with the daemons' config. exe is the reconcile
// binary.
func NewFleet(exe, parent string) (*Fleet, error) {
	dir, err := os.MkdirTemp(parent, "reconcile-bench-cluster-*")
	if err != nil {
		return nil, err
	}
	f := &Fleet{exe: exe, dir: dir, token: rand.Text()}
	if err = os.Mkdir(f.configDir(), 0o700); err == nil {
		err = os.WriteFile(filepath.Join(f.configDir(), "config.yaml"), []byte(fleetConfig), 0o600)
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return f, nil
}

// Dir is the directory of the daemons' data dirs.
func (f *Fleet) Dir() string { return f.dir }

// Auth is the Authorization header of the provider.
func (f *Fleet) Auth() string { return "Bearer " + f.token }

func (f *Fleet) configDir() string { return filepath.Join(f.dir, "config") }

// Single starts a single node (no cluster port), the daemon as it runs
// by default.
func (f *Fleet) Single() (*Daemon, error) {
	d, err := f.daemon("single", nil)
	if err != nil {
		return nil, err
	}
	return d, d.Start()
}

// Cluster starts n nodes, n1 to nN, that bootstrap a cluster together,
// on plain TCP (--cluster-insecure: loopback only).
func (f *Fleet) Cluster(n int) ([]*Daemon, error) {
	addrs := make([]string, n)
	for i := range addrs {
		port, err := loopport.Free()
		if err != nil {
			return nil, err
		}
		addrs[i] = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	}
	nodes := make([]*Daemon, n)
	for i := range nodes {
		id := fmt.Sprintf("n%d", i+1)
		d, err := f.daemon(id, []string{"--node-id", id, "--raft-listen", addrs[i], "--bootstrap-expect", strconv.Itoa(n),
			"--join", strings.Join(addrs, ","), "--cluster-insecure"})
		if err != nil {
			return nil, err
		}
		d.ClusterAddr = addrs[i]
		if err := d.Start(); err != nil {
			return nil, err
		}
		nodes[i] = d
	}
	return nodes, nil
}

// daemon prepares a daemon named name with a data dir and a port of its
// own, and extra flags of serve.
func (f *Fleet) daemon(name string, extra []string) (*Daemon, error) {
	port, err := loopport.Free()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	d := &Daemon{
		Name: name, URL: "http://" + addr, exe: f.exe,
		// No access log: the figures are SCIM's, not a log line's per request.
		args: append([]string{"serve", "--config", f.configDir(), "--data-dir", filepath.Join(f.dir, name), "--listen", addr, "--access-log=false"}, extra...),
		env:  append(os.Environ(), fleetTokenEnv+"="+f.token),
		log:  filepath.Join(f.dir, name+".log"),
	}
	d.Base = d.URL + "/scim/v2/" + FleetProvider
	f.daemons = append(f.daemons, d)
	return d, nil
}

// WaitServing waits until d is ready (/readyz) and serves the provider
// (its config applied, or replicated to it): a lookup gets 200.
func (f *Fleet) WaitServing(ctx context.Context, d *Daemon) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	hc, _, err := hostClient(d.URL)
	if err != nil {
		return err
	}
	get := func(uri string, auth bool) int {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI(uri)
		if auth {
			req.Header.Set("Authorization", f.Auth())
		}
		if hc.DoTimeout(req, resp, 5*time.Second) != nil {
			return 0
		}
		return resp.StatusCode()
	}
	for {
		if get(d.URL+"/readyz", false) == 200 && get(d.Base+"/Users?count=0", true) == 200 {
			return nil
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("the daemon %s did not serve within a minute; its log, %s, ends with:\n%s", d.Name, d.log, d.logTail())
			}
			return ctx.Err()
		case <-d.done:
			return fmt.Errorf("the daemon %s exited (%v); its log, %s, ends with:\n%s", d.Name, d.err, d.log, d.logTail())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Close kills the daemons still running and removes the directory.
func (f *Fleet) Close() error {
	for _, d := range f.daemons {
		d.Kill()
	}
	return os.RemoveAll(f.dir)
}

// Daemon is a daemon process of a fleet.
type Daemon struct {
	Name string // "single", or the node's id: n1, n2, ...
	URL  string // http://127.0.0.1:PORT
	Base string // the provider's SCIM base URL
	// ClusterAddr is its cluster port's address, "" for a single node.
	ClusterAddr string
	exe         string
	args, env   []string
	log         string // its stdout and stderr
	cmd         *exec.Cmd
	done        chan struct{} // closed when it exited; err says how
	err         error
}

// Start starts the daemon, or starts it again after it exited, on the
// same data dir and ports.
func (d *Daemon) Start() error {
	out, err := os.OpenFile(d.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer out.Close() // the daemon has its own copy
	cmd := exec.Command(d.exe, d.args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = d.env, out, out
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the daemon %s: %w", d.Name, err)
	}
	d.cmd, d.done = cmd, make(chan struct{})
	go func() {
		d.err = cmd.Wait()
		close(d.done)
	}()
	return nil
}

// Kill kills the daemon with SIGKILL, if it runs, and waits until it
// exited.
func (d *Daemon) Kill() {
	d.signal(syscall.SIGKILL, 0)
}

// Stop asks the daemon to stop (SIGTERM) and waits until it did, up to
// 30 s, before it kills it.
func (d *Daemon) Stop() {
	d.signal(syscall.SIGTERM, 30*time.Second)
}

func (d *Daemon) signal(sig syscall.Signal, wait time.Duration) {
	if d.cmd == nil {
		return
	}
	select {
	case <-d.done:
		return
	default:
	}
	d.cmd.Process.Signal(sig)
	if sig != syscall.SIGKILL {
		select {
		case <-d.done:
			return
		case <-time.After(wait):
			d.cmd.Process.Kill()
		}
	}
	<-d.done
}

// logTail is the end of the daemon's log.
func (d *Daemon) logTail() string {
	b, _ := os.ReadFile(d.log)
	const keep = 2000
	if len(b) > keep {
		b = b[len(b)-keep:]
	}
	return string(b)
}
