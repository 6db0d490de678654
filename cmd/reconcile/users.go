package main

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/reconcile-dev/reconcile/admin"
	"github.com/reconcile-dev/reconcile/internal/names"
	"github.com/spf13/cobra"
)

// adminCLI is what the commands mirroring the admin API share.
type adminCLI struct {
	*cli
	sf     serverFlags
	asJSON bool
}

func (c *cli) usersCmd() *cobra.Command {
	a := &adminCLI{cli: c}
	cmd := &cobra.Command{
		Use:   "users",
		Short: "List and manage users through a running daemon's admin API",
		Long: `Users lists users and acts on them, as the console does: block and
unblock, deactivate at once (never a user on legal hold) and reactivate,
place and release legal hold, move to another organization, set roles
(unless they come from SCIM groups), and create local users, which no
provider manages.

A USER is an id or a userName. Commands talk to --server (default
$RECONCILE_SERVER, else http://127.0.0.1:8080) with the admin token from
--admin-token-file or RECONCILE_ADMIN_TOKEN.`,
		Example: `  reconcile users list --state blocked
  reconcile users get alice@acme.com --json
  reconcile users hold alice@acme.com --reason "case 4711"
  reconcile users move alice@acme.com --organization sales
  reconcile users create --user-name admin@acme.com --organization acme --role "Customer Cloud Admin"`,
	}
	a.sf.registerDefault(cmd)
	cmd.PersistentFlags().AddFlagSet(cmd.Flags())
	cmd.PersistentFlags().BoolVar(&a.asJSON, "json", false, "print JSON instead of a table")
	cmd.AddCommand(a.usersList(), a.usersGet(), a.usersCreate(), a.usersMove(), a.usersRoles())
	for _, act := range []struct{ name, short string }{
		{"block", "Block a user: they cannot sign in; their devices keep backing up"},
		{"unblock", "Lift an admin's block"},
		{"deactivate", "Deactivate a user at once: archives go to cold storage"},
		{"reactivate", "Reactivate a deactivated user: archives are restored"},
		{"hold", "Place a user on legal hold: never deactivated or purged while it lasts"},
		{"release", "Release a legal hold; a deactivation it held back happens now"},
	} {
		cmd.AddCommand(a.usersAction(act.name, act.short))
	}
	return cmd
}

var uuidLike = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// resolve turns a USER argument into an id.
func (a *adminCLI) resolve(ctx context.Context, cl *admin.Client, user string) (string, error) {
	if uuidLike.MatchString(user) {
		return user, nil
	}
	page, err := cl.Users(ctx, url.Values{"userName": {user}})
	if err != nil {
		return "", err
	}
	switch len(page.Users) {
	case 0:
		return "", fmt.Errorf("no user %q", user)
	case 1:
		return page.Users[0].ID, nil
	}
	return "", fmt.Errorf("several users are named %q: give the id", user)
}

// printUser prints one user: in JSON the object the API answers with
// (for jq .state), not a list of one.
func (a *adminCLI) printUser(u admin.User) error {
	if a.asJSON {
		return printJSON(a.stdout, u)
	}
	return a.printUsers(u)
}

func (a *adminCLI) printUsers(users ...admin.User) error {
	if a.asJSON {
		return printJSON(a.stdout, users)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSERNAME\tPROVIDER\tORGANIZATION\tSTATE\tDEACTIVATE AT\tLEGAL HOLD")
	now := time.Now()
	for _, u := range users {
		due := deadline(u, now)
		hold := ""
		if u.LegalHold {
			hold = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cell(u.ID), cell(u.UserName), cell(dash(u.Provider)), cell(u.Organization), u.State, due, hold)
	}
	return tw.Flush()
}

func (a *adminCLI) usersList() *cobra.Command {
	var org, provider, st, sort string
	var hold bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List users",
		Example: `  reconcile users list --provider pingone --state blocked
  reconcile users list --provider - # local users
  reconcile users list --legal-hold`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := sortUsers(nil, sort); err != nil {
				return err
			}
			q := url.Values{"limit": {"10000"}}
			for k, v := range map[string]string{"organization": org, "provider": provider, "state": st} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if cmd.Flags().Changed("legal-hold") {
				q.Set("legalHold", fmt.Sprint(hold))
			}
			cl, err := a.sf.client()
			if err != nil {
				return err
			}
			var all []admin.User
			for {
				page, err := cl.Users(cmd.Context(), q)
				if err != nil {
					return err
				}
				all = append(all, page.Users...)
				if page.Next == "" {
					break
				}
				q.Set("after", page.Next)
			}
			if err := sortUsers(all, sort); err != nil {
				return err
			}
			return a.printUsers(all...)
		},
	}
	cmd.Flags().StringVar(&sort, "sort", "userName", "order by userName, organization, provider, state, deadline or id (then by userName)")
	cmd.Flags().StringVar(&org, "organization", "", "only users of this organization")
	cmd.Flags().StringVar(&provider, "provider", "", "only users of this provider (- for local users)")
	cmd.Flags().StringVar(&st, "state", "", "only users in this state: active, blocked, deactivated or purged")
	cmd.Flags().BoolVar(&hold, "legal-hold", false, "only users on (or, with =false, not on) legal hold")
	return cmd
}

