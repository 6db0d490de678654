package main

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/reconcile-dev/reconcile/admin"
	"github.com/reconcile-dev/reconcile/internal/names"
	"github.com/reconcile-dev/reconcile/state"
	"github.com/spf13/cobra"
)

// serverFlags are the flags of commands that talk to a running daemon.
type serverFlags struct {
	url       string
	tokenFile string
}

func (f *serverFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.url, "server", "", "URL of a running daemon, e.g. http://127.0.0.1:8080 (admin token from --admin-token-file or RECONCILE_ADMIN_TOKEN, else, on loopback, the one a daemon generated in the default data dir)")
	cmd.Flags().StringVar(&f.tokenFile, "admin-token-file", "", "file holding the admin API token (default: $RECONCILE_ADMIN_TOKEN)")
}

// orEnv makes a command that works on a daemon or on a local data dir use
// the daemon $RECONCILE_SERVER names when neither --server nor --data-dir
// was given, as the commands that always need a daemon do.
func (f *serverFlags) orEnv(cmd *cobra.Command) {
	if f.url == "" && !cmd.Flags().Changed("data-dir") {
		f.url = os.Getenv("RECONCILE_SERVER")
	}
}

// registerDefault is register for commands that always need a daemon:
// --server defaults to $RECONCILE_SERVER, else http://127.0.0.1:8080.
func (f *serverFlags) registerDefault(cmd *cobra.Command) {
	def := os.Getenv("RECONCILE_SERVER")
	if def == "" {
		def = "http://127.0.0.1:8080"
	}
	f.register(cmd)
	cmd.Flags().Lookup("server").DefValue = def
	f.url = def
}

// client is the admin API of the daemon --server names, with the admin
// token from --admin-token-file or $RECONCILE_ADMIN_TOKEN, else the plan
// token from $RECONCILE_PLAN_TOKEN.
func (f *serverFlags) client() (*admin.Client, error) {
	if _, err := url.Parse(strings.TrimSuffix(f.url, "/") + "/api/v1/"); err != nil {
		return nil, usageErrorf("--server: %v", err)
	}
	token, err := readAdminToken(f.tokenFile)
	if err != nil {
		return nil, err
	}
	if token == "" {
		// A daemon on this machine started without a token made one.
		if token, err = localAdminToken(f.url); err != nil {
			return nil, err
		}
	}
	if token == "" {
		// CI that only plans holds the plan token.
		if token, err = readSecretFlag("", "RECONCILE_PLAN_TOKEN", ""); err != nil {
			return nil, err
		}
	}
	if token == "" {
		return nil, usageErrorf("--server needs the admin token: set RECONCILE_ADMIN_TOKEN or --admin-token-file (or, to plan, RECONCILE_PLAN_TOKEN); a daemon on this machine started without one wrote one to %s, which reconcile reads for a --server on loopback", filepath.Join(defaultDataDir(), adminTokenName))
	}
	return &admin.Client{URL: f.url, Token: token, Actor: actor()}, nil
}

func (c *cli) logCmd() *cobra.Command {
	var (
		sf       serverFlags
		df       dataFlags
		provider string
		user     string
		since    string
		limit    int
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "log",
		Short: "Show the sync log: every change and the rejected writes",
		Long: `Log prints the sync log, oldest first: every change a provider made over
SCIM (create, update with old -> new per field, deprovision, reactivate,
group changes), the rejected writes (the first 20 of each provider in a
minute, then how many more), and every config apply, with the time,
provider, user, request id and outcome. Secrets never appear in it.
Rejected reads are counted in /metrics, not logged here.

With --server (or $RECONCILE_SERVER) it asks a running daemon, which holds
the data dir; without, it reads the data dir directly.`,
		Example: `  reconcile log --server http://127.0.0.1:8080 --provider pingone --since 24h
  reconcile log --user alice@example.com --json | jq .`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 1 || limit > 10000 {
				return usageErrorf("--limit: want a number from 1 to 10000")
			}
			if err := df.check(cmd); err != nil {
				return err
			}
			f := admin.SyncLogFilter{Provider: provider, User: user, Limit: limit}
			if since != "" {
				t, err := admin.ParseSince(since, time.Now())
				if err != nil {
					return usageErrorf("--since: %v", err)
				}
				f.Since = t
			}
			var page admin.SyncLogPage
			sf.orEnv(cmd)
			if sf.url != "" {
				q := url.Values{}
				for k, v := range map[string]string{"provider": provider, "user": user} {
					if v != "" {
						q.Set(k, v)
					}
				}
				if !f.Since.IsZero() {
					q.Set("since", f.Since.UTC().Format(time.RFC3339Nano))
				}
				q.Set("limit", fmt.Sprint(limit))
				cl, err := sf.client()
				if err != nil {
					return err
				}
				if page, err = cl.SyncLog(cmd.Context(), q); err != nil {
					return err
				}
			} else {
				log, err := c.logger()
				if err != nil {
					return err
				}
				if !state.Exists(df.path()) {
					return fmt.Errorf("no state in %s: nothing was ever applied there (or use --server for a running daemon)", df.path())
				}
				store, err := openState(cmd.Context(), df.path(), true, log)
				if err != nil {
					return fmt.Errorf("%w (is the daemon running? then use --server)", err)
				}
				defer store.Close()
				page = admin.Filter(store.View(), f)
			}
			if asJSON {
				return printJSON(c.stdout, page.Events)
			}
			writeSyncLog(c.stdout, page.Events)
			if page.Next != 0 {
				fmt.Fprintf(c.stderr, "(more events after seq %d: raise --limit)\n", page.Next)
			}
			return nil
		},
	}
	sf.register(cmd)
	df.register(cmd)
	cmd.Flags().StringVar(&provider, "provider", "", "only this provider's events")
	cmd.Flags().StringVar(&user, "user", "", "only this user's events (id or userName)")
	cmd.Flags().StringVar(&since, "since", "", "only events since: an RFC 3339 time, a date, or a duration back (24h, 7d)")
	cmd.Flags().IntVar(&limit, "limit", 1000, "at most this many events")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the events as JSON")
	return cmd
}

func writeSyncLog(w io.Writer, events []*state.SyncEvent) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tSOURCE\tPROVIDER\tACTION\tOUTCOME\tUSER\tDETAIL")
	for _, e := range events {
		var detail []string
		if e.Revision != "" {
			detail = append(detail, "revision "+e.Revision)
		}
		for _, ch := range e.Changes {
			switch {
			case e.Source == state.SourceConfig:
				detail = append(detail, ch.Field+" "+ch.New)
			default:
				detail = append(detail, fmt.Sprintf("%s: %q -> %q", ch.Field, ch.Old, ch.New))
			}
		}
		if e.Detail != "" {
			detail = append(detail, e.Detail)
		}
		if e.RequestID != "" {
			detail = append(detail, "request "+e.RequestID)
		}
		// The detail, last, pads no column: it is printed whole.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.UTC().Format(time.RFC3339), e.Source, cell(dash(e.Provider)), cell(e.Action), e.Outcome,
			cell(dash(e.UserName)), names.Escape(strings.Join(detail, "; ")))
	}
	tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
