package state

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// backupStore is a durable store with a provider, its users and the
// sync log of their writes.
func backupStore(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	mustApply(t, s, configCmd(create(testOrg("root", "")), create(testProvider("p", "root"))))
	for i := range 20 {
		writeBenchUser(t, s, i)
	}
	return s
}

func writeBenchUser(t *testing.T, s *Store, i int) {
	t.Helper()
	u := benchUser(i)
	u.Organization = "root"
	active := true
	mustApply(t, s, &Command{Type: CmdUserWrite, UserWrite: &UserWrite{Provider: "p", User: u, Active: &active,
		Event: &SyncEvent{Source: SourceSCIM, Action: "user.create", Outcome: OutcomeOK, Provider: "p"}}})
}

// saved is what a snapshot archive holds, to compare a restore with.
type saved struct {
	archive []byte
	info    SnapshotInfo
	orgs    []*Organization
	users   []*User
	log     []*SyncEvent
}

func save(t *testing.T, s *Store) saved {
	t.Helper()
	var buf bytes.Buffer
	info, err := s.SaveSnapshot(context.Background(), &buf, "by a test")
	if err != nil {
		t.Fatal(err)
	}
	v := s.View()
	return saved{archive: buf.Bytes(), info: info, orgs: v.Organizations(), users: v.Users(), log: v.SyncLog()}
}

// checkRestored checks that s holds what was saved, and a sync log that
// goes on with the restore.
func checkRestored(t *testing.T, s *Store, sv saved, res RestoreResult) {
	t.Helper()
	v := s.View()
	if diff := cmp.Diff(sv.orgs, v.Organizations()); diff != "" {
		t.Errorf("organizations after the restore (-saved +restored):\n%s", diff)
	}
	if diff := cmp.Diff(sv.users, v.Users()); diff != "" {
		t.Errorf("users after the restore (-saved +restored):\n%s", diff)
	}
	log := v.SyncLog()
	if len(log) != len(sv.log)+1 {
		t.Fatalf("sync log after the restore: %d events, want the %d saved and the restore", len(log), len(sv.log))
	}
	if diff := cmp.Diff(sv.log, log[:len(sv.log)]); diff != "" {
		t.Errorf("sync log after the restore (-saved +restored):\n%s", diff)
	}
	ev := log[len(log)-1]
	want := fmt.Sprintf("snapshot restored by a test at index %d: the snapshot of index %d, term %d, taken %s (%d bytes, sha256 %s)",
		res.Index, sv.info.Index, sv.info.Term, sv.info.Time.Format(time.RFC3339), sv.info.Size, sv.info.SHA256)
	if ev.Action != "snapshot.restore" || ev.Source != SourceAdmin || ev.Detail != want {
		t.Errorf("the restore's event: %s %s %q, want admin snapshot.restore %q", ev.Source, ev.Action, ev.Detail, want)
	}
	if diff := cmp.Diff(sv.info, res.Snapshot); diff != "" {
		t.Errorf("the restore's snapshot info (-saved +restored):\n%s", diff)
	}
}

