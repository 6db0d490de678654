package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/anishathalye/porcupine"
)

// The linearizability check of TestClusterUnderLoad: the history of the
// shared users' title, as its workers wrote (PUT, PATCH) and read (GET)
// it on every node, against a register per user, with porcupine (the
// checker etcd's robustness tests use).

// titleOp is a read or a write of one user's title.
type titleOp struct {
	user  string
	write bool
	value string // written
}

// titleModel is a register per user, each starting at sharedValues[0]
// (the title the user is created with).
var titleModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		by := map[string]int{}
		var parts [][]porcupine.Operation
		for _, op := range history {
			user := op.Input.(titleOp).user
			i, ok := by[user]
			if !ok {
				i = len(parts)
				by[user] = i
				parts = append(parts, nil)
			}
			parts[i] = append(parts[i], op)
		}
		return parts
	},
	Init: func() any { return sharedValues[0] },
	Step: func(state, input, output any) (bool, any) {
		in := input.(titleOp)
		if in.write {
			return true, in.value
		}
		return output.(string) == state.(string), state
	},
	DescribeOperation: func(input, output any) string {
		in := input.(titleOp)
		if in.write {
			return fmt.Sprintf("write(%q)", in.value)
		}
		return fmt.Sprintf("read() -> %q", output)
	},
	DescribeState: func(state any) string { return fmt.Sprintf("%q", state) },
}

// titleHistory is the shared users' part of calls, as porcupine takes it:
// a write whose outcome is unknown may take effect at any time after its
// call, so it returns at the end of the history; requests that were not
// applied, and reads that got no value, are left out.
func titleHistory(calls []call) []porcupine.Operation {
	var end int64
	for _, c := range calls {
		end = max(end, c.end)
	}
	var ops []porcupine.Operation
	for _, c := range calls {
		if !c.shared {
			continue
		}
		op := porcupine.Operation{ClientId: c.worker - ownWorkers, Input: titleOp{user: c.user, write: c.write(), value: c.value}, Call: c.start, Return: c.end,
			Metadata: fmt.Sprintf("%s on n%d: %d", c.method, c.node+1, c.status)}
		switch {
		case c.outcome == unknown && c.write():
			op.Return = end + 1
		case c.outcome != acked:
			continue
		}
		if !c.write() {
			op.Output = c.value
		}
		ops = append(ops, op)
	}
	return ops
}

// checkLinearizable checks the shared users' history; when it is not
// linearizable it writes porcupine's visualization to dir and says where.
func checkLinearizable(calls []call, dir string, round int) (int, error) {
	ops := titleHistory(calls)
	res, info := porcupine.CheckOperationsVerbose(titleModel, ops, 2*time.Minute)
	if res == porcupine.Ok {
		return len(ops), nil
	}
	path := filepath.Join(dir, fmt.Sprintf("linearizability-round-%d.html", round))
	if err := porcupine.VisualizePath(titleModel, info, path); err != nil {
		return len(ops), fmt.Errorf("porcupine: %s, and its visualization failed: %v", res, err)
	}
	return len(ops), fmt.Errorf("porcupine: the history of %d reads and writes of the shared users' title is %s (not linearizable, or not decided in time): see %s", len(ops), res, path)
}

// writeHistory writes every request of a round and its answer to dir, a
// JSON object a line, and returns the file's path.
func writeHistory(calls []call, dir string, round int) (string, error) {
	path := filepath.Join(dir, fmt.Sprintf("history-round-%d.jsonl", round))
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	enc := json.NewEncoder(f)
	outcomes := map[outcome]string{acked: "acknowledged", absent: "404", notApplied: "not applied", unknown: "unknown", invalid: "invalid"}
	for _, c := range calls {
		enc.Encode(map[string]any{
			"worker": c.worker, "node": fmt.Sprintf("n%d", c.node+1), "method": c.method, "user": c.user, "value": c.value,
			"status": c.status, "outcome": outcomes[c.outcome], "why": c.why, "startMs": float64(c.start) / 1e6, "endMs": float64(c.end) / 1e6,
		})
	}
	return path, f.Close()
}
