package main

import (
	"fmt"

	"github.com/reconcile-dev/reconcile/internal/english"
	"github.com/spf13/cobra"
)

func (c *cli) validateCmd() *cobra.Command {
	var cf configFlags
	cmd := &cobra.Command{
		Use:   "validate --config DIR",
		Short: "Check a config directory and report every problem",
		Long: `Validate reads every *.yaml and *.yml file below DIR (hidden files and
directories are skipped), checks each document against the schema and the
documents against each other (unique names, references, parent cycles), and
reports every problem at once as

  file:line:col: field.path: message

It reads no state and contacts nothing. Exit status: 0 valid, 1 invalid.`,
		Example: `  reconcile validate --config examples/quickstart

  # In CI, annotate the pull request with each problem:
  reconcile validate --config config/ || exit 1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := c.logger(); err != nil {
				return err
			}
			l, err := c.load(cmd.Context(), &cf)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "Success! The configuration is valid: %d %s and %d %s in %d %s (revision %s).\n",
				len(l.cfg.Organizations), english.Plural(len(l.cfg.Organizations), "organization", "organizations"),
				len(l.cfg.Providers), english.Plural(len(l.cfg.Providers), "provider", "providers"),
				l.cfg.Files, english.Plural(l.cfg.Files, "file", "files"), l.snap.Revision)
			return nil
		},
	}
	cf.register(cmd)
	return cmd
}
