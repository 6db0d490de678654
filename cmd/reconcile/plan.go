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

// planFlags are the flags of plan.
type planFlags struct {
	cf               configFlags
	df               dataFlags
	sf               serverFlags
	detailedExitcode bool
	asJSON           bool
	allowMassDestroy bool
	drift            string
	format           string
	uf               userFlags
}

func (f *planFlags) register(cmd *cobra.Command) {
	f.cf.register(cmd)
	f.df.register(cmd)
	cmd.Flags().BoolVar(&f.detailedExitcode, "detailed-exitcode", false, "exit 0 for no changes, 1 for errors, 2 for changes")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print the plan as JSON (the same as --format json)")
	cmd.Flags().StringVar(&f.format, "format", "text", "text, markdown (a pull-request comment) or json")
	f.sf.register(cmd)
	cmd.Flags().BoolVar(&f.allowMassDestroy, "allow-mass-destroy", false, "allow one plan to destroy more than one object and more than 25% of the organizations or of the providers")
	registerDrift(cmd, &f.drift)
	f.uf.register(cmd)
}

func (c *cli) planCmd() *cobra.Command {
	var f planFlags
	cmd := &cobra.Command{
		Use:   "plan --config DIR [--server URL]",
		Short: "Show what apply would change",
		Long: `Plan compares the config in DIR with the live state in the data dir and
prints what apply would do, the way terraform plan does:

  + create          ~ update in-place          - destroy

with "old -> new" for each changed attribute, and the summary line
"Plan: N to add, M to change, K to destroy." Secrets are never printed.

Then the users the plan changes, computed against the live state by the
code apply runs, by provider: organizations moved by a group mapping's
rule or fallback, roles, users whose provider is destroyed (they become
local users), deactivation deadlines and purge dates that move with
deactivationDelay and coldStoragePeriod, and deactivations a relaxed
deactivationGuard releases. More than 10 users of a provider are counted
by change; --users (--show-users=all) lists each.

A plan that must not be applied (destroying a protected organization, one
that still has users, a provider that still owns users, or more than one
object and more than 25% of the organizations or of the providers at once,
unless --allow-mass-destroy; moving, deactivating or purging at once more
of a provider's users than its massMoveGuard allows, unless
--allow-mass-move) is printed with its errors and exits 1.

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
			return c.plan(cmd, &f)
		},
	}
	f.register(cmd)
	return cmd
}

// check refuses flags of plan that contradict each other; --json is
// --format json.
func (f *planFlags) check(cmd *cobra.Command) error {
	if err := checkDrift(f.drift); err != nil {
		return err
	}
	if err := f.df.check(cmd); err != nil {
		return err
	}
	if err := f.uf.check(cmd); err != nil {
		return err
	}
	switch {
	case f.asJSON && cmd.Flags().Changed("format") && f.format != "json":
		return usageErrorf("--json and --format %s contradict each other", f.format)
	case f.asJSON:
		f.format = "json"
	case f.format != "text" && f.format != "markdown" && f.format != "json":
		return usageErrorf("--format: %q is not text, markdown or json", f.format)
	case f.sf.url != "" && cmd.Flags().Changed("data-dir"):
		return usageErrorf("--server and --data-dir exclude each other: plan against a daemon or a local data dir")
	}
	f.sf.orEnv(cmd)
	return nil
}

// plan plans the config against the data dir, or on a daemon.
func (c *cli) plan(cmd *cobra.Command, f *planFlags) error {
	log, err := c.logger()
	if err != nil {
		return err
	}
	if err := f.check(cmd); err != nil {
		return err
	}
	c.jsonErrors = f.format == "json"
	l, err := c.load(cmd.Context(), &f.cf)
	if err != nil {
		return err
	}
	if f.sf.url != "" {
		return c.remotePlan(cmd.Context(), f, l)
	}
	d, err := c.desire(f.cf.dir, l)
	if err != nil {
		return err
	}
	store, err := openState(cmd.Context(), f.df.path(), true, log)
	if err != nil {
		return err
	}
	defer store.Close()
	p, err := makePlan(d, store, reconcile.GuardOptions{AllowMassDestroy: f.allowMassDestroy, AllowMassMove: f.uf.allowMassMove}, f.drift)
	if err != nil {
		return err
	}
	f.uf.apply(p)
	if err := c.writePlan(p, f.format); err != nil {
		return err
	}
	switch {
	case !p.Applyable():
		return exitCode(1)
	case f.detailedExitcode && len(p.Steps) > 0:
		return exitCode(2)
	}
	return nil
}

// writePlan prints a plan in a format; as text, with why it cannot be
// applied.
func (c *cli) writePlan(p *reconcile.Plan, format string) error {
	switch format {
	case "json":
		return p.WriteJSON(c.stdout)
	case "markdown":
		return p.WriteMarkdown(c.stdout)
	}
	err := c.writePlanText(p.WriteText)
	c.printProblems(p)
	return err
}

// remotePlan plans the config on a daemon and prints the plan.
func (c *cli) remotePlan(ctx context.Context, f *planFlags, l *loaded) error {
	format, detailedExitcode := f.format, f.detailedExitcode
	req := admin.NewRemoteRequest(l.snap, f.cf.dir)
	req.Drift, req.AllowMassDestroy = f.drift, f.allowMassDestroy
	f.uf.request(req)
	if format == "markdown" {
		req.Format = "markdown"
	}
	resp, err := c.remote(ctx, &f.sf, false, req)
	if err != nil {
		return err
	}
	switch format {
	case "json":
		if err := printJSON(c.stdout, resp.Plan); err != nil {
			return err
		}
	case "markdown":
		fmt.Fprint(c.stdout, resp.Rendered)
	default:
		if err := c.printPlan([]byte(resp.Rendered)); err != nil {
			return err
		}
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
func makePlan(d *reconcile.Desired, store *state.Store, guard reconcile.GuardOptions, drift string) (*reconcile.Plan, error) {
	live := reconcile.LiveFrom(store.View())
	p := reconcile.PlanFor(d, live, drift)
	if err := reconcile.Guard(p, live, store, guard); err != nil {
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
