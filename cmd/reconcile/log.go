package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
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

// logFlags are the flags of log.
type logFlags struct {
	sf           serverFlags
	df           dataFlags
	provider     string
	user         string
	since, until string
	limit        int
	asJSON       bool
	format       string
	follow       bool
}

func (c *cli) logCmd() *cobra.Command {
	var f logFlags
	cmd := &cobra.Command{
		Use:   "log",
		Short: "Show the sync log: every change and the rejected writes",
		Long: `Log prints the sync log, oldest first: every change a provider made over
SCIM (create, update with old -> new per field, deprovision, reactivate,
group changes), the rejected writes (the first 20 of each provider in a
minute, then how many more), every config apply, and what operators did,
with the time, provider, user, request id and outcome. Secrets never
appear in it. Rejected reads are counted in /metrics, not logged here.

--since and --until bound the time (--until excluded); --format json or
csv exports it (the schema is in the README, "The sync log"). --follow
prints new events as they come, until interrupted (from --since, else
from now on).

With --server (or $RECONCILE_SERVER) it asks a running daemon, which holds
the data dir; without, it reads the data dir directly.`,
		Example: `  reconcile log --server http://127.0.0.1:8080 --provider pingone --since 24h
  reconcile log --since 2026-11-01 --until 2026-12-01 --format csv > november.csv
  reconcile log --follow
  reconcile log --user alice@example.com --json | jq .`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.log(cmd, &f)
		},
	}
	f.sf.register(cmd)
	f.df.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.provider, "provider", "", "only this provider's events")
	fl.StringVar(&f.user, "user", "", "only this user's events (id or userName)")
	fl.StringVar(&f.since, "since", "", "only events since: an RFC 3339 time, a date, or a duration back (24h, 7d)")
	fl.StringVar(&f.until, "until", "", "only events before: an RFC 3339 time, a date, or a duration back")
	fl.IntVar(&f.limit, "limit", 1000, "at most this many events")
	fl.BoolVar(&f.asJSON, "json", false, "print the events as JSON (the same as --format json)")
	fl.StringVar(&f.format, "format", "text", "text, json or csv")
	fl.BoolVar(&f.follow, "follow", false, "print new events as they come, until interrupted (needs a running daemon)")
	return cmd
}

// log is the log command.
func (c *cli) log(cmd *cobra.Command, f *logFlags) error {
	if f.limit < 1 || f.limit > 10000 {
		return usageErrorf("--limit: want a number from 1 to 10000")
	}
	if f.asJSON {
		f.format = "json"
	}
	out, err := newEventWriter(c.stdout, f.format, f.follow)
	if err != nil {
		return err
	}
	if err := f.df.check(cmd); err != nil {
		return err
	}
	filter := admin.SyncLogFilter{Provider: f.provider, User: f.user, Limit: f.limit}
	now := time.Now()
	for _, b := range []struct {
		flag, value string
		dst         *time.Time
	}{{"--since", f.since, &filter.Since}, {"--until", f.until, &filter.Until}} {
		if b.value == "" {
			continue
		}
		t, err := admin.ParseSince(b.value, now)
		if err != nil {
			return usageErrorf("%s: %v", b.flag, err)
		}
		*b.dst = t
	}
	f.sf.orEnv(cmd)
	switch {
	case f.follow && f.sf.url == "":
		return usageErrorf("--follow needs a running daemon: give --server (or set RECONCILE_SERVER)")
	case f.follow && f.until != "":
		return usageErrorf("--follow and --until exclude each other: follow the log from now on, or read it up to a time")
	case f.follow:
		return c.followLog(cmd.Context(), &f.sf, filter, f.since != "", out)
	}
	var page admin.SyncLogPage
	if f.sf.url != "" {
		cl, err := f.sf.client()
		if err != nil {
			return err
		}
		if page, err = cl.SyncLog(cmd.Context(), syncLogQuery(filter, 0)); err != nil {
			return err
		}
	} else {
		log, err := c.logger()
		if err != nil {
			return err
		}
		if !state.Exists(f.df.path()) {
			return fmt.Errorf("no state in %s: nothing was ever applied there (or use --server for a running daemon)", f.df.path())
		}
		store, err := openState(cmd.Context(), f.df.path(), true, log)
		if err != nil {
			return fmt.Errorf("%w (is the daemon running? then use --server)", err)
		}
		defer store.Close()
		page = admin.Filter(store.View(), filter)
	}
	if err := out.write(page.Events); err != nil {
		return err
	}
	if err := out.end(); err != nil {
		return err
	}
	if page.Next != 0 {
		fmt.Fprintf(c.stderr, "(more events after seq %d: raise --limit)\n", page.Next)
	}
	return nil
}

// syncLogQuery is the query of GET /api/v1/sync-log for f, waiting up to
// wait for events.
func syncLogQuery(f admin.SyncLogFilter, wait time.Duration) url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"provider": f.Provider, "user": f.User} {
		if v != "" {
			q.Set(k, v)
		}
	}
	for k, t := range map[string]time.Time{"since": f.Since, "until": f.Until} {
		if !t.IsZero() {
			q.Set(k, t.UTC().Format(time.RFC3339Nano))
		}
	}
	if f.After != 0 {
		q.Set("after", fmt.Sprint(f.After))
	}
	if wait > 0 {
		q.Set("wait", wait.String())
	}
	q.Set("limit", fmt.Sprint(f.Limit))
	return q
}

// followWait is how long each request of --follow waits for events.
const followWait = 30 * time.Second

// followLog prints the events f selects as they come, until interrupted:
// from f.Since when fromSince, else from now on.
func (c *cli) followLog(ctx context.Context, sf *serverFlags, f admin.SyncLogFilter, fromSince bool, out *eventWriter) error {
	cl, err := sf.client()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if !fromSince {
		// Where the log ends now: a filter nothing passes gives it.
		page, err := cl.SyncLog(ctx, url.Values{"since": {time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, "limit": {"1"}})
		if err != nil {
			return err
		}
		f.After = page.Last
	}
	if err := out.start(); err != nil {
		return err
	}
	for {
		page, err := cl.SyncLog(ctx, syncLogQuery(f, followWait))
		switch {
		case ctx.Err() != nil:
			return out.end()
		case err != nil:
			return err
		}
		if err := out.write(page.Events); err != nil {
			return err
		}
		f.After = page.Last
		if page.Next != 0 {
			f.After = page.Next
		}
	}
}

func writeSyncLog(w io.Writer, events []*state.SyncEvent) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, syncLogHeader)
	writeSyncLogRows(tw, events)
	tw.Flush()
}

// syncLogHeader is the header of the sync log's table.
const syncLogHeader = "TIME\tSOURCE\tPROVIDER\tACTION\tOUTCOME\tUSER\tDETAIL"

// writeSyncLogRows writes a row of the table per event.
func writeSyncLogRows(tw io.Writer, events []*state.SyncEvent) {
	for _, e := range events {
		// The detail, last, pads no column: it is printed whole.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.UTC().Format(time.RFC3339), e.Source, cell(dash(e.Provider)), cell(e.Action), e.Outcome,
			cell(dash(e.UserName)), names.Escape(eventDetail(e)))
	}
}

// eventDetail is what an event says beyond its columns: the revision,
// the changes, the detail and the request id.
func eventDetail(e *state.SyncEvent) string {
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
	return strings.Join(detail, "; ")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
