package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/reconcile-dev/reconcile/admin"
	"github.com/reconcile-dev/reconcile/internal/english"
	"github.com/reconcile-dev/reconcile/internal/names"
	"github.com/spf13/cobra"
)

func (c *cli) statusCmd() *cobra.Command {
	a := &adminCLI{cli: c}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show what a running daemon follows and whether its newest revision is applied",
		Long: `Status shows, the way "flux get" does, the source a daemon follows, the
applied revision and whether the newest revision it read is applied
(Ready: True). A revision that fails validation or a guard is Stalled: it
is not applied, the last good one stays live, and status lists its errors
with their file:line. A source that cannot be fetched is FetchFailed and
retried with backoff.

Exit status: 0 ready, 1 not ready or an error.`,
		Example: `  reconcile status
  reconcile status --json | jq -r .revision`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.sf.client()
			if err != nil {
				return err
			}
			st, err := cl.Status(cmd.Context())
			if err != nil {
				return err
			}
			if a.asJSON {
				if err := printJSON(a.stdout, st); err != nil {
					return err
				}
			} else {
				a.printStatus(st)
			}
			if !st.Ready {
				return exitCode(1)
			}
			return nil
		},
	}
	a.sf.registerDefault(cmd)
	cmd.Flags().BoolVar(&a.asJSON, "json", false, "print JSON")
	return cmd
}

func (a *adminCLI) printStatus(st admin.StatusReport) {
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 1, ' ', 0)
	ready := "True"
	if !st.Ready {
		ready = "False"
	}
	fmt.Fprintf(tw, "Source:\t%s\n", st.Source)
	fmt.Fprintf(tw, "Applied revision:\t%s\n", dash(st.Revision))
	if st.Attempted != "" && st.Attempted != st.Revision {
		fmt.Fprintf(tw, "Attempted revision:\t%s\n", st.Attempted)
	}
	fmt.Fprintf(tw, "Ready:\t%s\n", ready)
	if st.Reason != "" {
		fmt.Fprintf(tw, "Reason:\t%s\n", st.Reason)
	}
	if st.Message != "" {
		fmt.Fprintf(tw, "Message:\t%s\n", names.Escape(st.Message))
	}
	if !st.LastApplied.IsZero() {
		fmt.Fprintf(tw, "Last applied:\t%s\n", st.LastApplied.UTC().Format(time.RFC3339))
	}
	if !st.LastRun.IsZero() {
		fmt.Fprintf(tw, "Last run:\t%s\n", st.LastRun.UTC().Format(time.RFC3339))
	}
	sync := "Synced"
	if st.Drifted > 0 {
		sync = fmt.Sprintf("OutOfSync (%d %s changed outside of config)", st.Drifted, english.Plural(st.Drifted, "object", "objects"))
	}
	fmt.Fprintf(tw, "Drift (%s):\t%s\n", st.Drift, sync)
	if st.DriftedUsers > 0 {
		fmt.Fprintf(tw, "Users changed by admins:\t%d (the next push from their provider overwrites them)\n", st.DriftedUsers)
	}
	tw.Flush()
	for _, p := range st.Errors {
		fmt.Fprintf(a.stdout, "  %s\n", names.Escape(p.String()))
	}
}

func (c *cli) driftCmd() *cobra.Command {
	a := &adminCLI{cli: c}
	var detailed bool
	cmd := &cobra.Command{
		Use:   "drift",
		Short: "Show what was changed outside of config on a running daemon",
		Long: `Drift shows the organizations and providers that admins changed through
the admin API since config last applied them, the way Terraform prints
"Objects have changed outside of Terraform", and the provisioned users an
admin changed since their provider's last push.

A daemon with --drift=report keeps such changes until config changes the
same field; with --drift=correct it reverts them on its next run.

Exit status: 0 success, 1 error; with --detailed-exitcode, 0 no drift,
1 error, 2 drift present.`,
		Example: `  reconcile drift
  reconcile drift --json | jq '.resource_drift[].address'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.sf.client()
			if err != nil {
				return err
			}
			d, err := cl.Drift(cmd.Context())
			if err != nil {
				return err
			}
			if a.asJSON {
				if err := printJSON(a.stdout, d); err != nil {
					return err
				}
			} else {
				text, err := cl.DriftText(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprint(a.stdout, text)
			}
			if detailed && len(d.Objects)+len(d.Users) > 0 {
				return exitCode(2)
			}
			return nil
		},
	}
	a.sf.registerDefault(cmd)
	cmd.Flags().BoolVar(&a.asJSON, "json", false, "print JSON (resource_drift as in Terraform's JSON plan, and user_drift)")
	cmd.Flags().BoolVar(&detailed, "detailed-exitcode", false, "exit 0 for no drift, 1 for errors, 2 for drift")
	return cmd
}
