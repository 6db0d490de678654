package main

import (
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestVersionText(t *testing.T) {
	stamped := func(settings ...debug.BuildSetting) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Path: "github.com/reconcile-dev/reconcile", Version: "v0.0.0-20261207015245-fbfa63348607"}, Settings: settings}
	}
	rev := debug.BuildSetting{Key: "vcs.revision", Value: "fbfa63348607d7026b0029cdaa44545eb5d49d99"}
	at := debug.BuildSetting{Key: "vcs.time", Value: "2026-12-07T01:52:45Z"}
	for _, tc := range []struct {
		name    string
		ldflags string
		info    *debug.BuildInfo
		ok      bool
		want    string
	}{
		{"go install in a checkout", "", stamped(rev, at, debug.BuildSetting{Key: "vcs.modified", Value: "false"}), true, `reconcile v0.0.0-20261207015245-fbfa63348607
  module:   github.com/reconcile-dev/reconcile v0.0.0-20261207015245-fbfa63348607
  revision: fbfa63348607d7026b0029cdaa44545eb5d49d99 (committed 2026-12-07T01:52:45Z)
  go:       go1.26.8 linux/amd64
`},
		{"uncommitted changes", "", stamped(rev, at, debug.BuildSetting{Key: "vcs.modified", Value: "true"}), true, `reconcile v0.0.0-20261207015245-fbfa63348607
  module:   github.com/reconcile-dev/reconcile v0.0.0-20261207015245-fbfa63348607
  revision: fbfa63348607d7026b0029cdaa44545eb5d49d99 (committed 2026-12-07T01:52:45Z, with uncommitted changes)
  go:       go1.26.8 linux/amd64
`},
		{"a release", "v1.2.3", stamped(rev), true, `reconcile v1.2.3
  module:   github.com/reconcile-dev/reconcile v0.0.0-20261207015245-fbfa63348607
  revision: fbfa63348607d7026b0029cdaa44545eb5d49d99
  go:       go1.26.8 linux/amd64
`},
		{"go run", "", &debug.BuildInfo{Main: debug.Module{Path: "github.com/reconcile-dev/reconcile", Version: "(devel)"}}, true, `reconcile (devel)
  module:   github.com/reconcile-dev/reconcile (devel)
  revision: ` + noRevision + `
  go:       go1.26.8 linux/amd64
`},
		{"no build info", "", nil, false, `reconcile (devel)
  revision: ` + noRevision + `
  go:       go1.26.8 linux/amd64
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func(v string) { version = v }(version)
			version = tc.ldflags
			if diff := cmp.Diff(tc.want, versionText(tc.info, tc.ok, "go1.26.8", "linux/amd64")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
