package schema

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// TestErrorFormat: an error leaves out the parts of its position it does
// not know, and its path when it has none.
func TestErrorFormat(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "a.yaml", Line: 3, Col: 7, Path: "auth.type", Msg: "bad"}, "a.yaml:3:7: auth.type: bad"},
		{Error{File: "a.yaml", Line: 3, Msg: "invalid YAML: x"}, "a.yaml:3: invalid YAML: x"},
		{Error{File: "a.yaml", Msg: "permission denied"}, "a.yaml: permission denied"},
		{Error{File: "a.yaml", Col: 7, Path: "name", Msg: "bad"}, "a.yaml: name: bad"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.e, got, tt.want)
		}
	}
	errs := Errors{&tests[2].e, &tests[0].e, &Error{File: "a.yaml", Line: 3, Col: 7, Path: "auth.type", Msg: "also bad"}, &Error{File: "0.yaml", Line: 9}}
	errs.sort()
	want := "0.yaml:9: \na.yaml: permission denied\na.yaml:3:7: auth.type: also bad\na.yaml:3:7: auth.type: bad"
	if got := errs.Error(); got != want {
		t.Errorf("sorted errors:\n%s\nwant:\n%s", got, want)
	}
}

// TestErrorf: problems found after loading (a secret that cannot be read)
// are positioned at the field, or at the closest node that exists.
func TestErrorf(t *testing.T) {
	cfg, err := Load(fsOf(map[string]string{"orgs.yaml": validOrgs, "providers/pingone.yml": validProvider}), "config")
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Providers[0]
	got := []string{
		p.Errorf("auth.secretFrom.env", "environment variable %s is not set", p.Auth.SecretFrom.Env).Error(),
		p.Errorf("auth.secretFrom.file", "not there").Error(),
		p.Errorf("rateLimit", "not there either").Error(),
		cfg.Organization("engineering").Errorf("parent", "moved").Error(),
		cfg.Organization("acme").Errorf("parent", "no parent").Error(),
	}
	want := []string{
		"config/providers/pingone.yml:7:21: auth.secretFrom.env: environment variable PINGONE_SECRET is not set",
		"config/providers/pingone.yml:7:15: auth.secretFrom.file: not there",
		"config/providers/pingone.yml:1:1: rateLimit: not there either",
		"config/orgs.yaml:9:9: parent: moved",
		"config/orgs.yaml:1:1: parent: no parent",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// failingFS fails to open the files and directories it names. It has
// only Open, so that reading a file or a directory goes through it.
type failingFS struct {
	fsys fstest.MapFS
	fail map[string]error
}

func (f failingFS) Open(name string) (fs.File, error) {
	if err := f.fail[name]; err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return f.fsys.Open(name)
}

// TestLoadUnreadable: a file or directory that cannot be read is an
// error at its name, and the other files are still checked.
func TestLoadUnreadable(t *testing.T) {
	fsys := failingFS{
		fsys: fsOf(map[string]string{
			"a.yaml":         "kind: Organization\nname: a\ndisplayName: A\n",
			"locked.yaml":    "kind: Organization\nname: b\ndisplayName: B\n",
			"private/c.yaml": "kind: Organization\nname: c\ndisplayName: C\n",
			"z.yaml":         "kind: Organization\nname: Z\ndisplayName: Z\n",
		}),
		fail: map[string]error{"locked.yaml": fs.ErrPermission, "private": errors.New("input/output error")},
	}
	_, err := Load(fsys, "cfg")
	want := strings.Join([]string{
		"cfg/locked.yaml: permission denied",
		"cfg/private: input/output error",
		`cfg/z.yaml:2:7: name: invalid name "Z" (want a lowercase slug of a-z, 0-9 and inner hyphens, at most 63 characters, e.g. "pingone-prod")`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("Load:\n%v\nwant:\n%s", err, want)
	}
}

// TestLoadTooLarge: aliases cannot make a few kilobytes of YAML cost
// minutes to check. A document of more than maxNodes nodes, aliases
// expanded, is an error, reported once.
func TestLoadTooLarge(t *testing.T) {
	roles := strings.Repeat("R, ", 999) + "R"
	rules := strings.Repeat(", *r", maxNodes/1000)
	doc := fmt.Sprintf("kind: Provider\nname: p\ndisplayName: P\nauth: {type: bearer}\norganizationMapping: {method: fixed, organization: o}\n"+
		"roleMapping:\n  method: group\n  rules: [&r {group: G, roles: [%s]}%s]\n---\nkind: Organization\nname: o\ndisplayName: O\n", roles, rules)
	if len(doc) > 5000 {
		t.Fatalf("the document is %d bytes; it should be small", len(doc))
	}
	_, err := Load(fsOf(map[string]string{"p.yaml": doc}), "")
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Load = %v, want Errors", err)
	}
	var tooLarge []string
	for _, e := range errs {
		if strings.Contains(e.Msg, "too large") {
			tooLarge = append(tooLarge, e.Error())
		}
	}
	want := fmt.Sprintf(": the document is too large: more than %d YAML nodes with its aliases expanded", maxNodes)
	if len(tooLarge) != 1 || !strings.HasPrefix(tooLarge[0], "p.yaml:8:") || !strings.HasSuffix(tooLarge[0], want) {
		t.Errorf("errors about the size: %q, want one on p.yaml line 8 ending %q", tooLarge, want)
	}
}
