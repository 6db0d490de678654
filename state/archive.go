package state

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"
)

// A snapshot archive is the state as it leaves a cluster and comes back:
// a backup (reconcile snapshot save) that restores into an empty data dir
// or a running cluster (reconcile snapshot restore). It follows Consul's
// snapshot archives: the snapshot's meta data, the state, and the SHA-256
// of both, in a tar.
//
// Format 1 is a POSIX tar archive of exactly three files, in this order:
//
//	meta.json   {"format":1,"index":42,"term":3,"size":12345,
//	             "time":"2025-01-02T03:04:05Z","node":"n1"}: the archive's
//	            format, the Raft log index and term the state was taken
//	            at, the size of state.bin in bytes, and when and on which
//	            node of a cluster it was taken
//	state.bin   the state, size bytes, as Raft's snapshots hold it (see
//	            snapshot.go: a gob stream of its tables)
//	SHA256SUMS  the SHA-256 of meta.json and state.bin, as sha256sum
//	            prints them ("<64 hex digits>  meta.json"), so that
//	            tar -xf FILE && sha256sum -c SHA256SUMS checks one by hand
//
// An archive is read whole and checked before anything is restored from
// it: a damaged, truncated or unknown one is refused with an error that
// wraps ErrBadSnapshot.
const ArchiveFormat = 1

// Names of the files in an archive.
const (
	archiveMeta  = "meta.json"
	archiveState = "state.bin"
	archiveSums  = "SHA256SUMS"
)

// maxArchiveSmallFile bounds meta.json and SHA256SUMS, which are a few
// hundred bytes.
const maxArchiveSmallFile = 64 << 10

// SnapshotInfo describes a snapshot archive: its meta.json, and the
// SHA-256 of its state from SHA256SUMS.
type SnapshotInfo struct {
	Format int       `json:"format"`
	Index  uint64    `json:"index"`
	Term   uint64    `json:"term"`
	Size   int64     `json:"size"`
	Time   time.Time `json:"time"`
	// Node is the cluster node that took it; empty for a single node.
	Node string `json:"node,omitempty"`
	// SHA256 is the state's, in hex; meta.json leaves it out (its own
	// SHA-256 is in SHA256SUMS beside it).
	SHA256 string `json:"sha256,omitempty"`
}

// ErrBadSnapshot is wrapped by the errors of an archive that is refused:
// damaged, truncated, not an archive, or of an unknown format. Nothing
// was restored from it.
var ErrBadSnapshot = errors.New("bad snapshot archive")

type archiveError struct{ msg string }

func (e *archiveError) Error() string        { return e.msg }
func (e *archiveError) Is(target error) bool { return target == ErrBadSnapshot }

func badSnapshotf(format string, args ...any) error {
	return &archiveError{msg: fmt.Sprintf(format, args...)}
}

// writeArchive writes an archive of the state read from state, which
// must be info.Size bytes, and sets info.SHA256.
func writeArchive(w io.Writer, info *SnapshotInfo, state io.Reader) error {
	info.Format = ArchiveFormat
	info.SHA256 = ""
	meta, err := json.Marshal(info)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	tw := tar.NewWriter(bw)
	header := func(name string, size int64) error {
		return tw.WriteHeader(&tar.Header{Name: name, Size: size, Mode: 0o600, ModTime: info.Time.Truncate(time.Second), Format: tar.FormatPAX})
	}
	if err := header(archiveMeta, int64(len(meta))); err != nil {
		return err
	}
	if _, err := tw.Write(meta); err != nil {
		return err
	}
	if err := header(archiveState, info.Size); err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tw, h), state)
	if err != nil {
		return fmt.Errorf("writing the state: %w", err)
	}
	if n != info.Size {
		return fmt.Errorf("writing the state: %d bytes, want %d", n, info.Size)
	}
	info.SHA256 = hex.EncodeToString(h.Sum(nil))
	metaSum := sha256.Sum256(meta)
	sums := fmt.Sprintf("%x  %s\n%s  %s\n", metaSum, archiveMeta, info.SHA256, archiveState)
	if err := header(archiveSums, int64(len(sums))); err != nil {
		return err
	}
	if _, err := io.WriteString(tw, sums); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

