package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/reconcile-dev/reconcile/admin"
	"github.com/reconcile-dev/reconcile/internal/names"
	"github.com/spf13/cobra"
)

// The verbs of the daemon's config loop, as Flux, Argo CD and Terraform
// users know them: sync, suspend, resume, approve, wait and history. Any
// node of a cluster takes them: they reach the leader's loop.

// loopCLI is what the loop's verbs share.
type loopCLI struct {
	adminCLI
	reason  string
	wait    bool
	timeout time.Duration
}

func (c *cli) loopCommand(use, short, long, example string, args cobra.PositionalArgs, run func(l *loopCLI, cmd *cobra.Command, args []string) error) (*cobra.Command, *loopCLI) {
	l := &loopCLI{adminCLI: adminCLI{cli: c}}
	cmd := &cobra.Command{Use: use, Short: short, Long: long, Example: example, Args: args,
		RunE: func(cmd *cobra.Command, args []string) error { return run(l, cmd, args) }}
	l.sf.registerDefault(cmd)
	cmd.Flags().BoolVar(&l.asJSON, "json", false, "print JSON")
	return cmd, l
}

// registerWait adds --wait and --timeout.
func (l *loopCLI) registerWait(cmd *cobra.Command, what string) {
	cmd.Flags().BoolVar(&l.wait, "wait", true, "wait until "+what+" (--wait=false: only ask)")
	cmd.Flags().DurationVar(&l.timeout, "timeout", 5*time.Minute, "with --wait: how long to wait, at most 1h")
}

// syncRequest is what --wait and --timeout ask of a run.
func (l *loopCLI) syncRequest() (admin.SyncRequest, error) {
	if l.timeout <= 0 || l.timeout > time.Hour {
		return admin.SyncRequest{}, usageErrorf("--timeout: %v is not from 1s to 1h", l.timeout)
	}
	return admin.SyncRequest{Reason: l.reason, NoWait: !l.wait, TimeoutSeconds: int(max(l.timeout.Round(time.Second), time.Second) / time.Second)}, nil
}

// run asks the daemon for a run of its loop with call (a sync, or the
// approve of revision), waiting as --wait and --timeout say, and prints
// the status after it.
func (l *loopCLI) run(cmd *cobra.Command, revision string, call func(*admin.Client, context.Context, admin.SyncRequest) (admin.SyncReport, error)) error {
	in, err := l.syncRequest()
	if err != nil {
		return err
	}
	in.Revision = revision
	cl, err := l.sf.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), l.timeout+time.Minute)
	defer cancel()
	rep, err := call(cl, ctx, in)
	if err != nil {
		return err
	}
	return l.printRun(rep)
}

// printRun prints the status after a sync or an approve; it exits 1
// unless the daemon is ready.
func (l *loopCLI) printRun(rep admin.SyncReport) error {
	if l.asJSON {
		if err := printJSON(l.stdout, rep); err != nil {
			return err
		}
	} else {
		if !rep.Waited {
			fmt.Fprintln(l.stdout, "Triggered: the daemon runs its config loop now (reconcile status says how it ends).")
		}
		l.printStatus(rep.StatusReport)
	}
	if rep.Waited && !rep.Ready {
		return exitCode(1)
	}
	return nil
}

func (c *cli) syncCmd() *cobra.Command {
	cmd, l := c.loopCommand("sync",
		"Fetch and apply the config now, and wait for the result",
		`Sync makes the daemon's config loop fetch its source and apply what it
finds now, as "flux reconcile" and "argocd app sync" do, and waits until
that run ends: the status it prints is the run's. A run that had started
before does not count: the one waited for fetched after the command.

On a cluster, any node takes it: the leader runs the loop. A suspended
daemon refuses (reconcile resume), and so does one started with --push,
which follows nothing.

Exit status: 0 when the config is applied (or was already), 1 when the
revision stalled, the fetch failed, or on an error.`,
		`  reconcile sync
  reconcile sync --timeout 10m
  reconcile sync --wait=false   # only trigger the run`,
		cobra.NoArgs,
		func(l *loopCLI, cmd *cobra.Command, args []string) error {
			return l.run(cmd, "", (*admin.Client).Sync)
		})
	l.registerWait(cmd, "the run ends")
	return cmd
}

