package protocol

import (
	"errors"
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

// Error says e's status, scimType and detail.
func (e *Error) Error() string {
	if e.ScimType != "" {
		return fmt.Sprintf("%d %s: %s", e.Status, e.ScimType, e.Detail)
	}
	return fmt.Sprintf("%d: %s", e.Status, e.Detail)
}

// Errorf returns an error with the HTTP status, the scimType ("" for
// none) and the detail format gives.
func Errorf(status int, scimType, format string, args ...any) *Error {
	return &Error{Status: status, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

func invalidFilter(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, "invalidFilter", format, args...)
}

// InvalidValue is a 400 invalidValue: a value the request sent is
// refused.
func InvalidValue(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, "invalidValue", format, args...)
}

// InvalidSyntax is a 400 invalidSyntax: the request body is not the
// message it should be.
func InvalidSyntax(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, "invalidSyntax", format, args...)
}

// InvalidPath is a 400 invalidPath: a PATCH path is refused.
func InvalidPath(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, "invalidPath", format, args...)
}

func noTarget(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, "noTarget", format, args...)
}

// Mutability is a 400 mutability: the request changes what may not be
// changed.
func Mutability(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, "mutability", format, args...)
}

// Uniqueness is a 409 uniqueness: a value that must be unique is taken.
func Uniqueness(format string, args ...any) *Error {
	return Errorf(http.StatusConflict, "uniqueness", format, args...)
}

// NotFound is a 404.
func NotFound(format string, args ...any) *Error {
	return Errorf(http.StatusNotFound, "", format, args...)
}

// PreconditionFailed is a 412: the resource's version is not the one
// If-Match names (RFC 7644 §3.14).
func PreconditionFailed(format string, args ...any) *Error {
	return Errorf(http.StatusPreconditionFailed, "", format, args...)
}

// AsError returns err as a SCIM error: itself if it is one, or a 400
// invalidValue saying what it says.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return InvalidValue("%v", err)
}

// ErrorResponse is the JSON of an error response. Status is a string, as
// RFC 7644 §3.12 says.
type ErrorResponse struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail"`
}

// Response is the body that answers with e.
func (e *Error) Response() ErrorResponse {
	return ErrorResponse{
		Schemas:  []string{URNError},
		Status:   strconv.Itoa(e.Status),
		ScimType: e.ScimType,
		Detail:   e.Detail,
	}
}
