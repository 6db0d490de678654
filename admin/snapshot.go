package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

// Snapshots saves and restores the whole state, for backups:
// *state.Store implements it.
type Snapshots interface {
	TakeSnapshot(ctx context.Context, by string) (*state.Snapshot, error)
	RestoreSnapshot(ctx context.Context, r io.Reader, by string) (state.RestoreResult, error)
}

// snapshotTimeout bounds sending or receiving a snapshot, which may take
// longer than the server's timeouts of other requests.
const snapshotTimeout = time.Hour

// saveSnapshot is GET /api/v1/snapshot: a snapshot archive of the state
// (see package state, archive.go), taken on this node once it holds every
// write acknowledged before the request. An archive that breaks off (the
// connection is dropped) was not taken whole: its checksums say so.
func (a *API) saveSnapshot(w http.ResponseWriter, r *http.Request) {
	longTransfer(w)
	sn, err := a.opts.Snapshots.TakeSnapshot(r.Context(), requester(r))
	if err != nil {
		writeSnapshotError(w, "no snapshot was taken", err)
		return
	}
	defer sn.Close()
	info := sn.Info()
	w.Header().Set("Content-Type", "application/x-tar")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="reconcile-snapshot-%d.tar"`, info.Index))
	w.WriteHeader(http.StatusOK)
	if _, err := sn.WriteArchive(w); err != nil {
		a.opts.Logger.Error("admin: sending a snapshot failed", "index", info.Index, "err", err)
		panic(http.ErrAbortHandler) // the client must not take what it got for a whole archive
	}
	a.opts.Logger.Info("admin: a snapshot was saved", "index", info.Index, "term", info.Term, "bytes", info.Size)
}

// restoreSnapshot is PUT /api/v1/snapshot with an archive as the body: it
// replaces the state of every node of the cluster with the archive's,
// once the archive checks whole. The config loop then runs, so that the
// config the daemon follows applies over the restored state.
func (a *API) restoreSnapshot(w http.ResponseWriter, r *http.Request) {
	longTransfer(w)
	// A client that goes away once it sent the archive does not stop the
	// restore half way.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), snapshotTimeout)
	defer cancel()
	res, err := a.opts.Snapshots.RestoreSnapshot(ctx, r.Body, requester(r))
	if err != nil {
		writeSnapshotError(w, "nothing was restored", err)
		return
	}
	if a.opts.Loop != nil {
		a.opts.Loop.TriggerFor("restore")
	}
	writeJSON(w, http.StatusOK, res)
}

// writeSnapshotError answers for a save or a restore that failed: a bad
// archive is the client's (400); a cluster without a leader, or a restore
// whose leader changed under it, are for later (503).
func writeSnapshotError(w http.ResponseWriter, nothing string, err error) {
	switch {
	case errors.Is(err, state.ErrBadSnapshot):
		writeError(w, http.StatusBadRequest, "the snapshot archive was refused; nothing was restored: "+err.Error())
	case errors.Is(err, state.ErrOutcomeUnknown):
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "the cluster's leader changed meanwhile: the restore may or may not have been made; read the state before trying again: "+err.Error())
	case errors.Is(err, state.ErrNoLeader), errors.Is(err, state.ErrUnavailable):
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, nothing+": "+err.Error())
	default:
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

// longTransfer lifts the server's read and write timeouts, made for
// small requests, to snapshotTimeout for this one.
func longTransfer(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(snapshotTimeout)
	rc.SetReadDeadline(deadline)
	rc.SetWriteDeadline(deadline)
}

// requester says who made a request, for the sync log: the actor the
// client names (X-Reconcile-Actor), and where from.
func requester(r *http.Request) string {
	host := remoteHost(r)
	if a := actorOf(r); a != "" {
		return "by " + a + " through the admin API from " + host
	}
	return "through the admin API from " + host
}

// remoteHost is the address a request came from, without its port.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// maxActor bounds the actor a client names.
const maxActor = 256

// actorOf is who the client says it is, "" when it says nothing; the
// sync log escapes it when printed.
func actorOf(r *http.Request) string {
	a := strings.TrimSpace(r.Header.Get(ActorHeader))
	if len(a) > maxActor {
		a = a[:maxActor]
	}
	return strings.ToValidUTF8(a, "\uFFFD")
}

// SaveSnapshot is GET /api/v1/snapshot: it writes the archive the daemon
// sends to w as it comes, and returns the error of an answer that breaks
// off. It does not check the archive: state.VerifySnapshot does.
func (c *Client) SaveSnapshot(ctx context.Context, w io.Writer) error {
	resp, err := c.send(ctx, http.MethodGet, "/api/v1/snapshot", nil, "", 0)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
		return answerError(resp.StatusCode, answer)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("receiving the snapshot: %w", err)
	}
	return nil
}

// RestoreSnapshot is PUT /api/v1/snapshot with the archive read from r,
// size bytes long (-1 when unknown).
func (c *Client) RestoreSnapshot(ctx context.Context, r io.Reader, size int64) (state.RestoreResult, error) {
	var res state.RestoreResult
	resp, err := c.send(ctx, http.MethodPut, "/api/v1/snapshot", &sized{r, size}, "application/x-tar", 0)
	if err != nil {
		return res, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return res, fmt.Errorf("reading the daemon's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return res, answerError(resp.StatusCode, answer)
	}
	if err := json.Unmarshal(answer, &res); err != nil {
		return res, fmt.Errorf("the daemon's answer does not decode: %w", err)
	}
	return res, nil
}

// sized is a body of n bytes (-1: unknown), for Content-Length.
type sized struct {
	io.Reader
	n int64
}
