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

func (c *cli) clusterCmd() *cobra.Command {
	a := &adminCLI{cli: c}
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "List the members of a cluster of daemons, remove one, or join one",
		Long: `Cluster shows and changes the members of a cluster of daemons (serve
--raft-listen), through the admin API of the node --server names.

"members" lists them as that node sees them: each member's id and cluster
port, its role (leader, follower, candidate, or unreachable when it does
not answer within a second), whether it votes, how long ago it last heard
from the leader and the last log index it applied.

"remove ID" takes a member out of the cluster, for good: a node that is
gone, or one about to be taken down. The leader removes it; any node
forwards the request to the leader. A removed node must start again on an
empty data dir to join again.

"join ADDR" makes the node --server names, started with --raft-listen and
an empty data dir (no --join needed), join the cluster whose node has its
cluster port at ADDR. A single node grows into a cluster this way: restart
it with --raft-listen and --node-id on its data dir (it becomes the first
node, keeping its state), then join new nodes to it.

The commands print the members once done; --json prints GET
/api/v1/cluster's answer.`,
		Example: `  reconcile cluster members --server http://10.0.0.1:8080
  reconcile cluster remove n3
  reconcile cluster join 10.0.0.1:8301 --server http://10.0.0.4:8080`,
	}
	a.sf.registerDefault(cmd)
	cmd.PersistentFlags().AddFlagSet(cmd.Flags())
	cmd.PersistentFlags().BoolVar(&a.asJSON, "json", false, "print JSON instead of a table")
	cmd.AddCommand(&cobra.Command{
		Use:   "members",
		Short: "List the members of the cluster, as the node --server names sees them",
		Args:  cobra.NoArgs,
		RunE: a.clusterCall(func(ctx context.Context, cl *admin.Client, _ []string) (admin.ClusterStatus, error) {
			return cl.Cluster(ctx)
		}),
	}, &cobra.Command{
		Use:     "remove ID",
		Short:   "Remove a member from the cluster, for good",
		Example: "  reconcile cluster remove n3",
		Args:    cobra.ExactArgs(1),
		RunE: a.clusterCall(func(ctx context.Context, cl *admin.Client, args []string) (admin.ClusterStatus, error) {
			return cl.RemoveMember(ctx, args[0])
		}),
	}, &cobra.Command{
		Use:     "join ADDR",
		Short:   "Make the node --server names, with no state yet, join the cluster whose node has its cluster port at ADDR",
		Example: "  reconcile cluster join 10.0.0.1:8301 --server http://10.0.0.4:8080",
		Args:    cobra.ExactArgs(1),
		RunE: a.clusterCall(func(ctx context.Context, cl *admin.Client, args []string) (admin.ClusterStatus, error) {
			return cl.JoinCluster(ctx, args[0])
		}),
	})
	return cmd
}

// clusterCall is a cluster command: call asks the admin API, and the
// members it answers with are printed.
func (a *adminCLI) clusterCall(call func(ctx context.Context, cl *admin.Client, args []string) (admin.ClusterStatus, error)) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		cl, err := a.sf.client()
		if err != nil {
			return err
		}
		st, err := call(cmd.Context(), cl, args)
		if err != nil {
			return err
		}
		return a.printCluster(st)
	}
}

// printCluster prints the members of a cluster, and why those that did
// not answer did not.
func (a *adminCLI) printCluster(st admin.ClusterStatus) error {
	switch {
	case a.asJSON:
		return printJSON(a.stdout, st)
	case !st.Clustered:
		fmt.Fprintln(a.stdout, "this daemon is a single node, not a cluster node (serve --raft-listen makes it one)")
		return nil
	case len(st.Members) == 0:
		fmt.Fprintf(a.stdout, "this node (%s) is in no cluster yet: reconcile cluster join ADDR adds it to one\n", cell(st.NodeID))
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tADDRESS\tROLE\tVOTER\tLAST CONTACT\tAPPLIED INDEX")
	for _, m := range st.Members {
		voter, contact, applied := "no", "-", "-"
		if m.Voter {
			voter = "yes"
		}
		if m.LastContactMillis != nil {
			contact = (time.Duration(*m.LastContactMillis) * time.Millisecond).String()
		}
		if m.AppliedIndex != nil {
			applied = fmt.Sprint(*m.AppliedIndex)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", cell(m.ID), cell(m.Address), cell(m.Role), voter, contact, applied)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, m := range st.Members {
		if m.Error != "" {
			fmt.Fprintf(a.stdout, "  %s: %s\n", cell(m.ID), names.Escape(m.Error))
		}
	}
	return nil
}
