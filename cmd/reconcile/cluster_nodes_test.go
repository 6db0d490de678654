package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/rpc"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/cluster"
)

// A cluster of daemon processes on loopback, for TestClusterUnderLoad:
// each node is a real `reconcile serve` with its own data dir, HTTP port
// and cluster port, which keep their addresses across restarts.

// clusterNode is one daemon process of the cluster.
type clusterNode struct {
	id     string
	listen string // --listen
	raft   string // --raft-listen
	data   string
	cmd    *exec.Cmd
	// exited is closed when the process has ended; down says whether the
	// test ended it (a node that exits by itself is a failure).
	exited chan struct{}
	down   bool
	paused bool
	// avail is what a load balancer's health check would say: the node
	// runs, is not paused, and was found ready.
	avail atomic.Bool
}

// url is the node's base URL.
func (n *clusterNode) url() string { return "http://" + n.listen }

// testCluster runs the nodes and says what they do.
type testCluster struct {
	t     *testing.T
	bin   string
	cfg   string
	logs  string // each node's output, appended across its restarts
	nodes []*clusterNode
	probe *http.Client

	mu      sync.Mutex
	crashed []string // nodes that exited without being told to
}

// startCluster starts size nodes that bootstrap a cluster, and waits
// until each is ready. Their logs are in logs.
func startCluster(t *testing.T, bin, logs string, size int) *testCluster {
	t.Helper()
	work := t.TempDir()
	cfg := filepath.Join(work, "cfg")
	if err := os.MkdirAll(cfg, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg, "config.yaml"), []byte(loadConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &testCluster{t: t, bin: bin, cfg: cfg, logs: logs, probe: &http.Client{Timeout: time.Second}}
	for i := range size {
		id := fmt.Sprintf("n%d", i+1)
		c.nodes = append(c.nodes, &clusterNode{id: id, listen: freeAddr(t), raft: freeAddr(t), data: filepath.Join(work, id)})
	}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			c.mu.Lock()
			running := n.cmd != nil && !n.down
			n.down = true
			c.mu.Unlock()
			if running {
				n.cmd.Process.Signal(syscall.SIGCONT)
				n.cmd.Process.Kill()
				<-n.exited
			}
		}
	})
	for _, n := range c.nodes {
		c.start(n)
	}
	if err := c.waitReady(time.Minute); err != nil {
		t.Fatalf("the cluster did not start: %v (logs in %s)", err, logs)
	}
	// The leader applies the config after the nodes are ready: until
	// then the provider does not exist.
	for _, n := range c.nodes {
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
			req, _ := http.NewRequest(http.MethodGet, n.url()+"/scim/v2/okta/Users?count=1", nil)
			req.Header.Set("Authorization", "Bearer "+loadSCIMToken)
			resp, err := c.probe.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s does not serve SCIM a minute after it started (logs in %s)", n.id, logs)
			}
		}
	}
	return c
}

// start starts n's process, which joins the cluster or, the first time,
// bootstraps it with the others.
func (c *testCluster) start(n *clusterNode) {
	c.t.Helper()
	var join []string
	for _, o := range c.nodes {
		join = append(join, o.raft)
	}
	cmd := exec.Command(c.bin, "serve", "--config", c.cfg, "--data-dir", n.data, "--listen", n.listen,
		"--node-id", n.id, "--raft-listen", n.raft, "--bootstrap-expect", fmt.Sprint(len(c.nodes)),
		"--join", strings.Join(join, ","), "--cluster-insecure", "--log-level", "info")
	cmd.Env = append(os.Environ(), "OKTA_TOKEN="+loadSCIMToken, "RECONCILE_ADMIN_TOKEN="+loadAdminToken)
	dieWithTest(cmd)
	out, err := os.OpenFile(filepath.Join(c.logs, n.id+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	defer out.Close() // the process has its own copy
	fmt.Fprintf(out, "=== test: starting %s\n", n.id)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("starting %s: %v", n.id, err)
	}
	n.cmd, n.exited, n.down, n.paused = cmd, make(chan struct{}), false, false
	go func() {
		err := cmd.Wait()
		c.mu.Lock()
		if !n.down {
			c.crashed = append(c.crashed, fmt.Sprintf("%s exited by itself: %v; its log ends:\n%s", n.id, err,
				logTail(filepath.Join(c.logs, n.id+".log"), 2048)))
		}
		c.mu.Unlock()
		close(n.exited)
	}()
}

// logTail returns the last n bytes of the file at path, or why it
// cannot: it puts the end of a node's log in the failure itself, for the
// tests whose logs' directory is gone once they have reported (a
// t.TempDir; TestClusterUnderLoad keeps its own when it fails).
func logTail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		f.Seek(st.Size()-n, io.SeekStart)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// crashes returns what nodes exited without being told to.
func (c *testCluster) crashes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.crashed...)
}

