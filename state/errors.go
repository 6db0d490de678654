package state

import (
	"errors"
	"fmt"
	"strings"
)

// ErrLocked is returned by Open when another process holds the data dir.
var ErrLocked = errors.New("data dir is in use by another process")

// StaleError reports that an object changed between planning a command and
// applying it; nothing was applied.
type StaleError struct {
	Address string // e.g. "organization.engineering"
	Reason  string
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("%s %s since the plan was made; nothing was applied, plan again", e.Address, e.Reason)
}

// Refusal is one reason a command was refused.
type Refusal struct {
	Address string `json:"address"`
	Message string `json:"message"`
}

func (r Refusal) String() string { return r.Address + ": " + r.Message }

// RefusedError reports every reason a command would break an invariant of
// the state; nothing was applied.
type RefusedError struct {
	Refusals []Refusal
}

func (e *RefusedError) Error() string {
	msgs := make([]string, len(e.Refusals))
	for i, r := range e.Refusals {
		msgs[i] = r.String()
	}
	return "refused: " + strings.Join(msgs, "; ")
}
