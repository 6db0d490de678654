package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/reconcile-dev/reconcile/admin"
	"github.com/reconcile-dev/reconcile/internal/english"
	"github.com/reconcile-dev/reconcile/internal/names"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/state"
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
			st, err := report(cmd.Context(), a, (*admin.Client).Status, func(_ *admin.Client, st admin.StatusReport) error {
				a.printStatus(st)
				return nil
			})
			if err != nil {
				return err
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

// report fetches a report from the daemon and prints it: as JSON with
// --json, else with text.
func report[T any](ctx context.Context, a *adminCLI, fetch func(*admin.Client, context.Context) (T, error), text func(*admin.Client, T) error) (T, error) {
	var zero T
	cl, err := a.sf.client()
	if err != nil {
		return zero, err
	}
	r, err := fetch(cl, ctx)
	if err != nil {
		return zero, err
	}
	if a.asJSON {
		return r, printJSON(a.stdout, r)
	}
	return r, text(cl, r)
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
	if st.Suspended != nil {
		fmt.Fprintf(tw, "Suspended:\tTrue\n")
	}
	if st.Reason != "" {
		fmt.Fprintf(tw, "Reason:\t%s\n", st.Reason)
	}
	if st.Message != "" {
		fmt.Fprintf(tw, "Message:\t%s\n", names.Escape(st.Message))
	}
	if st.Approvable {
		fmt.Fprintf(tw, "Approve:\treconcile approve %s (lets this revision through %s)\n", st.Attempted, state.GuardsPhrase(st.ApprovableGuards))
	}
	if !st.LastApplied.IsZero() {
		fmt.Fprintf(tw, "Last applied:\t%s\n", st.LastApplied.UTC().Format(time.RFC3339))
	}
	if !st.LastRun.IsZero() {
		fmt.Fprintf(tw, "Last run:\t%s (trigger: %s)\n", st.LastRun.UTC().Format(time.RFC3339), names.Escape(st.Trigger))
		fmt.Fprintf(tw, "Last result:\t%s\n", st.Result)
	}
	sync := "Synced"
	if st.Drifted > 0 {
		sync = fmt.Sprintf("OutOfSync (%d %s changed outside of config)", st.Drifted, english.Plural(st.Drifted, "object", "objects"))
	}
	fmt.Fprintf(tw, "Drift (%s):\t%s\n", st.Drift, sync)
	if st.DriftedUsers > 0 {
		fmt.Fprintf(tw, "Users changed by admins:\t%d (the next push from their provider overwrites them)\n", st.DriftedUsers)
	}
	for _, r := range st.Rollouts {
		fmt.Fprintf(tw, "Rollout of provider %s:\t%s\n", r.Provider, rolloutLine(r))
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
			d, err := report(cmd.Context(), a, (*admin.Client).Drift, func(cl *admin.Client, _ admin.DriftReport) error {
				text, err := cl.DriftText(cmd.Context())
				if err != nil {
					return err
				}
				return a.printPlan([]byte(text))
			})
			if err != nil {
				return err
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

// rolloutLine says what making a provider in rollout live would do, e.g.
// "preview, 1,000 staged; live would create 600 in engineering, 400 in
// sales (roles: 20 Admin; 3 blocked), refuse 1 conflict".
func rolloutLine(r reconcile.JSONRollout) string {
	var orgs, roles []string
	for _, o := range slices.Sorted(maps.Keys(r.Organizations)) {
		orgs = append(orgs, fmt.Sprintf("%d in %s", r.Organizations[o], o))
	}
	for _, role := range slices.Sorted(maps.Keys(r.Roles)) {
		roles = append(roles, fmt.Sprintf("%d %s", r.Roles[role], role))
	}
	line := fmt.Sprintf("%s, %d staged; live would create %d", r.Mode, r.Staged, len(r.UserChanges))
	if len(orgs) > 0 {
		line += ": " + strings.Join(orgs, ", ")
	}
	if len(roles) > 0 {
		line += " (roles: " + strings.Join(roles, ", ") + ")"
	}
	if r.Blocked > 0 {
		line += fmt.Sprintf(", %d of them blocked", r.Blocked)
	}
	if n := len(r.Conflicts); n > 0 {
		line += fmt.Sprintf("; %d %s refuse it (reconcile plan lists them)", n, english.Plural(n, "conflict", "conflicts"))
	}
	return names.Escape(line)
}