func (a *adminCLI) usersGet() *cobra.Command {
	return &cobra.Command{
		Use:     "get USER",
		Short:   "Show a user",
		Example: "  reconcile users get alice@acme.com --json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.sf.client()
			if err != nil {
				return err
			}
			id, err := a.resolve(cmd.Context(), cl, args[0])
			if err != nil {
				return err
			}
			u, err := cl.User(cmd.Context(), id)
			if err != nil {
				return err
			}
			if a.asJSON {
				return printJSON(a.stdout, u)
			}
			return a.printUserBlock(u)
		},
	}
}

func (a *adminCLI) usersAction(action, short string) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:     action + " USER",
		Short:   short,
		Example: fmt.Sprintf("  reconcile users %s alice@acme.com --reason \"ticket 123\"", action),
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.act(cmd.Context(), args[0], action, admin.ActionInput{Reason: reason})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the sync log")
	return cmd
}

func (a *adminCLI) act(ctx context.Context, user, action string, in any) error {
	cl, err := a.sf.client()
	if err != nil {
		return err
	}
	id, err := a.resolve(ctx, cl, user)
	if err != nil {
		return err
	}
	u, err := cl.UserAction(ctx, id, action, in)
	if err != nil {
		return err
	}
	return a.printUser(u)
}

func (a *adminCLI) usersMove() *cobra.Command {
	var org, reason string
	cmd := &cobra.Command{
		Use:     "move USER --organization ORG",
		Short:   "Move a user to another organization; mappings never move them back",
		Example: "  reconcile users move alice@acme.com --organization sales",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if org == "" {
				return usageErrorf("--organization is required")
			}
			return a.act(cmd.Context(), args[0], "move", admin.ActionInput{Organization: org, Reason: reason})
		},
	}
	cmd.Flags().StringVar(&org, "organization", "", "the organization to move the user to")
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the sync log")
	return cmd
}

func (a *adminCLI) usersRoles() *cobra.Command {
	var roles []string
	var none bool
	cmd := &cobra.Command{
		Use:   "roles USER --role ROLE...",
		Short: "Set a user's roles (when roles are not mapped from SCIM groups)",
		Example: `  reconcile users roles alice@acme.com --role "Desktop User" --role "Security Center User"
  reconcile users roles alice@acme.com --none`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(roles) == 0 && !none {
				return usageErrorf("give --role (repeatable), or --none to remove every role")
			}
			if roles == nil {
				roles = []string{}
			}
			return a.act(cmd.Context(), args[0], "roles", map[string]any{"roles": roles})
		},
	}
	cmd.Flags().StringArrayVar(&roles, "role", nil, "a role (repeat for several)")
	cmd.Flags().BoolVar(&none, "none", false, "remove every role")
	return cmd
}

