package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/reconcile-dev/reconcile/admin"
	"github.com/reconcile-dev/reconcile/internal/loopport"
)

// The testscript commands of scripts that run a cluster of daemons:
//
//	freeports NAME...          set each $NAME to a free loopback port, all
//	                           of them different
//	waitleader URL...          wait until the nodes at URL (their --listen)
//	                           agree on a leader, each lists itself, and
//	                           every member answers as leader or follower;
//	                           set $LEADER to the leader's id, $LEADER_URL
//	                           to its URL and $FOLLOWER_URL to the first
//	                           other URL (up to 20s)
func init() {
	scriptCmds["freeports"] = cmdFreePorts
	scriptCmds["waitleader"] = cmdWaitLeader
}

func cmdFreePorts(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: freeports NAME...")
	}
	for _, name := range args {
		port, err := loopport.Free()
		ts.Check(err)
		ts.Setenv(name, strconv.Itoa(port))
	}
}

func cmdWaitLeader(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: waitleader URL...")
	}
	var why string
	var leader string
	var statuses []admin.ClusterStatus
	if !poll(50*time.Millisecond, func() bool {
		statuses, why = nil, ""
		for _, url := range args {
			st, err := clusterStatus(ts, url)
			if err != nil {
				why = err.Error()
				return false
			}
			statuses = append(statuses, st)
		}
		leader, why = agreedLeader(statuses)
		return why == ""
	}) {
		ts.Fatalf("no leader all of %v agree on within %v: %s", args, waitFor, why)
	}
	leaderURL, followerURL := "", ""
	for i, st := range statuses {
		switch {
		case st.NodeID == leader:
			leaderURL = args[i]
		case followerURL == "":
			followerURL = args[i]
		}
	}
	ts.Setenv("LEADER", leader)
	ts.Setenv("LEADER_URL", leaderURL)
	ts.Setenv("FOLLOWER_URL", followerURL)
}

// clusterStatus is GET URL/api/v1/cluster with the admin token.
func clusterStatus(ts *testscript.TestScript, url string) (admin.ClusterStatus, error) {
	var st admin.ClusterStatus
	req, err := http.NewRequest("GET", url+"/api/v1/cluster", nil)
	ts.Check(err)
	req.Header.Set("Authorization", "Bearer "+ts.Getenv("RECONCILE_ADMIN_TOKEN"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("%s answers %s", url, resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// agreedLeader returns the leader the statuses agree on, or why they do
// not.
func agreedLeader(statuses []admin.ClusterStatus) (string, string) {
	leader := statuses[0].Leader
	for _, st := range statuses {
		if st.Leader == "" || st.Leader != leader {
			return "", fmt.Sprintf("%s sees leader %q, %s sees %q", statuses[0].NodeID, leader, st.NodeID, st.Leader)
		}
		self := false
		for _, m := range st.Members {
			self = self || m.ID == st.NodeID
			if want := map[bool]string{true: "leader", false: "follower"}[m.ID == leader]; m.Role != want {
				return "", fmt.Sprintf("%s sees %s as %s, not %s", st.NodeID, m.ID, m.Role, want)
			}
		}
		if !self {
			return "", st.NodeID + " does not list itself yet"
		}
	}
	return leader, ""
}