// stop ends n with sig (SIGKILL, or SIGTERM for a graceful stop) and
// waits until its process has ended.
func (c *testCluster) stop(n *clusterNode, sig syscall.Signal) error {
	c.mu.Lock()
	n.down = true
	c.mu.Unlock()
	n.avail.Store(false)
	if n.paused {
		n.cmd.Process.Signal(syscall.SIGCONT)
	}
	if err := n.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signalling %s: %w", n.id, err)
	}
	select {
	case <-n.exited:
	case <-time.After(30 * time.Second):
		// SIGQUIT: the Go runtime writes every goroutine's stack to the
		// node's log, which says what it waited for.
		n.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-n.exited:
		case <-time.After(5 * time.Second):
			n.cmd.Process.Kill()
			<-n.exited
		}
		return fmt.Errorf("%s did not stop within 30 s of %v (its goroutines are at the end of %s)", n.id, sig, filepath.Join(c.logs, n.id+".log"))
	}
	if sig == syscall.SIGTERM && !n.cmd.ProcessState.Success() {
		return fmt.Errorf("%s stopped on SIGTERM with %v", n.id, n.cmd.ProcessState)
	}
	return nil
}

// pause stops n's process with SIGSTOP, as a partition would as far as
// Raft can tell: it neither sends nor answers anything. resume ends it.
func (c *testCluster) pause(n *clusterNode) error {
	n.paused = true
	n.avail.Store(false)
	return n.cmd.Process.Signal(syscall.SIGSTOP)
}

func (c *testCluster) resume(n *clusterNode) error {
	n.paused = false
	return n.cmd.Process.Signal(syscall.SIGCONT)
}

// up returns the nodes that run and are not paused.
func (c *testCluster) up() []*clusterNode {
	var up []*clusterNode
	for _, n := range c.nodes {
		if !n.down && !n.paused {
			up = append(up, n)
		}
	}
	return up
}

// waitReady waits until every node runs and answers /readyz with 200: it
// knows a leader and has applied what it knows to be committed. A node
// is available to the load from then on, as a load balancer's health
// check would find it.
func (c *testCluster) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var notReady []string
		for _, n := range c.nodes {
			if n.down || n.paused {
				notReady = append(notReady, n.id+" (stopped)")
				continue
			}
			if resp, err := c.probe.Get(n.url() + "/readyz"); err != nil {
				notReady = append(notReady, n.id+": "+err.Error())
			} else {
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					notReady = append(notReady, fmt.Sprintf("%s: %d", n.id, resp.StatusCode))
					continue
				}
				n.avail.Store(true)
			}
		}
		if len(notReady) == 0 {
			return nil
		}
		if crashed := c.crashes(); len(crashed) > 0 {
			return errors.New(strings.Join(crashed, "; "))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v: %s", timeout, strings.Join(notReady, ", "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// leader returns the node that leads: it says so, and every other node
// that runs names it as the leader. It waits up to timeout for one.
func (c *testCluster) leader(timeout time.Duration) (*clusterNode, error) {
	deadline := time.Now().Add(timeout)
	for {
		l, why := c.agreedLeader()
		if l != nil {
			return l, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no leader after %v: %s", timeout, why)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// agreedLeader returns the leader the running nodes agree on, or why
// there is none.
func (c *testCluster) agreedLeader() (*clusterNode, string) {
	var leader *clusterNode
	var named string
	for _, n := range c.up() {
		info, err := nodeInfo(n.raft, 500*time.Millisecond)
		switch {
		case err != nil:
			return nil, fmt.Sprintf("%s: %v", n.id, err)
		case info.Leader == "":
			return nil, n.id + " knows no leader"
		case named != "" && info.Leader != named:
			return nil, fmt.Sprintf("%s names %s, another %s", n.id, info.Leader, named)
		}
		named = info.Leader
		if info.State == "Leader" {
			leader = n
		}
	}
	if leader == nil || leader.raft != named {
		return nil, "the node named leader does not say it leads"
	}
	return leader, ""
}

// nodeInfo asks the node whose cluster port is at addr who it is and who
// leads, with the cluster's Info call (plain TCP: --cluster-insecure).
func nodeInfo(addr string, timeout time.Duration) (cluster.InfoReply, error) {
	var info cluster.InfoReply
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return info, err
	}
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write([]byte{'C'}); err != nil { // a connection of calls
		conn.Close()
		return info, err
	}
	client := rpc.NewClient(conn)
	defer client.Close()
	err = client.Call("Calls.Info", struct{}{}, &info)
	return info, err
}
