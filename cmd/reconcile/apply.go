package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/admin"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func (c *cli) applyCmd() *cobra.Command {
	var (
		cf               configFlags
		df               dataFlags
		autoApprove      bool
		allowMassDestroy bool
		drift            string
		sf               serverFlags
		uf               userFlags
		wait             bool
		timeout          time.Duration
	)
	cmd := &cobra.Command{
		Use:   "apply --config DIR [--server URL]",
		Short: "Apply the config to the live state, after showing the plan",
		Long: `Apply plans like "reconcile plan", shows the plan, asks for approval, and
then applies every change as one atomic, durable command: either all of it
takes effect or none does.

Only "yes" approves. Without a terminal to ask on, --auto-approve is
required. A plan with errors is never applied.

Providers whose config names no secret (auth.secretFrom) get a generated
one, printed once after the apply; only a salted hash is stored, so store
the secret in the identity provider right away.

With --server, the config is pushed to a running daemon started with
--push: planned there, shown, and applied only if the plan is still the
one approved. A daemon that follows a directory or a git branch refuses:
its config changes where it lives. With --wait, apply then waits until
the daemon reports the revision applied, as "reconcile wait" does.`,
		Example: `  reconcile apply --config examples/quickstart

  # Non-interactively, e.g. in CD after the plan was reviewed:
  reconcile apply --config config/ --auto-approve

  # Push to a daemon that takes its config from reconcile apply:
  reconcile apply --config config/ --server https://reconcile.example.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := c.logger()
			if err != nil {
				return err
			}
			if err := cmp.Or(checkDrift(drift), df.check(cmd), uf.check(cmd)); err != nil {
				return err
			}
			if sf.url != "" && cmd.Flags().Changed("data-dir") {
				return usageErrorf("--server and --data-dir exclude each other: apply to a daemon or to a local data dir")
			}
			sf.orEnv(cmd)
			l, err := c.load(cmd.Context(), &cf)
			if err != nil {
				return err
			}
			opts := applyOptions{drift: drift, allowMassDestroy: allowMassDestroy, autoApprove: autoApprove, uf: &uf, wait: wait, timeout: timeout}
			if sf.url != "" {
				return c.remoteApplyWait(cmd.Context(), &sf, &cf, l, opts)
			}
			if wait {
				return usageErrorf("--wait is for apply --server: a local apply is done when it returns")
			}
			return c.localApply(cmd.Context(), cf.dir, df.path(), l, log, opts)
		},
	}
	cf.register(cmd)
	df.register(cmd)
	cmd.Flags().BoolVar(&autoApprove, "auto-approve", false, "apply without asking for approval")
	cmd.Flags().BoolVar(&allowMassDestroy, "allow-mass-destroy", false, "allow one plan to destroy more than one object and more than 25% of the organizations or of the providers")
	registerDrift(cmd, &drift)
	sf.register(cmd)
	uf.register(cmd)
	cmd.Flags().BoolVar(&wait, "wait", false, "with --server: then wait until the daemon reports the revision applied")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "with --wait: how long to wait")
	return cmd
}

// localApply plans the config against the data dir, asks, and applies it.
func (c *cli) localApply(ctx context.Context, dir, dataDir string, l *loaded, log *slog.Logger, opts applyOptions) error {
	d, err := c.desire(dir, l)
	if err != nil {
		return err
	}
	store, err := openState(ctx, dataDir, false, log)
	if err != nil {
		return err
	}
	defer store.Close()
	p, err := makePlan(d, store, reconcile.GuardOptions{AllowMassDestroy: opts.allowMassDestroy, AllowMassMove: opts.uf.allowMassMove}, opts.drift)
	if err != nil {
		return err
	}
	opts.uf.apply(p)
	if err := c.writePlanText(p.WriteText); err != nil {
		return err
	}
	if !p.Applyable() {
		c.printProblems(p)
		return exitCode(1)
	}
	if len(p.Steps) > 0 && !opts.autoApprove {
		if err := c.approve(); err != nil {
			return err
		}
	}
	p.Trigger = "apply by " + actor()
	out, err := reconcile.Apply(ctx, store, p)
	if err != nil {
		return fmt.Errorf("apply failed, nothing was changed: %w", err)
	}
	c.printApplied(localBaseURL)(p, out)
	return nil
}

// applyOptions are what apply's flags ask of a local or remote apply.
type applyOptions struct {
	drift                         string
	allowMassDestroy, autoApprove bool
	uf                            *userFlags
	// wait: then wait until the daemon reports the revision applied.
	wait    bool
	timeout time.Duration
}

// remoteApplyWait is remoteApply, then (opts.wait) waiting until the
// daemon reports the revision applied.
func (c *cli) remoteApplyWait(ctx context.Context, sf *serverFlags, cf *configFlags, l *loaded, opts applyOptions) error {
	applied, err := c.remoteApply(ctx, sf, cf, l, opts)
	if err != nil || !applied || !opts.wait {
		// Nothing applied: the config is live already.
		return err
	}
	cl, err := sf.client()
	if err != nil {
		return err
	}
	return c.waitRevision(ctx, cl, l.snap.Revision, opts.timeout, time.Second, false)
}

// remoteApply plans the config on a daemon, asks, and applies it there;
// applied is false for a plan without changes.
func (c *cli) remoteApply(ctx context.Context, sf *serverFlags, cf *configFlags, l *loaded, opts applyOptions) (applied bool, err error) {
	req := admin.NewRemoteRequest(l.snap, cf.dir)
	req.Drift, req.AllowMassDestroy = opts.drift, opts.allowMassDestroy
	opts.uf.request(req)
	plan, err := c.remote(ctx, sf, false, req)
	if err != nil {
		return false, err
	}
	if plan.Follows != "" {
		// Refused before a plan is shown for approval it could not use.
		return false, fmt.Errorf("%s", admin.FollowsError(plan.Follows))
	}
	if err := c.printPlan([]byte(plan.Rendered)); err != nil {
		return false, err
	}
	if !plan.Plan.Applyable {
		c.printProblemList(plan.Plan.Errors)
		return false, exitCode(1)
	}
	changes := plan.Plan.Summary.Add + plan.Plan.Summary.Change + plan.Plan.Summary.Destroy
	if changes == 0 {
		return false, nil
	}
	if !opts.autoApprove {
		if err := c.approve(); err != nil {
			return false, err
		}
	}
	req.PlanDigest = plan.PlanDigest
	out, err := c.remote(ctx, sf, true, req)
	if err != nil {
		return false, err
	}
	if !out.Applied {
		return false, fmt.Errorf("not applied: %s", out.Error)
	}
	s := out.Plan.Summary
	fmt.Fprintf(c.stdout, "\nApply complete! Resources: %d added, %d changed, %d destroyed.\n", s.Add, s.Change, s.Destroy)
	fmt.Fprintf(c.stdout, "Applied revision: %s\n", out.Plan.ConfigRevision)
	for _, cr := range out.Credentials {
		c.printCredentials(cr, strings.TrimSuffix(sf.url, "/"))
	}
	return true, nil
}

// approve asks on the terminal, as Terraform does; only "yes" approves.
// Anything else cancels: it says so and ends the command with status 1.
func (c *cli) approve() error {
	f, ok := c.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return fmt.Errorf("cannot ask for approval: standard input is not a terminal; review the plan above and re-run with --auto-approve to apply it")
	}
	fmt.Fprint(c.stdout, `
Do you want to perform these actions?
  Reconcile will perform the actions described above.
  Only 'yes' will be accepted to approve.

  Enter a value: `)
	answer, err := bufio.NewReader(c.stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return err
	}
	if strings.TrimSpace(answer) != "yes" {
		fmt.Fprintln(c.stdout, "\nApply cancelled.")
		return exitCode(1)
	}
	return nil
}

// localBaseURL is the base URL of a daemon on this machine, as apply to a
// data dir can only guess it: serve's default --listen.
const localBaseURL = "http://127.0.0.1:8080"

// printApplied returns what shows an apply's result, Terraform's way,
// whatever the log level (nothing is applied unseen), and the credentials
// it generated, once, with the SCIM base URLs under base (the daemon's
// URL).
func (c *cli) printApplied(base string) func(p *reconcile.Plan, out *reconcile.Outcome) {
	return func(p *reconcile.Plan, out *reconcile.Outcome) {
		w := c.stdout
		if len(p.Steps) > 0 {
			fmt.Fprintln(w)
		}
		for _, s := range p.Steps {
			done := map[reconcile.Action]string{
				reconcile.ActionCreate: "Creation complete",
				reconcile.ActionUpdate: "Modifications complete",
				reconcile.ActionDelete: "Destruction complete",
			}[s.Action]
			fmt.Fprintf(w, "%s: %s\n", s.Address(), done)
		}
		add, change, destroy := p.Summary()
		fmt.Fprintf(w, "\nApply complete! Resources: %d added, %d changed, %d destroyed.\n", add, change, destroy)
		fmt.Fprintf(w, "Applied revision: %s\n", p.Revision)
		for _, cr := range out.Credentials {
			c.printCredentials(cr, base)
		}
	}
}

// printCredentials shows generated credentials, the only time they are
// ever shown: on standard output, never in logs. base is the daemon's
// URL.
func (c *cli) printCredentials(cr reconcile.Credentials, base string) {
	w := c.stdout
	fmt.Fprintf(w, "\nGenerated credentials for provider.%s. They are shown only this once: only a hash is\nstored. Enter them in the identity provider now.\n", cr.Provider)
	note := ""
	if base == localBaseURL {
		note = " (a daemon on this machine with serve's default --listen; behind a proxy, its --external-url)"
	}
	fmt.Fprintf(w, "  SCIM base URL:  %s/scim/v2/%s/%s\n", base, cr.Provider, note)
	if cr.AuthType == "basic" {
		fmt.Fprintf(w, "  Authentication: Basic (the console's \"API credentials\")\n  Username:       %s\n  Password:       %s\n", cr.Username, cr.Secret)
	} else {
		fmt.Fprintf(w, "  Authentication: Bearer (the console's \"OAuth token\")\n  Token:          %s\n", cr.Secret)
	}
}
