package bench

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Baseline is a bare net/http server doing the JSON work of the SCIM
// endpoint (decode a ~1 KB user, encode one) and nothing else: no
// authentication, no storage, no log. A daemon's throughput divided by
// the baseline's, measured in the same run, is a figure that holds on a
// noisy machine.
//
// A durable baseline also appends each POST and PUT body to a file and
// fsyncs it before answering (durableLog): what any server must at least
// do for an acknowledged write to survive a crash, on this machine's disk.
// The daemon's writes divided by its is how close they come to the
// machine's limit.
type Baseline struct {
	URL    string // the base URL to give Config.BaseURL
	Target string // its name in results: "baseline" or "durable baseline"
	srv    *http.Server
	log    *durableLog
}

// StartBaseline serves the baseline on a loopback port. With durableDir
// set, it is a durable baseline keeping its log in a new file in that
// directory, which Close removes.
func StartBaseline(durableDir string) (*Baseline, error) {
	b := &Baseline{Target: "baseline"}
	if durableDir != "" {
		l, err := openDurableLog(durableDir)
		if err != nil {
			return nil, err
		}
		b.log, b.Target = l, "durable baseline"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		if b.log != nil {
			b.log.Close()
		}
		return nil, err
	}
	b.URL = "http://" + ln.Addr().String() + "/scim/v2/baseline"
	b.srv = &http.Server{Handler: http.HandlerFunc(b.serve), ReadHeaderTimeout: 10 * time.Second}
	go b.srv.Serve(ln)
	return b, nil
}

// Close stops the baseline server and removes its log.
func (b *Baseline) Close() error {
	err := b.srv.Close()
	if b.log != nil {
		if lerr := b.log.Close(); err == nil {
			err = lerr
		}
	}
	return err
}

// response is what the daemon sends back for a user, in size and shape.
func response(userName string) map[string]any {
	var m map[string]any
	json.Unmarshal(User(userName, true), &m)
	m["id"] = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
	m["meta"] = map[string]any{"resourceType": "User", "created": "2026-11-22T09:00:00Z", "lastModified": "2026-11-22T09:00:00Z",
		"location": "http://127.0.0.1/scim/v2/baseline/Users/9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d", "version": `W/"1"`}
	return m
}

func (b *Baseline) serve(w http.ResponseWriter, r *http.Request) {
	var out any
	status := http.StatusOK
	switch {
	case r.Method == http.MethodPost || r.Method == http.MethodPut:
		var in map[string]any
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err := json.Unmarshal(body, &in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if b.log != nil {
			if err := b.log.Append(append(body, '\n')); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		name, _ := in["userName"].(string)
		out = response(name)
		if r.Method == http.MethodPost {
			status = http.StatusCreated
		}
	case r.URL.Query().Get("filter") != "":
		f := r.URL.Query().Get("filter")
		list := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:ListResponse"}, "totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": []any{}}
		if strings.Contains(f, "-prep-") { // a user that exists in the scenario
			list["totalResults"], list["itemsPerPage"], list["Resources"] = 1, 1, []any{response("x")}
		}
		out = list
	default:
		out = response("x")
	}
	w.Header().Set("Content-Type", "application/scim+json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(out)
}
