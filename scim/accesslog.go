package scim

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/reconcile-dev/reconcile/internal/names"
)

// logAccess writes the access log's line of a request: method, path,
// status, the provider it authenticated as ("" when it did not), how long
// it took and its request id (the one answered in X-Request-Id, else the
// client's). What a client chose is escaped: the line goes to a terminal
// or a log shipper.
func logAccess(log *slog.Logger, r *http.Request, rec *statusRecorder, d time.Duration) {
	id := rec.Header().Get("X-Request-Id")
	if id == "" {
		id = r.Header.Get("X-Request-Id")
	}
	path := r.URL.Path
	if len(path) > 256 {
		path = path[:256] + "..."
	}
	log.LogAttrs(context.Background(), slog.LevelInfo, "scim: request",
		slog.String("method", names.Escape(r.Method)), slog.String("path", names.Escape(path)), slog.Int("status", rec.status),
		slog.String("provider", rec.provider), slog.Duration("duration", d), slog.String("requestId", names.Escape(id)))
}
