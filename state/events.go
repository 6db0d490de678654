package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"
)

// CmdSyncEvent records a sync log event by itself, such as a rejected
// request that changed nothing else.
const CmdSyncEvent = "sync.event"

func applySyncEventTxn(tx *memdb.Txn, _ uint64, cmd *Command) error {
	if cmd.SyncEvent == nil {
		return fmt.Errorf("sync.event command without an event")
	}
	ev := *cmd.SyncEvent
	ev.Time = cmd.Time
	return appendSyncEventTxn(tx, &ev)
}
