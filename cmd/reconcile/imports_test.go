package main

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/reconcile-dev/reconcile"

// layer is the row of one package in layers.
type layer struct {
	// may lists the packages of this module (relative to it) the package
	// may import, directly or through another; "*" allows any. Packages
	// under internal/ are leaf helpers (parsing, no domain): any package
	// outside internal/ may use them.
	may []string
	// never lists imports (with their subpackages) the package's own
	// files must not have, whatever it may import through others.
	never []string
}

// layers keeps data flowing one way: source -> schema -> reconcile ->
// state <- scim, and admin over reconcile, with cmd/reconcile the only
// place that wires them together (STYLE.md, "Layout"). Every package of
// the module has a row: a new package fails TestImportGraph until it says
// what it may import.
var layers = map[string]layer{
	// YAML checked against CUE -> *schema.Config or positioned errors;
	// it reads only the fs.FS it is given.
	"schema": {never: []string{"net/http", "os"}},
	// go-memdb tables behind the raft log: every write is a command.
	"state": {never: []string{"net/http"}},
	// The config as a directory or a git repository -> a snapshot.
	"reconcile/source": {never: []string{"net/http"}},
	// Diff, plan, guard and apply, and the loop that runs them.
	"reconcile": {may: []string{"reconcile/source", "schema", "state"}, never: []string{"net/http"}},
	// The state as a cluster of daemons: the cluster port (Raft's traffic
	// and the nodes' calls, mutual TLS), forwarding writes to the leader,
	// consistent reads, bootstrapping and joining.
	"cluster": {may: []string{"state"}, never: []string{"net/http"}},
	// Fires the lifecycle deadlines the state holds.
	"deadlines": {may: []string{"state"}, never: []string{"net/http"}},
	// SCIM 2.0 over HTTP; its writes are state commands.
	"scim": {may: []string{"scim/protocol", "state"}},
	// The SCIM protocol (RFC 7643, RFC 7644) apart from any store:
	// schemas, filters, PATCH, projection, errors, JSON.
	"scim/protocol": {},
	// The admin API, all of /api/v1: it plans, reports drift and checks
	// edits with reconcile.
	"admin": {may: []string{"reconcile", "reconcile/source", "schema", "state"}},
	// The web console, all of /ui/: read-only pages over the admin API's
	// reports.
	"console": {may: []string{"admin", "reconcile", "reconcile/source", "schema", "state"}},
	// Prometheus metrics: the loop's runs by Reason, SCIM requests, and
	// gauges read from the state at scrape time.
	"metrics": {may: []string{"reconcile", "reconcile/source", "schema", "state"}},
	// A load generator: it speaks HTTP to a daemon.
	"bench": {},
	// Flags and wiring: the only package that sees all the others.
	"cmd/reconcile": {may: []string{"*"}},
	// A tool of the cluster example: it makes the nodes' certificates.
	"examples/cluster/certs": {},
	// Leaf helpers.
	"internal/english":    {},
	"internal/gcheadroom": {},
	"internal/jsonquote":  {},
	"internal/jsonscan":   {},
	"internal/loopport":   {},
	"internal/names":      {},
	"internal/packjson":   {},
}

// owners are the libraries only one package may import, so that they
// stay behind its API.
var owners = map[string][]string{
	"cuelang.org/go":                      {"schema"},
	"github.com/hashicorp/go-memdb":       {"state"},
	"github.com/hashicorp/raft":           {"state", "cluster"},
	"github.com/hashicorp/raft-wal":       {"state"},
	"github.com/prometheus/client_golang": {"metrics"},
	"github.com/spf13/cobra":              {"cmd/reconcile"},
}

// pkgImports is what go list says of a package of the module.
type pkgImports struct {
	path    string   // relative to the module
	imports []string // its own files' imports
	deps    []string // everything it depends on, transitively
}