func (c *cli) suspendCmd(resume bool) *cobra.Command {
	use, short, long := "suspend", "Stop following the config source; SCIM is served all along",
		`Suspend makes the daemon stop following its source, as "flux suspend"
does: no fetch, no apply, whatever the webhook, the directory or the poll
say, until "reconcile resume". Identity providers are served all along,
and the lifecycle's deadlines fire. The suspension is in the state: it
outlives a restart and a failover, and the sync log records who suspended
the daemon, when and why.`
	if resume {
		use, short, long = "resume", "Follow the config source again, at once",
			`Resume makes a suspended daemon follow its source again: it fetches and
applies at once. The sync log records who resumed it.`
	}
	cmd, l := c.loopCommand(use, short, long,
		"  reconcile "+use+" --reason \"change freeze until Monday\"",
		cobra.NoArgs,
		func(l *loopCLI, cmd *cobra.Command, args []string) error {
			cl, err := l.sf.client()
			if err != nil {
				return err
			}
			st, err := cl.Suspend(cmd.Context(), resume, l.reason)
			if err != nil {
				return err
			}
			if l.asJSON {
				return printJSON(l.stdout, st)
			}
			l.printStatus(st)
			return nil
		})
	cmd.Flags().StringVar(&l.reason, "reason", "", "why, for the sync log")
	return cmd
}

func (c *cli) approveCmd() *cobra.Command {
	cmd, l := c.loopCommand("approve REVISION",
		"Let one stalled revision through the mass-destroy or mass-move guard",
		`Approve lets exactly one revision through the guards that refuse a plan
destroying more than one object and more than 25% of the organizations or
of the providers at once (what --allow-mass-destroy lifts, for every
revision, when the daemon starts), or moving, deactivating or purging more
of a provider's users at once than its massMoveGuard allows (what
--allow-mass-move lifts): the revision the daemon last read, stalled on
those guards alone. A later revision is guarded again. The approval is in the state, so a new leader honours it; the
sync log records who approved which revision, and when.

REVISION is the revision as "reconcile status" names it
(main@sha1:<commit>), or its commit, whole or abbreviated. The daemon then
runs its config loop, and approve waits for the run, as sync does.

Exit status: 0 when the revision is applied, 1 otherwise.`,
		`  reconcile approve main@sha1:9b2a77c1a8f04e7d2b3c4d5e6f708192a3b4c5d6
  reconcile approve 9b2a77c --reason "sales and support merged, ticket 4711"`,
		cobra.ExactArgs(1),
		func(l *loopCLI, cmd *cobra.Command, args []string) error {
			return l.run(cmd, args[0], (*admin.Client).Approve)
		})
	cmd.Flags().StringVar(&l.reason, "reason", "", "why, for the sync log")
	l.registerWait(cmd, "the loop's run ends")
	return cmd
}

func (c *cli) waitCmd() *cobra.Command {
	var revision string
	var interval time.Duration
	cmd, l := c.loopCommand("wait --revision REVISION",
		"Wait until a revision is applied, for scripts that wait for a merge to land",
		`Wait asks the daemon where a revision stands until it is applied: the
applied revision, or (following git) a commit in its history, so that a
merge that landed with a later commit counts. It fails at once when the
revision stalls (an invalid config, a guard: the errors are printed) or
the daemon is suspended, and when --timeout passes.

REVISION is a revision as "reconcile status" names it, or a commit or
digest, whole or abbreviated (at least 7 hex digits). CI holding only the
plan token may wait.

Exit status: 0 applied, 1 stalled, suspended, timed out or an error.`,
		`  git push origin main && reconcile wait --revision "$(git rev-parse HEAD)" --timeout 5m`,
		cobra.NoArgs,
		func(l *loopCLI, cmd *cobra.Command, args []string) error {
			if revision == "" {
				return usageErrorf("--revision is required: the commit (or revision) to wait for")
			}
			if l.timeout <= 0 || interval <= 0 {
				return usageErrorf("--timeout and --interval must be positive")
			}
			cl, err := l.sf.client()
			if err != nil {
				return err
			}
			return l.waitRevision(cmd.Context(), cl, revision, l.timeout, interval, l.asJSON)
		})
	cmd.Flags().StringVar(&revision, "revision", "", "the revision or commit to wait for")
	cmd.Flags().DurationVar(&l.timeout, "timeout", 5*time.Minute, "how long to wait")
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "how often to ask the daemon")
	return cmd
}