func (a *adminCLI) usersCreate() *cobra.Command {
	var in admin.UserInput
	cmd := &cobra.Command{
		Use:   "create --user-name NAME --organization ORG",
		Short: "Create a local user, managed only here and never through SCIM",
		Example: `  reconcile users create --user-name admin@acme.com --organization acme \
    --email admin@acme.com --first-name Ada --last-name Admin --role "Customer Cloud Admin"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(in.UserName) == "" || in.Organization == "" {
				return usageErrorf("--user-name and --organization are required")
			}
			cl, err := a.sf.client()
			if err != nil {
				return err
			}
			u, err := cl.CreateUser(cmd.Context(), in)
			if err != nil {
				return err
			}
			return a.printUser(u)
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.UserName, "user-name", "", "the userName (unique across providers and local users)")
	f.StringVar(&in.Organization, "organization", "", "the organization")
	f.StringVar(&in.Email, "email", "", "email")
	f.StringVar(&in.FirstName, "first-name", "", "first name")
	f.StringVar(&in.LastName, "last-name", "", "last name")
	f.StringVar(&in.Title, "title", "", "job title")
	f.StringArrayVar(&in.Roles, "role", nil, "a role (repeat for several)")
	return cmd
}

func (c *cli) deactivationsCmd() *cobra.Command {
	a := &adminCLI{cli: c}
	cmd := &cobra.Command{
		Use:   "deactivations",
		Short: "See pending deactivations; approve or cancel those a guard paused",
		Long: `Deactivations lists the users whose deactivation is scheduled (the
provider deprovisioned them and the delay has not ended) or paused (the
provider's mass-deactivation guard tripped), and each provider's guard.
"approve PROVIDER" lets the paused deactivations happen; "cancel PROVIDER"
drops them (the users stay blocked). Either resets the guard.`,
		Example: `  reconcile deactivations list
  reconcile deactivations approve okta
  reconcile deactivations cancel okta`,
	}
	a.sf.registerDefault(cmd)
	cmd.PersistentFlags().AddFlagSet(cmd.Flags())
	cmd.PersistentFlags().BoolVar(&a.asJSON, "json", false, "print JSON instead of a table")
	list := &cobra.Command{
		Use:   "list",
		Short: "List pending deactivations and the guards",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.sf.client()
			if err != nil {
				return err
			}
			d, err := cl.Deactivations(cmd.Context())
			if err != nil {
				return err
			}
			return a.printDeactivations(d)
		},
	}
	cmd.AddCommand(list)
	for _, action := range []string{"approve", "cancel"} {
		cmd.AddCommand(&cobra.Command{
			Use:   action + " PROVIDER",
			Short: map[string]string{"approve": "Let the deactivations a tripped guard paused happen", "cancel": "Drop the deactivations a tripped guard paused; the users stay blocked"}[action],
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				cl, err := a.sf.client()
				if err != nil {
					return err
				}
				d, err := cl.ResolveDeactivations(cmd.Context(), args[0], action)
				if err != nil {
					return err
				}
				return a.printDeactivations(d)
			},
		})
	}
	return cmd
}

func (a *adminCLI) printDeactivations(d admin.Deactivations) error {
	if a.asJSON {
		return printJSON(a.stdout, d)
	}
	if err := a.printUsers(d.Pending...); err != nil {
		return err
	}
	if len(d.Guards) > 0 {
		fmt.Fprintln(a.stdout)
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PROVIDER\tGUARD\tRECENT DEPROVISIONS\tPAUSED\tREASON")
		for _, g := range d.Guards {
			status := "ok"
			if g.Tripped {
				status = "TRIPPED " + g.TrippedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", cell(g.Provider), status, g.Recent, g.Paused, names.Escape(g.Reason))
		}
		return tw.Flush()
	}
	return nil
}

func (c *cli) organizationsCmd() *cobra.Command {
	a := &adminCLI{cli: c}
	cmd := &cobra.Command{
		Use:     "organizations",
		Aliases: []string{"orgs"},
		Short:   "List the live organizations of a running daemon",
		Example: "  reconcile organizations --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.sf.client()
			if err != nil {
				return err
			}
			orgs, err := cl.Organizations(cmd.Context())
			if err != nil {
				return err
			}
			if a.asJSON {
				return printJSON(a.stdout, orgs)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tDISPLAY NAME\tPARENT\tCOLD STORAGE\tPROTECT\tUSERS")
			for _, o := range orgs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%d\n", cell(o.Name), cell(o.DisplayName), cell(dash(o.Parent)), o.ColdStoragePeriod, o.Protect, o.Users)
			}
			return tw.Flush()
		},
	}
	a.sf.registerDefault(cmd)
	cmd.Flags().BoolVar(&a.asJSON, "json", false, "print JSON instead of a table")
	return cmd
}
