package schema

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite the errors file of each testdata/errors/*.txtar with what Load reports")

// goldenErrors is the file of a golden archive that holds the expected
// errors; every other file is config.
const goldenErrors = "errors"

// TestErrorsGolden loads the config files of each testdata/errors/*.txtar
// and compares what Load reports with the archive's errors file: one line
// per error, as `reconcile validate` prints them. A line "dir: x" in the
// archive's comment loads the files as if from directory x. Run
// `go test ./schema -run TestErrorsGolden -update` to rewrite the errors
// files after a deliberate change, and read the diff.
func TestErrorsGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "errors", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/errors/*.txtar")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := loadErrors(t, ar)
			want := -1
			for i, f := range ar.Files {
				if f.Name == goldenErrors {
					want = i
				}
			}
			if *update {
				if want < 0 {
					ar.Files, want = append(ar.Files, txtar.File{Name: goldenErrors}), len(ar.Files)
				}
				ar.Files[want].Data = []byte(got)
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if want < 0 {
				t.Fatalf("no %q file: run with -update to write it", goldenErrors)
			}
			if diff := cmp.Diff(string(ar.Files[want].Data), got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// loadErrors loads the config files of ar and returns the errors, one per
// line. Loading must fail with Errors: a golden file holds errors.
func loadErrors(t *testing.T, ar *txtar.Archive) string {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, f := range ar.Files {
		if f.Name != goldenErrors {
			fsys[f.Name] = &fstest.MapFile{Data: f.Data}
		}
	}
	var dir string
	for _, line := range strings.Split(string(ar.Comment), "\n") {
		if d, ok := strings.CutPrefix(line, "dir: "); ok {
			dir = d
		}
	}
	_, err := Load(fsys, dir)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Load = %v, want Errors", err)
	}
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(e.Error())
		b.WriteByte('\n')
	}
	return b.String()
}
