package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reconcile-dev/reconcile/state"
)

// TestSyncLogTable checks that what clients chose is printed with what
// could take over the terminal, hide or reorder text escaped, and that a
// name too long for a column is cut, so that no row pads to it.
func TestSyncLogTable(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	var events []*state.SyncEvent
	for _, name := range []string{
		"alice@acme.com",
		"évelyne@acme.fr",
		"evil\x1b[2J@acme.com",
		"line1\nfake\trow",
		"admin\u202emoc.emca@",
		"a\u200bdmin\ufeff@acme.com",
		"sep\u2028arated",
		"lone\xed\xa0\x80surrogate",
		strings.Repeat("x", 100000),
	} {
		events = append(events, &state.SyncEvent{Time: at, Source: "scim", Provider: "okta", Action: "user.create", Outcome: "ok", UserName: name})
	}
	events = append(events, &state.SyncEvent{Time: at, Source: "scim", Provider: "okta", Action: "user.update", Outcome: "ok", UserName: "bob",
		Changes: []state.Change{{Field: "title", Old: "a\u202eb", New: "c\u2029d"}}, RequestID: "req\u200b1"})
	var b strings.Builder
	writeSyncLog(&b, events)
	want := `TIME                  SOURCE  PROVIDER  ACTION       OUTCOME  USER                                                              DETAIL
2026-12-01T09:00:00Z  scim    okta      user.create  ok       alice@acme.com                                                    
2026-12-01T09:00:00Z  scim    okta      user.create  ok       évelyne@acme.fr                                                   
2026-12-01T09:00:00Z  scim    okta      user.create  ok       evil\x1b[2J@acme.com                                              
2026-12-01T09:00:00Z  scim    okta      user.create  ok       line1\nfake\trow                                                  
2026-12-01T09:00:00Z  scim    okta      user.create  ok       admin\u202emoc.emca@                                              
2026-12-01T09:00:00Z  scim    okta      user.create  ok       a\u200bdmin\ufeff@acme.com                                        
2026-12-01T09:00:00Z  scim    okta      user.create  ok       sep\u2028arated                                                   
2026-12-01T09:00:00Z  scim    okta      user.create  ok       lone\ud800surrogate                                               
2026-12-01T09:00:00Z  scim    okta      user.create  ok       xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…  
2026-12-01T09:00:00Z  scim    okta      user.update  ok       bob                                                               title: "a\u202eb" -> "c\u2029d"; request req\u200b1
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("writeSyncLog (-want +got):\n%s", diff)
	}
}
