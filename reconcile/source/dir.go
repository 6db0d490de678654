package source

import (
	"context"
	"fmt"
)

// Dir reads the config from a directory at each Fetch: the one a daemon
// follows (serve --config), or the one a command reads. It is a Source
// of the reconcile loop, as Git is.
type Dir struct {
	Path    string
	Include func(name string) bool
}

// Fetch reads the directory (see ReadDir); a directory without a config
// file is an error, not an empty config.
func (d Dir) Fetch(ctx context.Context) (*Snapshot, error) {
	s, err := ReadDir(d.Path, d.Include)
	if err != nil {
		return nil, err
	}
	if len(s.Files) == 0 {
		return nil, fmt.Errorf("no *.yaml or *.yml files in %s", d.Path)
	}
	return s, nil
}
