package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"
)

// cmdHalfDone is a command type for tests only: it appends its event to
// the sync log and then fails, as a handler refusing a command halfway
// through would.
const cmdHalfDone = "test.halfdone"

func applyHalfDoneTxn(tx *memdb.Txn, index uint64, cmd *Command) error {
	if err := applySyncEventTxn(tx, index, cmd); err != nil {
		return err
	}
	return errors.New("refused halfway")
}

// TestApplyBatch checks that applying a batch of commands in one go gives
// the results and the state that applying them one by one gives, whatever
// fails in the batch and wherever.
func TestApplyBatch(t *testing.T) {
	handlers[cmdHalfDone] = applyHalfDoneTxn
	t.Cleanup(func() { delete(handlers, cmdHalfDone) })

	user := func(id, name string) *Command {
		return &Command{Type: CmdUserWrite, Time: testTime, UserWrite: &UserWrite{
			Provider: "p",
			User:     &User{ID: id, Provider: "p", UserName: name, Organization: "o"},
			Event:    &SyncEvent{Source: "scim", Action: "user.create", Outcome: "success", Provider: "p"},
		}}
	}
	event := func(typ, detail string) *Command {
		return &Command{Type: typ, Time: testTime, SyncEvent: &SyncEvent{Source: "test", Action: "test", Outcome: "success", Detail: detail}}
	}
	encode := func(cmds ...any) []*raft.Log {
		var logs []*raft.Log
		for i, c := range cmds {
			l := &raft.Log{Index: uint64(10 + i), Type: raft.LogCommand}
			switch c := c.(type) {
			case *Command:
				l.Data, _ = json.Marshal(c)
			case raft.LogType:
				l.Type = c
			case string:
				l.Data = []byte(c)
			}
			logs = append(logs, l)
		}
		return logs
	}
	tests := []struct {
		name string
		logs []*raft.Log
	}{
		{"all apply", encode(user("u1", "a"), user("u2", "b"), event(CmdSyncEvent, "x"), user("u3", "c"))},
		{"one refused halfway", encode(user("u1", "a"), event(CmdSyncEvent, "x"), event(cmdHalfDone, "half"), user("u2", "b"), event(CmdSyncEvent, "y"))},
		{"first refused", encode(event(cmdHalfDone, "half"), user("u1", "a"), user("u2", "b"))},
		{"last refused", encode(user("u1", "a"), user("u2", "b"), event(cmdHalfDone, "half"))},
		{"refused in a row", encode(event(cmdHalfDone, "1"), event(cmdHalfDone, "2"), user("u1", "a"), event(cmdHalfDone, "3"), user("u2", "b"))},
		{"conflict within the batch", encode(user("u1", "a"), user("u2", "a"), user("u3", "b"))},
		{"not commands", encode(raft.LogBarrier, user("u1", "a"), "{not json", raft.LogNoop, event("no.such.type", ""), user("u2", "b"))},
		{"one command", encode(user("u1", "a"))},
		{"a replay's batch, decoded ahead in chunks", encode(func() []any {
			var cmds []any
			for i := range 3*replayChunk + 7 {
				switch {
				case i%97 == 5:
					cmds = append(cmds, event(cmdHalfDone, fmt.Sprint(i)))
				case i%131 == 7:
					cmds = append(cmds, user(fmt.Sprint("dup", i), "u3")) // userName taken
				case i%150 == 0:
					cmds = append(cmds, raft.LogBarrier, "{not json")
				default:
					cmds = append(cmds, user(fmt.Sprint("u", i), fmt.Sprint("u", i)))
				}
			}
			return cmds
		}()...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			batched, single := NewMemory(Options{}), NewMemory(Options{})
			config := configCmd(create(testOrg("o", "")), create(testProvider("p", "o")))
			for _, s := range []*Store{batched, single} {
				mustApply(t, s, config)
			}
			got := batched.fsm.ApplyBatch(tt.logs)
			if len(got) != len(tt.logs) {
				t.Fatalf("ApplyBatch returned %d results for %d logs", len(got), len(tt.logs))
			}
			for i, l := range tt.logs {
				var want *fsmResult
				if l.Type == raft.LogCommand {
					want = single.fsm.apply(l.Index, l.Data)
				}
				if diff := cmp.Diff(describe(want), describe(got[i])); diff != "" {
					t.Errorf("log %d (index %d): result differs from applying it alone (-alone +batched):\n%s", i, l.Index, diff)
				}
			}
			if diff := cmp.Diff(dump(single), dump(batched), cmp.AllowUnexported(meta{})); diff != "" {
				t.Errorf("state differs from applying one by one (-alone +batched):\n%s", diff)
			}
		})
	}
}

