package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/reconcile-dev/reconcile/internal/names"
	"github.com/reconcile-dev/reconcile/state"
)

// eventWriter prints sync log events as a table, JSON or CSV: all at once
// (end), or as they come (--follow: the table's header once, JSON one
// object a line).
type eventWriter struct {
	w      io.Writer
	format string
	follow bool
	csv    *csv.Writer
	// events are the events of a JSON array, printed at the end.
	events  []*state.SyncEvent
	started bool
}

func newEventWriter(w io.Writer, format string, follow bool) (*eventWriter, error) {
	switch format {
	case "text", "json", "csv":
	default:
		return nil, usageErrorf("--format: %q is not one of text, json, csv", format)
	}
	return &eventWriter{w: w, format: format, follow: follow}, nil
}

// start prints the header, if the format has one.
func (ew *eventWriter) start() error {
	if ew.started {
		return nil
	}
	ew.started = true
	switch ew.format {
	case "csv":
		ew.csv = csv.NewWriter(ew.w)
		return ew.writeCSV(csvHeader)
	case "text":
		if ew.follow {
			// Columns as wide as the table's first rows usually are.
			_, err := fmt.Fprintf(ew.w, "%-20s  %-6s  %-8s  %-20s  %-8s  %-24s  %s\n", "TIME", "SOURCE", "PROVIDER", "ACTION", "OUTCOME", "USER", "DETAIL")
			return err
		}
	}
	return nil
}

// write prints events.
func (ew *eventWriter) write(events []*state.SyncEvent) error {
	if err := ew.start(); err != nil {
		return err
	}
	switch {
	case ew.format == "csv":
		for _, e := range events {
			if err := ew.writeCSV(csvRecord(e)); err != nil {
				return err
			}
		}
		ew.csv.Flush()
		return ew.csv.Error()
	case ew.format == "json" && ew.follow:
		for _, e := range events {
			b, err := json.Marshal(e)
			if err != nil {
				return err
			}
			if _, err := ew.w.Write(append(names.EscapeJSON(b), '\n')); err != nil {
				return err
			}
		}
	case ew.format == "json":
		ew.events = append(ew.events, events...)
	case ew.follow:
		for _, e := range events {
			if _, err := fmt.Fprintf(ew.w, "%-20s  %-6s  %-8s  %-20s  %-8s  %-24s  %s\n", e.Time.UTC().Format(time.RFC3339), e.Source, cell(dash(e.Provider)), cell(e.Action), e.Outcome,
				cell(dash(e.UserName)), names.Escape(eventDetail(e))); err != nil {
				return err
			}
		}
	default:
		var b bytes.Buffer
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, syncLogHeader)
		writeSyncLogRows(tw, events)
		tw.Flush()
		_, err := ew.w.Write(b.Bytes())
		return err
	}
	return nil
}

// end prints what is printed at the end: a JSON array.
func (ew *eventWriter) end() error {
	if ew.format == "json" && !ew.follow {
		if ew.events == nil {
			ew.events = []*state.SyncEvent{}
		}
		return printJSON(ew.w, ew.events)
	}
	return ew.start()
}

// The columns of the sync log as CSV (README, "The sync log").
var csvHeader = []string{"seq", "time", "source", "action", "outcome", "provider", "userId", "userName", "requestId", "revision", "detail", "changes"}

// csvRecord is an event as a CSV record: the changes as a JSON array of
// {"field", "old", "new"}.
func csvRecord(e *state.SyncEvent) []string {
	changes := ""
	if len(e.Changes) > 0 {
		b, _ := json.Marshal(e.Changes)
		changes = string(b)
	}
	return []string{strconv.FormatUint(e.Seq, 10), e.Time.UTC().Format(time.RFC3339Nano), e.Source, e.Action, e.Outcome, e.Provider,
		e.UserID, e.UserName, e.RequestID, e.Revision, e.Detail, changes}
}

// writeCSV writes a record, each field escaped for a terminal and kept
// from being read as a formula by a spreadsheet (a leading =, +, -, @,
// tab or carriage return gets a ').
func (ew *eventWriter) writeCSV(rec []string) error {
	for i, v := range rec {
		v = names.Escape(v)
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			v = "'" + v
		}
		rec[i] = v
	}
	return ew.csv.Write(rec)
}
