package main

import (
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
)

// cli holds what every command shares.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	logLevel       string
	logFormat      string
	// jsonErrors prints config errors as a JSON plan too (plan --json).
	jsonErrors bool
	// noColor: plans and diffs are never coloured (color.go).
	noColor bool
}

func newRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "reconcile",
		Short: "GitOps for enterprise user provisioning: config as code, SCIM 2.0 in",
		Long: `reconcile keeps the organizations and SCIM provisioning providers of a
user directory in YAML under version control, shows every change as a plan
before applying it, and receives the users that identity providers (PingOne,
Okta, Microsoft Entra) push over SCIM 2.0.`,
		Example: `  # Check a config directory, then see and apply what it changes.
  reconcile validate --config examples/quickstart
  reconcile plan --config examples/quickstart
  reconcile apply --config examples/quickstart`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&c.logLevel, "log-level", "warn", "log level: debug, info, warn or error")
	root.PersistentFlags().StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	root.PersistentFlags().BoolVar(&c.noColor, "no-color", false, "never colour plans and diffs (as $NO_COLOR does); on a terminal they are")
	root.AddCommand(
		c.validateCmd(),
		c.planCmd(),
		c.applyCmd(),
		c.serveCmd(),
		c.statusCmd(),
		c.syncCmd(),
		c.waitCmd(),
		c.suspendCmd(false),
		c.suspendCmd(true),
		c.approveCmd(),
		c.historyCmd(),
		c.driftCmd(),
		c.logCmd(),
		c.usersCmd(),
		c.deactivationsCmd(),
		c.organizationsCmd(),
		c.providersCmd(),
		c.snapshotCmd(),
		c.clusterCmd(),
		c.benchCmd(),
		c.versionCmd(),
	)
	return root
}

// logger returns the slog logger the flags ask for, writing to stderr.
func (c *cli) logger() (*slog.Logger, error) { return c.loggerAbove(slog.LevelError + 1) }

// loggerAbove is logger, logging from at most level max whatever
// --log-level says: the access log is asked for on its own.
func (c *cli) loggerAbove(max slog.Level) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, usageErrorf("--log-level: %q is not one of debug, info, warn, error", c.logLevel)
	}
	opts := &slog.HandlerOptions{Level: min(level, max)}
	switch strings.ToLower(c.logFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(c.stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(c.stderr, opts)), nil
	}
	return nil, usageErrorf("--log-format: %q is not one of text, json", c.logFormat)
}
