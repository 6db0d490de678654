package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
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

// checkUser checks one user on every node: in SCIM, and its state in the
// product, which the same command changes (a deprovision blocks it). A
// problem names what every node holds, with its version.
func checkUser(lc *loadClient, c *testCluster, u *ownUser) error {
	states := make([]userState, len(c.nodes))
	held := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		a, err := read(func() answer { return lc.do(n, http.MethodGet, "/Users/"+u.id, "") })
		if err != nil {
			return fmt.Errorf("user %s (%s) on %s: GET: %v", u.id, u.userName, n.id, err)
		}
		states[i] = userState{gone: true}
		if a.outcome == acked {
			title, _ := a.body["title"].(string)
			states[i] = userState{title: title, active: a.body["active"] == true}
		}
		meta, _ := a.body["meta"].(map[string]any)
		held[i] = fmt.Sprintf("%s %v (version %v)", n.id, states[i], meta["version"])
	}
	for i, n := range c.nodes {
		s := states[i]
		switch {
		case !slices.Contains(u.states, s):
			return fmt.Errorf("user %s (%s) on %s is %v, but its acknowledged writes leave it %v: a write was lost (%s)", u.id, u.userName, n.id, s, u.states, strings.Join(held, "; "))
		case s != states[0]:
			return fmt.Errorf("user %s (%s) is %v on %s but %v on %s (%s)", u.id, u.userName, states[0], c.nodes[0].id, s, n.id, strings.Join(held, "; "))
		}
		a, err := read(func() answer { return lc.admin(n, http.MethodGet, "/users/"+u.id) })
		if err != nil || a.outcome != acked {
			return fmt.Errorf("user %s (%s) on %s: the admin API's GET: %d %v", u.id, u.userName, n.id, a.status, err)
		}
		want := "active"
		if s.gone || !s.active {
			want = "blocked" // deactivated only after the provider's delay (24 h)
		}
		if a.body["state"] != want {
			return fmt.Errorf("user %s (%s) on %s is %v in SCIM but %v in the product, want %s: half a command", u.id, u.userName, n.id, s, a.body["state"], want)
		}
	}
	return nil
}

// read sends a read until the node answers it (not 503), for 5 s at most.
func read(send func() answer) (answer, error) {
	for attempt := 0; ; attempt++ {
		a := send()
		if a.outcome == acked || a.outcome == absent {
			return a, nil
		}
		if attempt == 50 {
			return a, fmt.Errorf("%d %s", a.status, a.why)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
