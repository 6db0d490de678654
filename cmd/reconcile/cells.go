package main

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/reconcile-dev/reconcile/internal/names"
)

// cellWidth is the widest a table cell of a client-chosen value (a
// userName, an organization's display name) is printed, in characters:
// tabwriter pads every row of a column to its widest cell, so one
// 100,000-character name made every row as wide.
const cellWidth = 64

// cell is a client-chosen value as a table cell: escaped (names.Escape)
// and cut to cellWidth with "…".
func cell(s string) string {
	return names.Ellipsize(names.Escape(s), cellWidth)
}

func printJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(names.EscapeJSON(buf.Bytes()))
	return err
}
