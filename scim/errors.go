package scim

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Error is a SCIM error response (RFC 7644 §3.12). Its Detail is what the
// client sees; it never holds secrets.
type Error struct {
	Status     int
	ScimType   string
	Detail     string
	RetryAfter time.Duration // 429 and 503 only
	Challenge  []string      // 401 only: the WWW-Authenticate headers
}

func (e *Error) Error() string {
	if e.ScimType != "" {
		return fmt.Sprintf("%d %s: %s", e.Status, e.ScimType, e.Detail)
	}
	return fmt.Sprintf("%d: %s", e.Status, e.Detail)
}

func newError(status int, scimType, format string, args ...any) *Error {
	return &Error{Status: status, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

func errInvalidFilter(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, "invalidFilter", format, args...)
}

func errInvalidValue(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, "invalidValue", format, args...)
}

func errInvalidSyntax(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, "invalidSyntax", format, args...)
}

func errInvalidPath(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, "invalidPath", format, args...)
}

func errNoTarget(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, "noTarget", format, args...)
}

func errMutability(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, "mutability", format, args...)
}

func errUniqueness(format string, args ...any) *Error {
	return newError(http.StatusConflict, "uniqueness", format, args...)
}

func errNotFound(format string, args ...any) *Error {
	return newError(http.StatusNotFound, "", format, args...)
}

func errPrecondition(format string, args ...any) *Error {
	return newError(http.StatusPreconditionFailed, "", format, args...)
}

// errorBody is the JSON of an error response. status is a string, as RFC
// 7644 §3.12 says.
type errorBody struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail"`
}

func writeError(w http.ResponseWriter, e *Error) {
	for _, c := range e.Challenge {
		w.Header().Add("WWW-Authenticate", c)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	writeJSON(w, e.Status, errorBody{
		Schemas:  []string{URNError},
		Status:   strconv.Itoa(e.Status),
		ScimType: e.ScimType,
		Detail:   e.Detail,
	})
}
