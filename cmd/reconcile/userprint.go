package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/reconcile-dev/reconcile/admin"
	"github.com/reconcile-dev/reconcile/internal/names"
)

// userSorts order users list by a column, then by userName.
var userSorts = map[string]func(a, b admin.User) int{
	"userName":     func(a, b admin.User) int { return 0 },
	"organization": func(a, b admin.User) int { return cmp.Compare(a.Organization, b.Organization) },
	"provider":     func(a, b admin.User) int { return cmp.Compare(a.Provider, b.Provider) },
	"state":        func(a, b admin.User) int { return cmp.Compare(a.State, b.State) },
	"deadline":     func(a, b admin.User) int { return a.DeactivateAt.Compare(b.DeactivateAt) },
	"id":           func(a, b admin.User) int { return cmp.Compare(a.ID, b.ID) },
}

// sortUsers sorts users by the column by, then by userName (without
// case) and id.
func sortUsers(users []admin.User, by string) error {
	f, ok := userSorts[by]
	if !ok {
		keys := make([]string, 0, len(userSorts))
		for k := range userSorts {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return usageErrorf("--sort: %q is not one of %s", by, strings.Join(keys, ", "))
	}
	slices.SortStableFunc(users, func(a, b admin.User) int {
		return cmp.Or(f(a, b), cmp.Compare(strings.ToLower(a.UserName), strings.ToLower(b.UserName)), cmp.Compare(a.ID, b.ID))
	})
	return nil
}

// deadline is a user's deactivation deadline as tables show it: paused
// by a guard, or held past by a legal hold.
func deadline(u admin.User, now time.Time) string {
	if u.DeactivateAt.IsZero() {
		return "-"
	}
	due := u.DeactivateAt.UTC().Format(time.RFC3339)
	switch {
	case u.HeldPastDeadline(now):
		due += " (held past deadline)"
	case u.DeactivationPaused:
		due += " (paused)"
	}
	return due
}

// printUserBlock prints every field of a user, one a line, as "users
// get" shows it.
func (a *adminCLI) printUserBlock(u admin.User) error {
	now := time.Now()
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 1, ' ', 0)
	line := func(name, value string) {
		if value != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", name, names.Escape(value))
		}
	}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return ""
	}
	line("User name", u.UserName)
	line("ID", u.ID)
	line("Provider", cmp.Or(u.Provider, "- (a local user)"))
	line("Organization", u.Organization)
	line("State", u.State)
	if !u.DeactivateAt.IsZero() {
		line("Deactivate at", deadline(u, now))
	}
	line("Deactivated at", stamp(u.DeactivatedAt))
	line("Purge at", stamp(u.PurgeAt))
	line("Legal hold", yes(u.LegalHold))
	line("Blocked by an admin", yes(u.AdminBlocked))
	line("Deprovisioned", yes(u.Deprovisioned))
	line("Organization pinned", yes(u.OrganizationPinned))
	line("SCIM deleted", yes(u.SCIMDeleted))
	line("Email", u.Email)
	line("First name", u.FirstName)
	line("Last name", u.LastName)
	line("Title", u.Title)
	line("Division", u.Division)
	line("Department", u.Department)
	line("Employee type", u.EmployeeType)
	line("External id", u.ExternalID)
	if ad := u.Address; ad != nil {
		line("Address", strings.Join(slices.DeleteFunc([]string{ad.City, ad.State, ad.Country}, func(s string) bool { return s == "" }), ", "))
	}
	line("Roles", cmp.Or(strings.Join(u.Roles, ", "), "-"))
	line("Created", stamp(u.Created))
	line("Modified", stamp(u.Modified))
	line("Version", fmt.Sprint(u.Version))
	return tw.Flush()
}
