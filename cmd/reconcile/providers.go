package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func (c *cli) providersCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "providers",
		Short: "Manage the providers of a running daemon: rotate a secret",
	}
	cmd.AddCommand(c.rotateSecretCmd())
	return cmd
}

func (c *cli) rotateSecretCmd() *cobra.Command {
	a := &adminCLI{cli: c}
	var overlap time.Duration
	cmd := &cobra.Command{
		Use:   "rotate-secret NAME [--overlap 1h]",
		Short: "Replace a provider's generated secret, the old one working for an overlap",
		Long: `Rotate-secret generates a new secret for a provider whose config lets the
daemon generate it (no auth.secretFrom), and prints it once: only a hash
is stored. The old secret keeps working for --overlap (none by default:
it stops at once), so that the identity provider can be given the new
one without a failed sync. The sync log records the rotation, who asked,
and until when the old secret works.

This is how to recover a lost token. A secret from env or file is
changed there, then applied.`,
		Example: `  reconcile providers rotate-secret okta --overlap 1h`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if overlap < 0 || overlap > 30*24*time.Hour {
				return usageErrorf("--overlap: %v is not from 0 to 720h", overlap)
			}
			cl, err := a.sf.client()
			if err != nil {
				return err
			}
			ans, err := cl.RotateSecret(cmd.Context(), args[0], overlap)
			if err != nil {
				return err
			}
			if a.asJSON {
				return printJSON(a.stdout, ans)
			}
			a.printCredentials(ans.Credentials, strings.TrimSuffix(a.sf.url, "/"))
			if ans.OldSecretUntil != nil {
				fmt.Fprintf(a.stdout, "The old secret works until %s.\n", ans.OldSecretUntil.UTC().Format(time.RFC3339))
			} else {
				fmt.Fprintln(a.stdout, "The old secret no longer works.")
			}
			return nil
		},
	}
	a.sf.registerDefault(cmd)
	cmd.Flags().BoolVar(&a.asJSON, "json", false, "print JSON")
	cmd.Flags().DurationVar(&overlap, "overlap", 0, "how long the old secret keeps working (at most 720h)")
	return cmd
}