func TestImportGraph(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}\t{{join .Imports \" \"}}\t{{join .Deps \" \"}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkgImports
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		pkgs = append(pkgs, pkgImports{path: relative(f[0]), imports: strings.Fields(f[1]), deps: strings.Fields(f[2])})
	}
	for _, p := range checkLayers(pkgs, layers, owners) {
		t.Error(p)
	}
}

// checkLayers returns every way pkgs break the rules of layers and owners.
func checkLayers(pkgs []pkgImports, layers map[string]layer, owners map[string][]string) []string {
	var problems []string
	listed := make(map[string]bool)
	for _, p := range pkgs {
		listed[p.path] = true
		row, ok := layers[p.path]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s has no row in layers (imports_test.go): add one saying what it may import", p.path))
			continue
		}
		for _, dep := range p.deps {
			if dep != module && !strings.HasPrefix(dep, module+"/") {
				continue
			}
			dep = relative(dep)
			internal := strings.HasPrefix(dep, "internal/") && !strings.HasPrefix(p.path, "internal/")
			if !internal && !slices.Contains(row.may, dep) && !slices.Contains(row.may, "*") {
				problems = append(problems, fmt.Sprintf("%s imports %s; the layering allows only %v", p.path, dep, row.may))
			}
		}
		for _, imp := range p.imports {
			for _, never := range row.never {
				if within(imp, never) {
					problems = append(problems, fmt.Sprintf("%s imports %s, which it must never import", p.path, imp))
				}
			}
			for lib, own := range owners {
				if within(imp, lib) && !slices.Contains(own, p.path) {
					problems = append(problems, fmt.Sprintf("%s imports %s; only %v may", p.path, imp, own))
				}
			}
		}
	}
	for path := range layers {
		if !listed[path] {
			problems = append(problems, fmt.Sprintf("layers has a row for %s, which is no package of the module", path))
		}
	}
	slices.Sort(problems)
	return problems
}

// within reports whether the import path imp is pkg or below it.
func within(imp, pkg string) bool {
	return imp == pkg || strings.HasPrefix(imp, pkg+"/")
}

func relative(path string) string {
	return strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
}

// TestCheckLayers: the rules catch what they are for, on a made-up graph.
func TestCheckLayers(t *testing.T) {
	layers := map[string]layer{
		"state":          {never: []string{"net/http"}},
		"reconcile":      {may: []string{"state"}},
		"cmd/reconcile":  {may: []string{"*"}},
		"internal/names": {},
		"gone":           {},
	}
	owners := map[string][]string{"github.com/hashicorp/raft": {"state"}}
	pkgs := []pkgImports{
		{path: "state", imports: []string{"net/http/httptest", "github.com/hashicorp/raft"}, deps: []string{"net", module + "/internal/names"}},
		{path: "reconcile", imports: []string{"github.com/hashicorp/raft-wal"}, deps: []string{module + "/state", module + "/scim", module + "/internal/names"}},
		{path: "cmd/reconcile", deps: []string{module + "/state", module + "/scim"}},
		{path: "internal/names", deps: []string{module + "/internal/jsonscan"}},
		{path: "scim"},
	}
	want := []string{
		"internal/names imports internal/jsonscan; the layering allows only []",
		"layers has a row for gone, which is no package of the module",
		"reconcile imports scim; the layering allows only [state]",
		"scim has no row in layers (imports_test.go): add one saying what it may import",
		"state imports net/http/httptest, which it must never import",
	}
	if got := checkLayers(pkgs, layers, owners); !slices.Equal(got, want) {
		t.Errorf("checkLayers:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	owners["github.com/hashicorp/raft-wal"] = []string{"state"}
	if got := checkLayers(pkgs[1:2], map[string]layer{"reconcile": {may: []string{"*"}}}, owners); !slices.Equal(got, []string{"reconcile imports github.com/hashicorp/raft-wal; only [state] may"}) {
		t.Errorf("checkLayers with an owned library: %q", got)
	}
}