// waitRevision asks the daemon where revision stands every interval
// until it is applied, stalls, the daemon is suspended, or timeout
// passes.
func (c *cli) waitRevision(ctx context.Context, cl *admin.Client, revision string, timeout, interval time.Duration, asJSON bool) error {
	deadline := time.Now().Add(timeout)
	for {
		rs, err := cl.Revision(ctx, revision)
		if err != nil {
			return err
		}
		switch {
		case rs.State == "applied":
			if asJSON {
				return printJSON(c.stdout, rs)
			}
			fmt.Fprintf(c.stdout, "Revision %s is applied", names.Escape(revision))
			if rs.Applied != revision {
				fmt.Fprintf(c.stdout, " (applied revision: %s)", rs.Applied)
			}
			fmt.Fprintln(c.stdout, ".")
			return nil
		case rs.State == "stalled":
			if asJSON {
				printJSON(c.stdout, rs)
			}
			for _, p := range rs.Errors {
				fmt.Fprintf(c.stderr, "  %s\n", names.Escape(p.String()))
			}
			return fmt.Errorf("revision %s stalled: %s; the applied revision stays %s", names.Escape(revision), names.Escape(rs.Message), dash(rs.Applied))
		case rs.Suspended != nil:
			return fmt.Errorf("revision %s is not applied and the daemon is suspended (since %s by %s): reconcile resume", names.Escape(revision), rs.Suspended.At.UTC().Format(time.RFC3339), names.Escape(rs.Suspended.By))
		case !time.Now().Add(interval).Before(deadline):
			return fmt.Errorf("revision %s is not applied after %v (applied revision: %s)", names.Escape(revision), timeout, dash(rs.Applied))
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (c *cli) historyCmd() *cobra.Command {
	cmd, _ := c.loopCommand("history",
		"List the revisions of the config applied, when, by which trigger",
		`History lists the revisions of the config the daemon applied, oldest
first, as "argocd app history" does: when, what made the run (start, poll,
webhook, watch, sync by whom, push, ...), what the plan did, and who
approved a revision let through the mass-destroy or mass-move guard. The state keeps
the latest 1000.

Rolling back is a git revert (or, for a directory, the old files back):
the daemon applies the reverted revision as a new one, guarded and
planned as any other, and it shows here as the latest.`,
		"  reconcile history\n  reconcile history --json | jq -r '.revisions[-1].revision'",
		cobra.NoArgs,
		func(l *loopCLI, cmd *cobra.Command, args []string) error {
			cl, err := l.sf.client()
			if err != nil {
				return err
			}
			h, err := cl.History(cmd.Context())
			if err != nil {
				return err
			}
			if l.asJSON {
				return printJSON(l.stdout, h)
			}
			tw := tabwriter.NewWriter(l.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "APPLIED\tREVISION\tTRIGGER\tADDED\tCHANGED\tDESTROYED\tAPPROVED BY")
			for _, r := range h.Revisions {
				approved := "-"
				if r.Approval != nil {
					approved = r.Approval.By
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", r.AppliedAt.UTC().Format(time.RFC3339), names.Escape(r.Revision), cell(dash(r.Trigger)),
					r.Added, r.Changed, r.Destroyed, cell(approved))
			}
			return tw.Flush()
		})
	return cmd
}
