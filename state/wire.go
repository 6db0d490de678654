package state

import (
	"encoding/json"
	"errors"
)

// A command's result travels from the leader to the node a client called
// (see Cluster.Forward). Its error keeps the type that callers branch on
// (a 409 for a ConflictError, a 412 for a StaleError...): EncodeResult and
// DecodeResult carry it.

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
}

// EncodeResult encodes a command's result on the leader.
func EncodeResult(res Result, err error) []byte {
	w := wireResult{Index: res.Index}
	if err != nil {
		we := &wireError{Message: err.Error()}
		errors.As(err, &we.Stale)
		errors.As(err, &we.Refused)
		errors.As(err, &we.Conflict)
		errors.As(err, &we.NotFound)
		we.Unavailable = errors.Is(err, ErrUnavailable)
		w.Err = we
	}
	b, _ := json.Marshal(w) // of plain structs: cannot fail
	return b
}

// DecodeResult decodes what EncodeResult encoded, on the node that
// forwarded the command.
func DecodeResult(b []byte) (Result, error) {
	var w wireResult
	if err := json.Unmarshal(b, &w); err != nil {
		return Result{}, errors.New("the leader's answer does not decode: " + err.Error())
	}
	res := Result{Index: w.Index}
	e := w.Err
	switch {
	case e == nil:
		return res, nil
	case e.Stale != nil:
		return res, e.Stale
	case e.Refused != nil:
		return res, e.Refused
	case e.Conflict != nil:
		return res, e.Conflict
	case e.NotFound != nil:
		return res, e.NotFound
	case e.Unavailable:
		return res, &leaderError{msg: e.Message, is: ErrUnavailable}
	}
	return res, &leaderError{msg: e.Message}
}

// leaderError is an error the leader answered with, by its message.
type leaderError struct {
	msg string
	is  error
}

func (e *leaderError) Error() string { return e.msg }
func (e *leaderError) Unwrap() error { return e.is }
