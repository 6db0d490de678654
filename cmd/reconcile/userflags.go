package main

import (
	"github.com/reconcile-dev/reconcile/admin"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/spf13/cobra"
)

const allowMassMoveUsage = "let one plan move, deactivate or purge at once more of a provider's users than its massMoveGuard allows (100 users and 25% by default)"

// userFlags say how a plan shows the users it changes, and whether it may
// change many of them at once.
type userFlags struct {
	list          bool   // --users
	show          string // --show-users
	allowMassMove bool
}

func (f *userFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.list, "users", false, "list every user the plan changes (the same as --show-users=all)")
	fl.StringVar(&f.show, "show-users", "summary", "how the plan shows the users it changes: summary (a long list counted by change) or all")
	fl.BoolVar(&f.allowMassMove, "allow-mass-move", false, allowMassMoveUsage)
}

// check refuses a --show-users that is neither value, or that --users
// contradicts.
func (f *userFlags) check(cmd *cobra.Command) error {
	switch {
	case f.show != "summary" && f.show != "all":
		return usageErrorf("--show-users: %q is not summary or all", f.show)
	case f.list && cmd.Flags().Changed("show-users") && f.show != "all":
		return usageErrorf("--users and --show-users=%s contradict each other", f.show)
	}
	return nil
}

// listAll says whether the plan lists every user it changes.
func (f *userFlags) listAll() bool { return f.list || f.show == "all" }

// apply sets the plan's rendering of users.
func (f *userFlags) apply(p *reconcile.Plan) { p.ListUsers = f.listAll() }

// request asks a daemon for the same.
func (f *userFlags) request(req *admin.RemoteRequest) {
	req.ListUsers, req.AllowMassMove = f.listAll(), f.allowMassMove
}
