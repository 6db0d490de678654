package state

import (
	"encoding/json"
	"errors"
)

// A command's result travels from the leader to the node a client called
// (see Cluster.Forward). Its error keeps the type that callers branch on
// (a 409 for a ConflictError, a 412 for a StaleError, a 503 that says
// whether a write may have been made...): EncodeResult and DecodeResult
// carry it, and EncodeRestore and DecodeRestore a restore's.

// wireResult is a result as it travels.
type wireResult struct {
	Index uint64     `json:"index"`
	Err   *wireError `json:"err,omitempty"`
}

type wireError struct {
	Message     string         `json:"message"`
	Stale       *StaleError    `json:"stale,omitempty"`
	Refused     *RefusedError  `json:"refused,omitempty"`
	Conflict    *ConflictError `json:"conflict,omitempty"`
	NotFound    *NotFoundError `json:"notFound,omitempty"`
	Unavailable bool           `json:"unavailable,omitempty"`
	// The errors a client is told apart by (SCIM's 503 says whether the
	// write may have been made).
	NoLeader       bool `json:"noLeader,omitempty"`
	OutcomeUnknown bool `json:"outcomeUnknown,omitempty"`
	BadSnapshot    bool `json:"badSnapshot,omitempty"`
}

// EncodeResult encodes a command's result on the leader.
func EncodeResult(res Result, err error) []byte {
	b, _ := json.Marshal(wireResult{Index: res.Index, Err: encodeError(err)}) // of plain structs: cannot fail
	return b
}

// DecodeResult decodes what EncodeResult encoded, on the node that
// forwarded the command.
func DecodeResult(b []byte) (Result, error) {
	var w wireResult
	if err := json.Unmarshal(b, &w); err != nil {
		return Result{}, errors.New("the leader's answer does not decode: " + err.Error())
	}
	return Result{Index: w.Index}, w.Err.decode()
}

// wireRestore is a restore's result as it travels.
type wireRestore struct {
	Result RestoreResult `json:"result"`
	Err    *wireError    `json:"err,omitempty"`
}

// EncodeRestore encodes a restore's result on the leader (see
// Cluster.Restore).
func EncodeRestore(res RestoreResult, err error) []byte {
	b, _ := json.Marshal(wireRestore{Result: res, Err: encodeError(err)})
	return b
}

// DecodeRestore decodes what EncodeRestore encoded.
func DecodeRestore(b []byte) (RestoreResult, error) {
	var w wireRestore
	if err := json.Unmarshal(b, &w); err != nil {
		return RestoreResult{}, errors.New("the leader's answer does not decode: " + err.Error())
	}
	return w.Result, w.Err.decode()
}

func encodeError(err error) *wireError {
	if err == nil {
		return nil
	}
	we := &wireError{Message: err.Error()}
	errors.As(err, &we.Stale)
	errors.As(err, &we.Refused)
	errors.As(err, &we.Conflict)
	errors.As(err, &we.NotFound)
	we.Unavailable = errors.Is(err, ErrUnavailable)
	we.NoLeader = errors.Is(err, ErrNoLeader)
	we.OutcomeUnknown = errors.Is(err, ErrOutcomeUnknown)
	we.BadSnapshot = errors.Is(err, ErrBadSnapshot)
	return we
}

func (e *wireError) decode() error {
	switch {
	case e == nil:
		return nil
	case e.Stale != nil:
		return e.Stale
	case e.Refused != nil:
		return e.Refused
	case e.Conflict != nil:
		return e.Conflict
	case e.NotFound != nil:
		return e.NotFound
	case e.Unavailable:
		return &leaderError{msg: e.Message, is: ErrUnavailable}
	case e.NoLeader:
		return &leaderError{msg: e.Message, is: ErrNoLeader}
	case e.OutcomeUnknown:
		return &leaderError{msg: e.Message, is: ErrOutcomeUnknown}
	case e.BadSnapshot:
		return &leaderError{msg: e.Message, is: ErrBadSnapshot}
	}
	return &leaderError{msg: e.Message}
}

// leaderError is an error the leader answered with, by its message.
type leaderError struct {
	msg string
	is  error
}

func (e *leaderError) Error() string { return e.msg }
func (e *leaderError) Unwrap() error { return e.is }
