package state

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestCrashKeepsAcknowledgedWrites kills a process that is applying
// commands with SIGKILL (no clean shutdown, no final snapshot) and checks
// that every command it acknowledged is in the state after a restart.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	if dir := os.Getenv("STATE_CRASH_CHILD_DIR"); dir != "" {
		crashChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKeepsAcknowledgedWrites$")
		cmd.Env = append(os.Environ(), "STATE_CRASH_CHILD_DIR="+dir, fmt.Sprintf("STATE_CRASH_ROUND=%d", round))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var acked []string
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "acked "); ok {
				acked = append(acked, name)
			}
			if len(acked) == 50 {
				break // the child is still writing: kill it mid-stream
			}
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		if len(acked) < 50 {
			t.Fatalf("round %d: child acknowledged only %d writes before dying", round, len(acked))
		}

		s, err := Open(context.Background(), dir, Options{})
		if err != nil {
			t.Fatalf("round %d: reopening after SIGKILL: %v", round, err)
		}
		for _, name := range acked {
			if s.View().Organization(name) == nil {
				t.Errorf("round %d: acknowledged organization %s is missing after SIGKILL", round, name)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// crashChild applies commands forever, printing each acknowledged one.
func crashChild(dir string) {
	s, err := Open(context.Background(), dir, Options{SnapshotThreshold: 64})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	round, _ := strconv.Atoi(os.Getenv("STATE_CRASH_ROUND"))
	w := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		name := fmt.Sprintf("r%d-%06d", round, i)
		if _, err := s.Apply(context.Background(), configCmd(create(testOrg(name, "")))); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(3)
		}
		fmt.Fprintf(w, "acked %s\n", name)
		w.Flush()
	}
}
