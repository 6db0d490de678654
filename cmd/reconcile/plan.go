package main

import (
	"context"
	"fmt"

	"github.com/reconcile-dev/reconcile/admin"
	"github.com/reconcile-dev/reconcile/internal/english"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/state"
	"github.com/spf13/cobra"
)

func (c *cli) planCmd() *cobra.Command {
	var (
		cf               configFlags
		df               dataFlags
		detailedExitcode bool
		asJSON           bool
		allowMassDestroy bool
		drift            string
		format           string
		sf               serverFlags
	)
	cmd := &cobra.Command{
		Use:   "plan --config DIR [--server URL]",
		Short: "Show what apply would change",
		Long: `Plan compares the config in DIR with the live state in the data dir and
prints what apply would do, the way terraform plan does:

  + create          ~ update in-place          - destroy

with "old -> new" for each changed attribute, and the summary line
"Plan: N to add, M to change, K to destroy." Secrets are never printed.

A plan that must not be applied (destroying a protected organization, one
that still has users, a provider that still owns users, or more than one
object and more than 25% of the organizations or of the providers at once,
unless --allow-mass-destroy) is printed with its errors and exits 1.

Objects admins changed through the admin API since config last applied
them are drift: listed first, under "Note: Objects have changed outside of
config", and kept (--drift=report, the daemon's default) unless the config
changed the same field, or reverted (--drift=correct).

Plan changes nothing. If the data dir does not exist yet, the plan is
against an empty state.

With --server, the config is planned on a running daemon, against its live
state and with its secrets (auth.secretFrom resolves there): what merging
the config would do, drift included. --format markdown prints the plan as
a pull-request comment, Atlantis' way: the summary line on top, the plan
in a diff block with ! for updates.

Exit status: 0 success, 1 error; with --detailed-exitcode, 0 no changes,
1 error, 2 changes present.`,
		Example: `  reconcile plan --config examples/quickstart

  # In CI: fail on errors, detect changes.
  reconcile plan --config config/ --detailed-exitcode; echo $?

  # Machine-readable (Terraform's JSON plan keys; see README).
  reconcile plan --config config/ --json | jq '.resource_changes[].change.actions'

  # In a pull request: what merging would do to the live daemon.
  reconcile plan --config config/ --server https://reconcile.example.com --format markdown > plan.md`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := c.logger()
			if err != nil {
				return err
			}
			if err := checkDrift(drift); err != nil {
				return err
			}
			if err := df.check(cmd); err != nil {
				return err
			}
			switch {
			case asJSON && cmd.Flags().Changed("format") && format != "json":
				return usageErrorf("--json and --format %s contradict each other", format)
			case asJSON:
				format = "json"
			case format != "text" && format != "markdown" && format != "json":
				return usageErrorf("--format: %q is not text, markdown or json", format)
			case sf.url != "" && cmd.Flags().Changed("data-dir"):
				return usageErrorf("--server and --data-dir exclude each other: plan against a daemon or a local data dir")
			}
			sf.orEnv(cmd)
			c.jsonErrors = format == "json"
			l, err := c.load(cmd.Context(), &cf)
			if err != nil {
				return err
			}
			var p *reconcile.Plan
			if sf.url != "" {
				return c.remotePlan(cmd.Context(), &sf, &cf, l, format, drift, allowMassDestroy, detailedExitcode)
			}
			d, err := c.desire(cf.dir, l)
			if err != nil {
				return err
			}
			store, err := openState(cmd.Context(), df.path(), true, log)
			if err != nil {
				return err
			}
			defer store.Close()
			p, err = makePlan(d, store, allowMassDestroy, drift)
			if err != nil {
				return err
			}
			switch format {
			case "json":
				err = p.WriteJSON(c.stdout)
			case "markdown":
				err = p.WriteMarkdown(c.stdout)
			default:
				err = p.WriteText(c.stdout)
				c.printProblems(p)
			}
			if err != nil {
				return err
			}
			switch {
			case !p.Applyable():
				return exitCode(1)
			case detailedExitcode && len(p.Steps) > 0:
				return exitCode(2)
			}
			return nil
		},
	}
	cf.register(cmd)
	df.register(cmd)
	cmd.Flags().BoolVar(&detailedExitcode, "detailed-exitcode", false, "exit 0 for no changes, 1 for errors, 2 for changes")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON (the same as --format json)")
	cmd.Flags().StringVar(&format, "format", "text", "text, markdown (a pull-request comment) or json")
	sf.register(cmd)
	cmd.Flags().BoolVar(&allowMassDestroy, "allow-mass-destroy", false, "allow one plan to destroy more than one object and more than 25% of the organizations or of the providers")
	registerDrift(cmd, &drift)
	return cmd
}

// remotePlan plans the config on a daemon and prints the plan.
func (c *cli) remotePlan(ctx context.Context, sf *serverFlags, cf *configFlags, l *loaded, format, drift string, allowMassDestroy, detailedExitcode bool) error {
	req := admin.NewRemoteRequest(l.snap, cf.dir)
	req.Drift, req.AllowMassDestroy = drift, allowMassDestroy
	if format == "markdown" {
		req.Format = "markdown"
	}
	resp, err := c.remote(ctx, sf, false, req)
	if err != nil {
		return err
	}
	switch format {
	case "json":
		if err := printJSON(c.stdout, resp.Plan); err != nil {
			return err
		}
	default:
		fmt.Fprint(c.stdout, resp.Rendered)
		if format == "text" {
			c.printProblemList(resp.Plan.Errors)
		}
	}
	switch {
	case !resp.Plan.Applyable:
		return exitCode(1)
	case detailedExitcode && resp.Plan.Summary.Add+resp.Plan.Summary.Change+resp.Plan.Summary.Destroy > 0:
		return exitCode(2)
	}
	return nil
}

func registerDrift(cmd *cobra.Command, drift *string) {
	cmd.Flags().StringVar(drift, "drift", reconcile.DriftReport, "changes made outside of config: report (keep them) or correct (revert them)")
}

func checkDrift(mode string) error {
	if err := reconcile.CheckDriftMode(mode); err != nil {
		return usageErrorf("%v", err)
	}
	return nil
}

// makePlan diffs the desired state against the store and guards the plan.
func makePlan(d *reconcile.Desired, store *state.Store, allowMassDestroy bool, drift string) (*reconcile.Plan, error) {
	live := reconcile.LiveFrom(store.View())
	p := reconcile.PlanFor(d, live, drift)
	if err := reconcile.Guard(p, live, store, reconcile.GuardOptions{AllowMassDestroy: allowMassDestroy}); err != nil {
		return nil, err
	}
	return p, nil
}

// printProblems prints why a plan cannot be applied.
func (c *cli) printProblems(p *reconcile.Plan) {
	c.printProblemList(p.Problems)
}

func (c *cli) printProblemList(problems []reconcile.Problem) {
	for _, pr := range problems {
		fmt.Fprintf(c.stderr, "\nError: %s\n", pr)
	}
	if len(problems) > 0 {
		fmt.Fprintf(c.stderr, "\nThe plan cannot be applied: %d %s above.\n", len(problems), english.Plural(len(problems), "problem", "problems"))
	}
}
