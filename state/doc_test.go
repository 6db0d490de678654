package state

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocMapsEveryFile: the package doc's map of where things are names
// every file of the package, by name or by a pattern (synclog*.go).
func TestDocMapsEveryFile(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	named := regexp.MustCompile(`[\w*]+\.go\b`).FindAllString(string(doc), -1)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "doc.go" {
			continue
		}
		found := false
		for _, n := range named {
			if ok, _ := filepath.Match(n, f); ok {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s is not in the package doc's map (doc.go)", f)
		}
	}
	for _, n := range named {
		if m, _ := filepath.Glob(n); len(m) == 0 {
			t.Errorf("doc.go names %s, which is no file", n)
		}
	}
}
