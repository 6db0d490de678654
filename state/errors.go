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
	// UserName names the user at Address for people (its address has
	// only its id); empty for other objects.
	UserName string
	Reason   string
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("%s %s since the plan was made; nothing was applied, plan again", named(e.Address, e.UserName), e.Reason)
}

// Refusal is one reason a command was refused.
type Refusal struct {
	Address string `json:"address"`
	// UserName names the user at Address for people (its address has
	// only its id, which machines read); empty for other objects.
	UserName string `json:"userName,omitempty"`
	Message  string `json:"message"`
}

func (r Refusal) String() string { return named(r.Address, r.UserName) + ": " + r.Message }

// named is an address as people read it: a user's with its userName
// (user.<id> (userName "alice@acme.com")), others as they are.
func named(addr, userName string) string {
	if userName == "" {
		return addr
	}
	return fmt.Sprintf("%s (userName %q)", addr, userName)
}

// withUserName names the user at addr by userName in err, a refusal or
// a stale error of the command changing it; other errors are returned as
// they are.
func withUserName(err error, addr, userName string) error {
	var refused *RefusedError
	var stale *StaleError
	switch {
	case errors.As(err, &refused):
		for i := range refused.Refusals {
			if refused.Refusals[i].Address == addr {
				refused.Refusals[i].UserName = userName
			}
		}
	case errors.As(err, &stale) && stale.Address == addr:
		stale.UserName = userName
	}
	return err
}

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
