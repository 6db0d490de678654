package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/reconcile-dev/reconcile/admin"
	"github.com/reconcile-dev/reconcile/internal/english"
	"github.com/reconcile-dev/reconcile/reconcile"
)

// remote sends a config to a daemon to plan or apply. Errors in the
// config are printed positioned, as validate does, and end the command
// with status 1.
func (c *cli) remote(ctx context.Context, sf *serverFlags, apply bool, req *admin.RemoteRequest) (*admin.RemoteResponse, error) {
	cl, err := sf.client()
	if err != nil {
		return nil, err
	}
	call := cl.Plan
	if apply {
		call = cl.Apply
	}
	resp, status, err := call(ctx, req)
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
