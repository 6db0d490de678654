package main

import (
	"os"
	"os/user"
)

// actor says who runs the CLI, for the sync log of what it asks a daemon
// to do: $RECONCILE_ACTOR, else user@host. The admin token is shared by
// whoever holds it, so this is what the caller says, not proof.
func actor() string {
	if a := os.Getenv("RECONCILE_ACTOR"); a != "" {
		return a
	}
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if host, err := os.Hostname(); err == nil && host != "" {
		return name + "@" + host
	}
	return name
}
