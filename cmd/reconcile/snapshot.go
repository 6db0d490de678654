package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/reconcile-dev/reconcile/state"
	"github.com/spf13/cobra"
)

func (c *cli) snapshotCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Back up the state to a file, and restore it",
		Long: `Snapshot saves the whole state of a running daemon, a single node or a
cluster, to a file while it serves (a hot, consistent snapshot), and
restores such a file into a running daemon or into an empty data dir: the
backup and restore of consul snapshot and etcdctl snapshot.

The file is a tar archive of meta.json (the format, the log index and term
of the state, its size, and when and on which node it was taken),
state.bin (the state) and SHA256SUMS (the SHA-256 of both; tar -xf FILE
&& sha256sum -c SHA256SUMS checks one by hand). The checksums are checked
after saving and before anything is restored: a damaged or truncated file
is refused and nothing changes.

A snapshot holds what the data dir holds: users, groups, the sync log,
the providers' secret hashes. Keep it as safe as the data dir.`,
		Example: `  reconcile snapshot save backup.snap --server http://127.0.0.1:8080
  reconcile snapshot inspect backup.snap
  reconcile snapshot restore backup.snap --server http://127.0.0.1:8080
  reconcile snapshot restore backup.snap --data-dir /var/lib/reconcile`,
	}
	cmd.AddCommand(c.snapshotSave(), c.snapshotRestore(), c.snapshotInspect())
	return cmd
}

