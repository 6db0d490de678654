package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/reconcile-dev/reconcile/scim/protocol"
)

// contentType is SCIM's media type (RFC 7644 §8.1).
const contentType = "application/scim+json"

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		fmt.Fprintf(&buf, `{"schemas":[%q],"status":"500","detail":"encoding the response failed"}`+"\n", protocol.URNError)
	}
	writeRaw(w, status, buf.Bytes())
}

// writeRaw answers with body, JSON text.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", contentType+"; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}

// readBody reads a request body of at most limit bytes.
func readBody(r *http.Request, limit int64) ([]byte, *protocol.Error) {
	return readBodyTo(nil, r, limit)
}

// readBodyTo is readBody into dst's array when it is large enough.
func readBodyTo(dst []byte, r *http.Request, limit int64) ([]byte, *protocol.Error) {
	// A declared length sizes the buffer once, where io.ReadAll would
	// grow it from 512 bytes, copying; ReadFrom wants MinRead spare bytes
	// to see the end. Only up to 64 KiB is taken on the client's word:
	// a larger body grows the buffer as it arrives.
	buf := bytes.NewBuffer(dst[:0])
	if n := r.ContentLength; n > 0 && n <= limit {
		buf.Grow(int(min(n, 64<<10)) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, limit))
	body := buf.Bytes()
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, protocol.Errorf(http.StatusRequestEntityTooLarge, "", "the request body is larger than %d bytes", limit)
	case err != nil:
		return nil, protocol.InvalidSyntax("reading the request body: %v", err)
	}
	return body, nil
}

// writeError answers with e (RFC 7644 §3.12).
func writeError(w http.ResponseWriter, e *protocol.Error) {
	for _, c := range e.Challenge {
		w.Header().Add("WWW-Authenticate", c)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	writeJSON(w, e.Status, e.Response())
}
