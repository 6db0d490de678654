package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/reconcile-dev/reconcile/admin"
	"github.com/reconcile-dev/reconcile/internal/english"
	"github.com/reconcile-dev/reconcile/reconcile"
)

// remoteCall sends a config to a daemon's plan or apply endpoint. A
// config error answer comes back as the response with its Errors.
func (f *serverFlags) remoteCall(ctx context.Context, path string, req *admin.RemoteRequest) (*admin.RemoteResponse, int, error) {
	var resp admin.RemoteResponse
	status, err := f.callRaw(ctx, http.MethodPost, path, req, func(status int, body []byte) error {
		if err := json.Unmarshal(body, &resp); err != nil {
			return fmt.Errorf("the daemon answered %d with no plan: %s", status, strings.TrimSpace(string(body)))
		}
		return nil
	})
	return &resp, status, err
}

// remote sends a config to a daemon to plan or apply. Errors in the
// config are printed positioned, as validate does, and end the command
// with status 1.
func (c *cli) remote(ctx context.Context, sf *serverFlags, path string, req *admin.RemoteRequest) (*admin.RemoteResponse, error) {
	resp, status, err := sf.remoteCall(ctx, path, req)
	if err != nil {
		return nil, err
	}
	switch {
	case len(resp.Errors) > 0:
		if c.jsonErrors {
			if err := reconcile.ConfigErrorsJSON(c.stdout, "", resp.Errors); err != nil {
				return nil, err
			}
		}
		for _, e := range resp.Errors {
			fmt.Fprintln(c.stderr, e)
		}
		fmt.Fprintf(c.stderr, "\n%d %s in %s (checked by the daemon at %s)\n", len(resp.Errors), english.Plural(len(resp.Errors), "error", "errors"), req.Dir, sf.url)
		return nil, exitCode(1)
	case resp.Plan == nil && resp.Error != "":
		return nil, fmt.Errorf("the daemon answered %d %s: %s", status, http.StatusText(status), resp.Error)
	case resp.Plan == nil:
		return nil, fmt.Errorf("the daemon answered %d %s with no plan", status, http.StatusText(status))
	}
	return resp, nil
}
