// Package schema loads a config directory: YAML documents checked against
// the CUE schema in config.cue, then against each other (names, references,
// cycles). It returns a *Config or every problem found, each positioned at
// the YAML node at fault.
package schema

import (
	_ "embed"
	"fmt"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
)

// CUE is the schema of config documents, the reference of the format.
//
//go:embed config.cue
var CUE string

// Kinds of document, as written in `kind:`.
const (
	KindOrganization = "Organization"
	KindProvider     = "Provider"
)

// kinds lists the document kinds in the order they are described to users.
var kinds = []string{KindOrganization, KindProvider}

type compiled struct {
	ctx    *cue.Context
	shapes map[string]*shape // by kind
	mu     sync.Mutex        // guards ctx: a cue.Context is not safe for concurrent use
}

var (
	compileOnce sync.Once
	theSchema   *compiled
	compileErr  error
)

// schemaFor returns the compiled schema, compiling it on first use.
func schemaFor() (*compiled, error) {
	compileOnce.Do(func() {
		theSchema, compileErr = compile()
	})
	return theSchema, compileErr
}

func compile() (*compiled, error) {
	ctx := cuecontext.New()
	v := ctx.CompileString(CUE, cue.Filename("config.cue"))
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("compiling embedded schema: %w", err)
	}
	c := &compiled{ctx: ctx, shapes: make(map[string]*shape)}
	for _, k := range kinds {
		def := v.LookupPath(cue.MakePath(cue.Def(k)))
		if !def.Exists() {
			return nil, fmt.Errorf("embedded schema has no #%s", k)
		}
		s, err := compileShape(def, "")
		if err != nil {
			return nil, fmt.Errorf("compiling #%s: %w", k, err)
		}
		c.shapes[k] = s
	}
	return c, nil
}
