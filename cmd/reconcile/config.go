package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/reconcile-dev/reconcile/internal/english"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/source"
	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/state"
	"github.com/spf13/cobra"
)

// configFlags are the flags of commands that read a config directory.
type configFlags struct {
	dir string
}

func (f *configFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.dir, "config", "c", "", "config directory: YAML files of organizations and providers (required)")
}

// loaded is a config directory read and validated.
type loaded struct {
	snap *source.Snapshot
	cfg  *schema.Config
}

// load reads and validates the config directory. Validation errors are
// printed one per line as file:line:col: path: message, every one of them,
// and reported as exit status 1.
func (c *cli) load(ctx context.Context, f *configFlags) (*loaded, error) {
	if f.dir == "" {
		return nil, usageErrorf("--config is required: the directory holding your config YAML")
	}
	snap, err := configDir(f.dir).Fetch(ctx)
	if err != nil {
		return nil, err
	}
	cfg, err := schema.Load(snap.FS, filepath.ToSlash(f.dir))
	if err != nil {
		return nil, c.configErrors(f.dir, err)
	}
	return &loaded{snap: snap, cfg: cfg}, nil
}

// configDir is the config directory dir.
func configDir(dir string) source.Dir {
	return source.Dir{Path: dir, Include: schema.IsConfigFile}
}

// configErrors prints positioned config errors, relative to the working
// directory so editors can jump to them.
func (c *cli) configErrors(dir string, err error) error {
	var errs schema.Errors
	if !errors.As(err, &errs) {
		return err
	}
	if c.jsonErrors {
		if err := reconcile.ConfigErrorsJSON(c.stdout, "", reconcile.ConfigProblems(errs)); err != nil {
			return err
		}
	}
	for _, e := range errs {
		fmt.Fprintln(c.stderr, e)
	}
	fmt.Fprintf(c.stderr, "\n%d %s in %s\n", len(errs), english.Plural(len(errs), "error", "errors"), dir)
	return exitCode(1)
}

// desire reads the secrets of a loaded config.
func (c *cli) desire(dir string, l *loaded) (*reconcile.Desired, error) {
	d, err := reconcile.Desire(l.cfg, l.snap.Revision, l.snap.Digest, reconcile.OSSecrets)
	if err != nil {
		return nil, c.configErrors(dir, err)
	}
	return d, nil
}

// dataFlags are the flags of commands that use the state.
type dataFlags struct {
	dir string
}

func (f *dataFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.dir, "data-dir", "", "state directory (default $RECONCILE_DATA_DIR, else the per-user state dir, e.g. ~/.local/state/reconcile)")
}

func (f *dataFlags) path() string {
	if f.dir != "" {
		return f.dir
	}
	return defaultDataDir()
}

// check refuses an explicitly empty --data-dir, which would silently mean
// the default.
func (f *dataFlags) check(cmd *cobra.Command) error {
	if cmd.Flags().Changed("data-dir") && strings.TrimSpace(f.dir) == "" {
		return usageErrorf("--data-dir is empty: give a directory, or leave the flag out for the default (%s)", defaultDataDir())
	}
	return nil
}

// openState opens the state in the data dir. With readOnly nothing is
// written (not even the data dir created): the state is read into memory.
func openState(ctx context.Context, dir string, readOnly bool, log *slog.Logger) (*state.Store, error) {
	var s *state.Store
	var err error
	if readOnly {
		s, err = state.OpenReadOnly(dir, state.Options{Logger: log})
	} else {
		s, err = state.Open(ctx, dir, state.Options{Logger: log})
	}
	if err != nil {
		return nil, fmt.Errorf("opening state: %w", err)
	}
	return s, nil
}
