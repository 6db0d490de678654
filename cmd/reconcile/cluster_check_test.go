package main

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// checkUsers reads every user on every node, and returns a problem for
// each that is not what its acknowledged writes (and those of unknown
// outcome) leave it, or that the nodes disagree on: a lost write.
func checkUsers(lc *loadClient, c *testCluster, users []*ownUser) []string {
	var mu sync.Mutex
	var problems []string
	jobs := make(chan *ownUser)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range jobs {
				if err := checkUser(lc, c, u); err != nil {
					mu.Lock()
					problems = append(problems, err.Error())
					mu.Unlock()
				}
			}
		}()
	}
	for _, u := range users {
		jobs <- u
	}
	close(jobs)
	wg.Wait()
	slices.Sort(problems)
	return problems
}

// checkUser checks one user on every node.
func checkUser(lc *loadClient, c *testCluster, u *ownUser) error {
	var first userState
	for i, n := range c.nodes {
		s, err := readUser(lc, n, u.id)
		switch {
		case err != nil:
			return fmt.Errorf("user %s (%s) on %s: %v", u.id, u.userName, n.id, err)
		case !slices.Contains(u.states, s):
			return fmt.Errorf("user %s (%s) on %s is %v, but its acknowledged writes leave it %v: a write was lost", u.id, u.userName, n.id, s, u.states)
		case i > 0 && s != first:
			return fmt.Errorf("user %s (%s) is %v on %s but %v on %s", u.id, u.userName, first, c.nodes[0].id, s, n.id)
		}
		first = s
	}
	return nil
}

// readUser reads a user on node n, as SCIM shows it; it retries while
// the node cannot answer (503).
func readUser(lc *loadClient, n *clusterNode, id string) (userState, error) {
	for attempt := 0; ; attempt++ {
		a := lc.do(n, http.MethodGet, "/Users/"+id, "")
		switch a.outcome {
		case acked:
			title, _ := a.body["title"].(string)
			return userState{title: title, active: a.body["active"] == true}, nil
		case absent:
			return userState{gone: true}, nil
		}
		if attempt == 50 {
			return userState{}, fmt.Errorf("GET: %d %s", a.status, a.why)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
