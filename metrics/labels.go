package metrics

import (
	"net/http"
	"strconv"
)

// otherLabel stands for any value outside a label's known set.
const otherLabel = "other"

// methodLabel is the label of an HTTP method: the method itself when it is
// one of HTTP's (RFC 9110 and PATCH, as sent: methods are case-sensitive),
// else "other".
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return otherLabel
}

// statusLabel is the label of a status code: the code when it is a valid
// one (100-599), else "other".
func statusLabel(status int) string {
	if status < 100 || status > 599 {
		return otherLabel
	}
	return strconv.Itoa(status)
}