// readArchive reads an archive from r and checks it whole. It hands the
// state to state as it reads it (what state leaves unread is read after
// it), and returns the archive's info once its checksums hold: until
// then, what state was handed is not to be trusted.
func readArchive(r io.Reader, state func(SnapshotInfo, io.Reader) error) (SnapshotInfo, error) {
	tr := tar.NewReader(bufio.NewReaderSize(r, 1<<20))
	metaBytes, err := nextSmall(tr, archiveMeta)
	if err != nil {
		return SnapshotInfo{}, err
	}
	var info SnapshotInfo
	if err := json.Unmarshal(metaBytes, &info); err != nil {
		return SnapshotInfo{}, badSnapshotf("this is not a snapshot archive of reconcile: its %s does not decode (%v)", archiveMeta, err)
	}
	if info.Format != ArchiveFormat {
		return SnapshotInfo{}, badSnapshotf("the snapshot archive has format %d; this reconcile reads format %d: restore it with the version of reconcile that saved it, or a newer one", info.Format, ArchiveFormat)
	}
	info.SHA256 = ""
	hdr, err := nextEntry(tr, archiveState)
	if err != nil {
		return SnapshotInfo{}, err
	}
	if hdr.Size != info.Size {
		return SnapshotInfo{}, badSnapshotf("the snapshot archive is damaged: %s holds %d bytes, %s says %d", archiveState, hdr.Size, archiveMeta, info.Size)
	}
	cr := &countingReader{r: tr, h: sha256.New()}
	if err := state(info, cr); err != nil {
		if cerr := cr.err; cerr != nil {
			return SnapshotInfo{}, truncated(cerr, fmt.Sprintf("%s ends after %d of %d bytes", archiveState, cr.n, info.Size))
		}
		return SnapshotInfo{}, err
	}
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return SnapshotInfo{}, truncated(err, fmt.Sprintf("%s ends after %d of %d bytes", archiveState, cr.n, info.Size))
	}
	sumsBytes, err := nextSmall(tr, archiveSums)
	if err != nil {
		return SnapshotInfo{}, err
	}
	sums, err := parseSums(sumsBytes)
	if err != nil {
		return SnapshotInfo{}, err
	}
	metaSum := sha256.Sum256(metaBytes)
	for _, c := range []struct{ name, got string }{
		{archiveMeta, hex.EncodeToString(metaSum[:])},
		{archiveState, hex.EncodeToString(cr.h.Sum(nil))},
	} {
		if sums[c.name] != c.got {
			return SnapshotInfo{}, badSnapshotf("the snapshot archive is damaged: the SHA-256 of %s is %s, %s says %s", c.name, c.got, archiveSums, sums[c.name])
		}
	}
	if hdr, err := tr.Next(); err == nil {
		return SnapshotInfo{}, badSnapshotf("the snapshot archive holds %q after %s: it is not one reconcile wrote", hdr.Name, archiveSums)
	}
	info.SHA256 = sums[archiveState]
	return info, nil
}

// VerifySnapshot reads an archive whole and checks its format and
// checksums, without decoding the state.
func VerifySnapshot(r io.Reader) (SnapshotInfo, error) {
	return readArchive(r, func(SnapshotInfo, io.Reader) error { return nil })
}

// nextEntry reads the header of the next file, which must be name.
func nextEntry(tr *tar.Reader, name string) (*tar.Header, error) {
	hdr, err := tr.Next()
	switch {
	case errors.Is(err, io.EOF) && name == archiveMeta:
		return nil, badSnapshotf("this is not a snapshot archive of reconcile: it is empty")
	case errors.Is(err, io.EOF):
		return nil, badSnapshotf("the snapshot archive is truncated: it ends before %s", name)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, badSnapshotf("the snapshot archive is truncated: it ends in the header of %s", name)
	case err != nil && name == archiveMeta:
		return nil, badSnapshotf("this is not a snapshot archive of reconcile (a tar of %s, %s and %s): %v", archiveMeta, archiveState, archiveSums, err)
	case err != nil:
		return nil, badSnapshotf("the snapshot archive is damaged before %s: %v", name, err)
	case hdr.Name != name && name == archiveMeta:
		return nil, badSnapshotf("this is not a snapshot archive of reconcile: it starts with %q, not %s", hdr.Name, name)
	case hdr.Name != name:
		return nil, badSnapshotf("the snapshot archive is damaged: it holds %q where %s belongs", hdr.Name, name)
	case hdr.Typeflag != tar.TypeReg:
		return nil, badSnapshotf("the snapshot archive is damaged: %s is not a regular file", name)
	}
	return hdr, nil
}

// nextSmall reads the next file, which must be name, whole.
func nextSmall(tr *tar.Reader, name string) ([]byte, error) {
	hdr, err := nextEntry(tr, name)
	if err != nil {
		return nil, err
	}
	if hdr.Size > maxArchiveSmallFile {
		return nil, badSnapshotf("the snapshot archive is damaged: its %s is %d bytes long", name, hdr.Size)
	}
	b, err := io.ReadAll(tr)
	if err != nil {
		return nil, truncated(err, fmt.Sprintf("%s ends after %d of %d bytes", name, len(b), hdr.Size))
	}
	return b, nil
}

// truncated says that the archive ends early (or cannot be read).
func truncated(err error, where string) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return badSnapshotf("the snapshot archive is truncated: %s", where)
	}
	return fmt.Errorf("reading the snapshot archive: %w", err)
}

// parseSums reads SHA256SUMS: one "<hex>  <name>" line per file.
func parseSums(b []byte) (map[string]string, error) {
	sums := make(map[string]string)
	for line := range strings.Lines(string(b)) {
		sum, name, ok := strings.Cut(strings.TrimRight(line, "\n"), "  ")
		if !ok || len(sum) != 64 {
			return nil, badSnapshotf("the snapshot archive is damaged: %s has the line %q", archiveSums, strings.TrimSpace(line))
		}
		sums[name] = sum
	}
	for _, name := range []string{archiveMeta, archiveState} {
		if sums[name] == "" {
			return nil, badSnapshotf("the snapshot archive is damaged: %s has no sum of %s", archiveSums, name)
		}
	}
	return sums, nil
}

// countingReader hashes and counts what is read through it, and keeps
// the first error other than io.EOF.
type countingReader struct {
	r   io.Reader
	h   hash.Hash
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) && c.err == nil {
		c.err = err
	}
	return n, err
}