func describe(r any) string {
	switch r := r.(type) {
	case nil:
		return "<nil>"
	case *fsmResult:
		if r == nil {
			return "<nil>"
		}
		return fmt.Sprintf("index %d, err %v", r.index, r.err)
	}
	return fmt.Sprintf("unexpected %T", r)
}

// dump lists every object of every table.
func dump(s *Store) map[string][]any {
	tx := s.fsm.db.Load().Txn(false)
	out := map[string][]any{}
	for _, t := range snapshotTables {
		out[t.name] = snapshotObjects(tx, t.name)
	}
	return out
}

// TestGuardCountInBatch checks that the guard's percentage limit counts
// the provider's users as the command sees them, whatever batch it is
// applied in: users created earlier in the batch count, although the
// count rows are brought up to date only when the batch commits.
func TestGuardCountInBatch(t *testing.T) {
	const users, deprovisions = 20, 12
	var logs []*raft.Log
	write := func(id string, active bool, expect uint64) {
		cmd := &Command{Type: CmdUserWrite, Time: testTime, UserWrite: &UserWrite{
			Provider: "p", ExpectIndex: expect, Active: &active,
			User: &User{ID: id, Provider: "p", UserName: id, Organization: "o"},
		}}
		data, err := json.Marshal(cmd)
		if err != nil {
			t.Fatal(err)
		}
		logs = append(logs, &raft.Log{Index: uint64(10 + len(logs)), Type: raft.LogCommand, Data: data})
	}
	for i := range users {
		write(fmt.Sprint("u", i), true, 0)
	}
	for i := range deprovisions {
		write(fmt.Sprint("u", i), false, uint64(10+i))
	}
	p := testProvider("p", "o")
	p.DeactivationGuard = DeactivationGuard{Window: time.Hour, MaxPercent: 50}
	batched, single := NewMemory(Options{}), NewMemory(Options{})
	for _, s := range []*Store{batched, single} {
		mustApply(t, s, configCmd(create(testOrg("o", "")), create(p)))
	}
	got := batched.fsm.ApplyBatch(logs)
	for i, l := range logs {
		want := single.fsm.apply(l.Index, l.Data)
		if diff := cmp.Diff(describe(want), describe(got[i])); diff != "" {
			t.Errorf("log %d: result differs from applying it alone (-alone +batched):\n%s", i, diff)
		}
	}
	if diff := cmp.Diff(dump(single), dump(batched), cmp.AllowUnexported(meta{})); diff != "" {
		t.Errorf("state differs from applying one by one (-alone +batched):\n%s", diff)
	}
	// 11 of 20 is more than 50%; 10 of 20 is not.
	g := batched.View().Guard("p")
	if g == nil || !g.Tripped || !strings.HasPrefix(g.Reason, "11 of 20 users (55%)") {
		t.Errorf("guard = %+v, want tripped at 11 of 20", g)
	}
}

