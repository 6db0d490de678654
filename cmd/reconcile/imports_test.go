package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportGraph keeps data flowing one way: source -> schema ->
// reconcile -> state <- scim, and admin serves over reconcile. The
// packages at the ends import no other package of this module; reconcile
// declares the interfaces it consumes. Packages under internal/ are leaf
// helpers (parsing, no domain): any package may use them, and they import
// nothing of ours.
func TestImportGraph(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not found")
	}
	const module = "github.com/reconcile-dev/reconcile"
	allowed := map[string][]string{
		module + "/schema":            nil,
		module + "/state":             nil,
		module + "/reconcile/source":  nil,
		module + "/reconcile":         {module + "/reconcile/source", module + "/schema", module + "/state"},
		module + "/scim":              {module + "/state"},
		module + "/admin":             {module + "/reconcile", module + "/reconcile/source", module + "/schema", module + "/state"},
		module + "/internal/jsonscan": nil,
		module + "/internal/names":    nil,
		module + "/internal/english":  nil,
	}
	for pkg, want := range allowed {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if dep == pkg || !strings.HasPrefix(dep, module+"/") || strings.HasPrefix(dep, module+"/internal/") && !strings.HasPrefix(pkg, module+"/internal/") {
				continue
			}
			ok := false
			for _, w := range want {
				ok = ok || dep == w
			}
			if !ok {
				t.Errorf("%s imports %s; the layering allows only %v", pkg, dep, want)
			}
		}
	}
}