func TestSnapshotSaveRestoreInto(t *testing.T) {
	src := backupStore(t, t.TempDir())
	sv := save(t, src)

	// The save is in the sync log, and so in the snapshot.
	if last := sv.log[len(sv.log)-1]; last.Action != "snapshot.save" || last.Detail != "snapshot saved by a test" {
		t.Errorf("the save's event: %s %q", last.Action, last.Detail)
	}
	if sv.info.Format != ArchiveFormat || sv.info.Index < 22 || sv.info.Term == 0 || sv.info.Size == 0 || len(sv.info.SHA256) != 64 || sv.info.Node != "" {
		t.Errorf("snapshot info %+v", sv.info)
	}
	got, err := VerifySnapshot(bytes.NewReader(sv.archive))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sv.info, got); diff != "" {
		t.Errorf("VerifySnapshot (-saved +verified):\n%s", diff)
	}
	// An archive is a tar that sha256sum checks: the sums are the files'.
	files := untar(t, sv.archive)
	wantSums := fmt.Sprintf("%x  meta.json\n%x  state.bin\n", sha256.Sum256(files["meta.json"]), sha256.Sum256(files["state.bin"]))
	if string(files["SHA256SUMS"]) != wantSums {
		t.Errorf("SHA256SUMS:\n%s\nwant:\n%s", files["SHA256SUMS"], wantSums)
	}

	// Into a dir that does not exist, then into an empty one.
	for _, dir := range []string{filepath.Join(t.TempDir(), "new", "data"), t.TempDir()} {
		res, err := RestoreInto(context.Background(), dir, bytes.NewReader(sv.archive), "by a test", Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Index <= sv.info.Index {
			t.Errorf("restored at index %d, want > %d (the snapshot's)", res.Index, sv.info.Index)
		}
		s, err := Open(context.Background(), dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkRestored(t, s, sv, res)
		// Indexes go on past every index the snapshot holds.
		if w := mustApply(t, s, configCmd(create(testOrg("after", "")))); w.Index <= res.Index {
			t.Errorf("a write after the restore has index %d, want > %d", w.Index, res.Index)
		}
		if temps, _ := filepath.Glob(filepath.Join(dir, snapDir, restoreTemp)); len(temps) > 0 {
			t.Errorf("the restore left %v", temps)
		}
		s.Close()
	}
}

// TestSnapshotRestoreRunning: a restore into a running store replaces its
// state, which stays replaced after a restart.
func TestSnapshotRestoreRunning(t *testing.T) {
	dir := t.TempDir()
	s := backupStore(t, dir)
	sv := save(t, s)
	mustApply(t, s, configCmd(create(testOrg("later", ""))))
	for i := 20; i < 25; i++ {
		writeBenchUser(t, s, i)
	}
	res, err := s.RestoreSnapshot(context.Background(), bytes.NewReader(sv.archive), "by a test")
	if err != nil {
		t.Fatal(err)
	}
	checkRestored(t, s, sv, res)
	if s.View().Organization("later") != nil || s.View().CountUsers() != 20 {
		t.Errorf("what was written after the save is still there: %d users", s.View().CountUsers())
	}
	// The user written after the save can be created again: the lookups
	// were rebuilt with the state.
	writeBenchUser(t, s, 20)
	s = reopen(t, s, dir)
	if s.View().Organization("later") != nil || s.View().CountUsers() != 21 {
		t.Errorf("after a restart: %d users, org later %v", s.View().CountUsers(), s.View().Organization("later") != nil)
	}
}

// archiveOf builds an archive from files, in order, with tar headers as
// writeArchive writes them.
func archiveOf(t *testing.T, files ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f[0], Size: int64(len(f[1])), Mode: 0o600}); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, f[1])
	}
	tw.Close()
	return buf.Bytes()
}

func untar(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	files := make(map[string][]byte)
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		files[hdr.Name], _ = io.ReadAll(tr)
	}
}