// TestApplyBatchRandomWrites: random SCIM-like writes of a few users
// (creates, updates built on the user's current version or on an older
// one, deprovisions and reactivations, deletes), applied in random
// batches, some handed over decoded as the leader's writers hand them,
// leave the results and the state that applying them one by one, from
// their bytes, leaves: every node of a cluster, whatever batches its
// Raft hands its FSM (the leader's, a follower's, a replay's), ends in
// the same state.
func TestApplyBatchRandomWrites(t *testing.T) {
	for seed := range uint64(16) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			single, batched := NewMemory(Options{}), NewMemory(Options{})
			config := configCmd(create(testOrg("o", "")), create(testProvider("p", "o")))
			for _, s := range []*Store{single, batched} {
				mustApply(t, s, config)
			}
			cmds, logs, want := randomUserWrites(t, rng, single, 300)
			refused, copied := 0, 0
			for k, res := range want {
				if res.err != nil {
					refused++
				}
				if handedOver(cmds[k], logs[k].Data) {
					copied++
				}
			}
			if refused == 0 || refused == len(want) || copied < len(cmds)/2 {
				t.Fatalf("%d of %d commands refused, %d handed over as copies: not what this test is for", refused, len(want), copied)
			}
			for start := 0; start < len(logs); {
				end := min(start+1+rng.IntN(2*replayChunk), len(logs))
				for k := start; k < end; k++ {
					if rng.IntN(2) == 0 {
						if err := batched.fsm.predecoded.handOver(cmds[k], logs[k].Data); err != nil {
							t.Fatal(err)
						}
					}
				}
				got := batched.fsm.ApplyBatch(logs[start:end])
				for k := start; k < end; k++ {
					batched.fsm.predecoded.release(logs[k].Data)
					if diff := cmp.Diff(describe(want[k]), describe(got[k-start])); diff != "" {
						t.Errorf("command %d (index %d): result differs from applying it alone (-alone +batched):\n%s", k, logs[k].Index, diff)
					}
				}
				start = end
			}
			if diff := cmp.Diff(dump(single), dump(batched), cmp.AllowUnexported(meta{})); diff != "" {
				t.Errorf("state differs from applying one by one (-alone +batched):\n%s", diff)
			}
		})
	}
}

// randomUserWrites makes n random writes of four users of provider p,
// each built on the state the writes before it leave in s, as a writer
// reading a caught-up node builds it, or on an older version of its
// user, as one reading a node that lags does; it applies each to s one
// by one, from its bytes, and returns the commands, their log entries
// and the results.
func randomUserWrites(t *testing.T, rng *rand.Rand, s *Store, n int) (cmds []*Command, logs []*raft.Log, results []*fsmResult) {
	t.Helper()
	versions := map[string][]uint64{}
	for i := range n {
		index := uint64(100 + i)
		id := fmt.Sprint("u", rng.IntN(4))
		cur := s.View().User(id)
		w := &UserWrite{Provider: "p", Event: &SyncEvent{Source: SourceSCIM, Action: "user.update", Outcome: OutcomeOK, Provider: "p"}}
		u := &User{ID: id, Provider: "p", UserName: id + "@acme.com", Organization: "o", Title: fmt.Sprint("t", i)}
		u.SCIM = PackResource(fmt.Appendf(nil, `{"active":true,"title":"t%d","userName":"%s@acme.com"}`, i, id))
		active := true
		switch r := rng.IntN(10); {
		case cur == nil:
			w.Event.Action = "user.create"
		case r < 5:
			w.ExpectIndex = cur.ModifyIndex
		case r < 6:
			vs := versions[id]
			w.ExpectIndex = vs[rng.IntN(len(vs))] // maybe stale
		case r < 8:
			w.ExpectIndex, active = cur.ModifyIndex, false
		case r < 9:
			w.ExpectIndex, active = cur.ModifyIndex, true
		default:
			w.ExpectIndex, active, w.LeaveGroups, u.SCIMDeleted = cur.ModifyIndex, false, true, true
			w.Event.Action = "user.delete"
		}
		w.Active, w.User = &active, u
		cmd := &Command{Type: CmdUserWrite, Time: testTime.Add(time.Duration(i) * time.Second), NameRule: nameRuleFold, UserWrite: w}
		data, err := encodeCommand(cmd)
		if err != nil {
			t.Fatal(err)
		}
		res := s.fsm.apply(index, data)
		if res.err == nil {
			versions[id] = append(versions[id], index)
		}
		cmds = append(cmds, cmd)
		logs = append(logs, &raft.Log{Index: index, Type: raft.LogCommand, Data: data})
		results = append(results, res)
	}
	return cmds, logs, results
}
