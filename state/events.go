package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"
)

// applySyncEventTxn applies CmdSyncEvent: the event, stamped with the
// command's time.
func applySyncEventTxn(tx *memdb.Txn, _ uint64, cmd *Command) error {
	if cmd.SyncEvent == nil {
		return fmt.Errorf("sync.event command without an event")
	}
	ev := *cmd.SyncEvent
	ev.Time = cmd.Time
	return appendSyncEventTxn(tx, &ev)
}