func (c *cli) snapshotSave() *cobra.Command {
	var sf serverFlags
	cmd := &cobra.Command{
		Use:   "save FILE",
		Short: "Save a snapshot of a running daemon's state to FILE",
		Long: `Save asks --server (default $RECONCILE_SERVER, else
http://127.0.0.1:8080) for a snapshot of its state, with the admin token
from --admin-token-file or RECONCILE_ADMIN_TOKEN. Any node of a cluster
takes it, once it holds every write acknowledged before; the save is
recorded in the sync log. It needs a leader.

It is written to FILE.tmp, synced to disk, read back and its checksums
checked, and only then renamed to FILE (which it replaces): a save that
fails leaves no FILE behind, nor a half one.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := sf.client()
			if err != nil {
				return err
			}
			file := args[0]
			tmp := file + ".tmp"
			f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if err != nil {
				return err
			}
			err = cl.SaveSnapshot(cmd.Context(), f)
			if err == nil {
				err = f.Sync()
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(tmp)
				return fmt.Errorf("saving a snapshot from %s: %w", sf.url, err)
			}
			info, err := verifySnapshotFile(tmp)
			if err != nil {
				os.Remove(tmp)
				return fmt.Errorf("the snapshot %s sent does not check, so it was not kept: %w", sf.url, err)
			}
			if err := os.Rename(tmp, file); err != nil {
				os.Remove(tmp)
				return err
			}
			if err := syncDir(filepath.Dir(file)); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "saved %s: %s; %d bytes of state, sha256 %s\n", file, describeSnapshot(info), info.Size, info.SHA256)
			return nil
		},
	}
	sf.registerDefault(cmd)
	return cmd
}

func (c *cli) snapshotRestore() *cobra.Command {
	var (
		sf serverFlags
		df dataFlags
	)
	cmd := &cobra.Command{
		Use:   "restore FILE",
		Short: "Restore a snapshot into a running daemon, or into an empty data dir",
		Long: `Restore replaces the whole state with the snapshot in FILE, once its
checksums hold.

With --server (or $RECONCILE_SERVER) it restores into a running daemon,
with the admin token from --admin-token-file or RECONCILE_ADMIN_TOKEN: on a
cluster, every node then serves the restored state (any node takes the
request; the leader restores and its followers install the snapshot).
Writes under way on the leader fail. The restore is recorded in the sync
log, and the config loop runs, so that the config the daemon follows
applies over the restored state.

With --data-dir, no daemon running, it restores into that data dir, which
must be empty or not exist: a daemon started on it serves the restored
state, as a single node or as the first node of a cluster (--raft-listen;
the others --join it). A data dir that holds anything is refused.`,
		Example: `  reconcile snapshot restore backup.snap --server https://reconcile.internal:8080
  reconcile snapshot restore backup.snap --data-dir /var/lib/reconcile`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := df.check(cmd); err != nil {
				return err
			}
			toDir := cmd.Flags().Changed("data-dir")
			if sf.url != "" && toDir {
				return usageErrorf("--server and --data-dir: give one, a running daemon or an empty data dir")
			}
			sf.orEnv(cmd)
			if sf.url == "" && !toDir {
				return usageErrorf("say where to restore: --server URL (a running daemon) or --data-dir DIR (an empty data dir)")
			}
			file := args[0]
			if _, err := verifySnapshotFile(file); err != nil {
				return err
			}
			f, err := os.Open(file)
			if err != nil {
				return err
			}
			defer f.Close()
			if toDir {
				res, err := state.RestoreInto(cmd.Context(), df.path(), f, "with reconcile snapshot restore --data-dir", state.Options{})
				if err != nil {
					return snapshotFileError(file, err)
				}
				fmt.Fprintf(c.stdout, "restored %s into %s: %s; start reconcile serve --data-dir %s on it\n", file, df.path(),
					describeSnapshot(res.Snapshot), df.path())
				return nil
			}
			cl, err := sf.client()
			if err != nil {
				return err
			}
			st, err := f.Stat()
			if err != nil {
				return err
			}
			res, err := cl.RestoreSnapshot(cmd.Context(), f, st.Size())
			if err != nil {
				return fmt.Errorf("restoring %s into %s: %w", file, sf.url, err)
			}
			fmt.Fprintf(c.stdout, "restored %s into %s: %s; the state is at index %d now\n", file, sf.url, describeSnapshot(res.Snapshot), res.Index)
			return nil
		},
	}
	sf.register(cmd)
	df.register(cmd)
	return cmd
}

func (c *cli) snapshotInspect() *cobra.Command {
	return &cobra.Command{
		Use:   "inspect FILE",
		Short: "Check a snapshot file and say what it holds",
		Long: `Inspect reads FILE whole, checks its format and checksums, and prints
its meta data: the log index and term of the state, when and where it was
taken, its size and SHA-256. It exits 1 when the file does not check.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			info, err := verifySnapshotFile(args[0])
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "File:\t%s\n", args[0])
			fmt.Fprintf(tw, "Format:\t%d\n", info.Format)
			fmt.Fprintf(tw, "Index:\t%d\n", info.Index)
			fmt.Fprintf(tw, "Term:\t%d\n", info.Term)
			fmt.Fprintf(tw, "Taken:\t%s\n", info.Time.UTC().Format(time.RFC3339))
			fmt.Fprintf(tw, "Node:\t%s\n", dash(info.Node))
			fmt.Fprintf(tw, "State:\t%d bytes\n", info.Size)
			fmt.Fprintf(tw, "SHA-256:\t%s\n", info.SHA256)
			fmt.Fprintf(tw, "Checksums:\tok\n")
			return tw.Flush()
		},
	}
}

// verifySnapshotFile reads a snapshot file whole and checks it.
func verifySnapshotFile(file string) (state.SnapshotInfo, error) {
	f, err := os.Open(file)
	if err != nil {
		return state.SnapshotInfo{}, err
	}
	defer f.Close()
	info, err := state.VerifySnapshot(f)
	if err != nil {
		return info, snapshotFileError(file, err)
	}
	return info, nil
}

// snapshotFileError names the file of an archive that does not check.
func snapshotFileError(file string, err error) error {
	if errors.Is(err, state.ErrBadSnapshot) {
		return fmt.Errorf("%s: %w", file, err)
	}
	return err
}

// describeSnapshot says which state a snapshot holds.
func describeSnapshot(info state.SnapshotInfo) string {
	s := fmt.Sprintf("the state at index %d (term %d), taken %s", info.Index, info.Term, info.Time.UTC().Format(time.RFC3339))
	if info.Node != "" {
		s += " on node " + info.Node
	}
	return s
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}