// TestSnapshotRefused: an archive that is damaged, truncated, of another
// format, or whose state does not decode is refused before anything
// changes, in a running store and in a data dir.
func TestSnapshotRefused(t *testing.T) {
	s := backupStore(t, t.TempDir())
	sv := save(t, s)
	files := untar(t, sv.archive)
	meta, state := string(files["meta.json"]), string(files["state.bin"])
	sums := func(meta, state string) string {
		return fmt.Sprintf("%x  meta.json\n%x  state.bin\n", sha256.Sum256([]byte(meta)), sha256.Sum256([]byte(state)))
	}
	withSums := func(meta, state string) []byte {
		return archiveOf(t, [2]string{"meta.json", meta}, [2]string{"state.bin", state}, [2]string{"SHA256SUMS", sums(meta, state)})
	}
	flip := func(b []byte, at int) []byte {
		b = bytes.Clone(b)
		b[at] ^= 0x01
		return b
	}
	stateAt := bytes.Index(sv.archive, files["state.bin"])
	sumsAt := bytes.LastIndex(sv.archive, files["SHA256SUMS"])
	var other SnapshotInfo
	json.Unmarshal(files["meta.json"], &other)
	other.Format = 2
	otherMeta, _ := json.Marshal(other)
	// A state that is not one, with sums that hold: Raft would stop the
	// process restoring it.
	garbage := strings.Repeat("x", len(state))
	var garbageMeta SnapshotInfo
	json.Unmarshal(files["meta.json"], &garbageMeta)
	tests := []struct {
		name    string
		archive []byte
		want    string
	}{
		{"empty", nil, "not a snapshot archive of reconcile: it is empty"},
		{"not a tar", []byte(strings.Repeat("hello ", 200)), "not a snapshot archive of reconcile"},
		{"a byte of the state changed", flip(sv.archive, stateAt+len(state)/2), "the snapshot archive is damaged: the SHA-256 of state.bin is "},
		{"a byte of the sums changed", flip(sv.archive, sumsAt+3), "the snapshot archive is damaged: the SHA-256 of meta.json is "},
		{"cut in the state", sv.archive[:stateAt+len(state)/2], fmt.Sprintf("the snapshot archive is truncated: state.bin ends after %d of %d bytes", len(state)/2, len(state))},
		{"cut before the sums", sv.archive[:sumsAt-512], "the snapshot archive is truncated: it ends before SHA256SUMS"},
		{"cut in the sums' header", sv.archive[:sumsAt-100], "the snapshot archive is truncated: it ends in the header of SHA256SUMS"},
		{"cut in the sums", sv.archive[:sumsAt+10], "the snapshot archive is truncated: SHA256SUMS ends after 10 of 152 bytes"},
		{"cut in the meta", sv.archive[:520], "the snapshot archive is truncated: meta.json ends after 8 of"},
		{"another format", withSums(string(otherMeta), state), "the snapshot archive has format 2; this reconcile reads format 1"},
		{"no sums", archiveOf(t, [2]string{"meta.json", meta}, [2]string{"state.bin", state}), "the snapshot archive is truncated: it ends before SHA256SUMS"},
		{"files in another order", archiveOf(t, [2]string{"state.bin", state}, [2]string{"meta.json", meta}), `it starts with "state.bin", not meta.json`},
		{"a file more", append(withSums(meta, state)[:len(withSums(meta, state))-1024],
			archiveOf(t, [2]string{"extra", "x"})...), `the snapshot archive holds "extra" after SHA256SUMS`},
		{"a state that does not decode", withSums(meta, garbage), "the snapshot's state cannot be restored: reading snapshot header"},
	}
	before := save(t, s) // the running store's state, its own save included
	dir := t.TempDir()
	for _, tt := range tests {
		_, err := s.RestoreSnapshot(context.Background(), bytes.NewReader(tt.archive), "by a test")
		if !errors.Is(err, ErrBadSnapshot) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: restoring into a running store: %v; want ErrBadSnapshot, %q", tt.name, err, tt.want)
		}
		_, err = RestoreInto(context.Background(), filepath.Join(dir, "data"), bytes.NewReader(tt.archive), "by a test", Options{})
		if !errors.Is(err, ErrBadSnapshot) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: restoring into a data dir: %v; want ErrBadSnapshot, %q", tt.name, err, tt.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
			t.Errorf("%s: the refused restore left the data dir it made", tt.name)
		}
		if _, err := VerifySnapshot(bytes.NewReader(tt.archive)); err == nil && tt.name != "a state that does not decode" {
			t.Errorf("%s: VerifySnapshot takes it", tt.name)
		}
	}
	if diff := cmp.Diff(before.users, s.View().Users()); diff != "" {
		t.Errorf("a refused restore changed the users:\n%s", diff)
	}
	if diff := cmp.Diff(before.log, s.View().SyncLog()); diff != "" {
		t.Errorf("a refused restore changed the sync log:\n%s", diff)
	}
	if temps, _ := filepath.Glob(filepath.Join(s.dir, snapDir, restoreTemp)); len(temps) > 0 {
		t.Errorf("refused restores left %v", temps)
	}
}

// TestRestoreIntoNotEmpty: a data dir that holds anything is refused, and
// left as it was.
func TestRestoreIntoNotEmpty(t *testing.T) {
	sv := save(t, backupStore(t, t.TempDir()))
	withState := t.TempDir()
	s := backupStore(t, withState)
	s.Close()
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o600)
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, []byte("mine"), 0o600)
	for _, tt := range []struct{ dir, want string }{
		{withState, withState + " holds a state; a snapshot restores only into an empty data dir"},
		{other, other + " holds notes.txt; "},
		{file, "reading the data dir: "},
	} {
		before := listDir(t, tt.dir)
		_, err := RestoreInto(context.Background(), tt.dir, bytes.NewReader(sv.archive), "by a test", Options{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("restoring into %s: %v, want %q", tt.dir, err, tt.want)
		}
		if diff := cmp.Diff(before, listDir(t, tt.dir)); diff != "" {
			t.Errorf("the refused restore changed %s:\n%s", tt.dir, diff)
		}
	}
	s, err := Open(context.Background(), withState, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := s.View().CountUsers(); n != 20 {
		t.Errorf("the data dir's state has %d users, want its 20", n)
	}
}

// listDir lists the files under dir with their sizes.
func listDir(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	out := make(map[string]int64)
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil {
			out[path] = info.Size()
		}
		return nil
	})
	return out
}

// reopen closes s and opens its data dir again, until the test ends.
func reopen(t *testing.T, s *Store, dir string) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
