package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version is set at release time with -ldflags "-X main.version=v1.2.3".
var version = ""

// noRevision says why a binary has no VCS revision, and how to get one.
const noRevision = "unknown: built without version control information (go run, go test, or -buildvcs=false); go build or go install in a git checkout records it"

// versionText is what reconcile version prints: the version, the module
// and the VCS revision the build info holds (go build and go install in
// a git checkout record them), and the Go toolchain and platform.
func versionText(info *debug.BuildInfo, ok bool, goVersion, platform string) string {
	v, mod, modVersion := version, "", ""
	revision, when, modified := "", "", false
	if ok {
		mod, modVersion = info.Main.Path, info.Main.Version
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if modVersion == "" {
		modVersion = "(devel)"
	}
	if v == "" {
		v = modVersion
	}
	var b strings.Builder
	fmt.Fprintf(&b, "reconcile %s\n", v)
	if mod != "" {
		fmt.Fprintf(&b, "  module:   %s %s\n", mod, modVersion)
	}
	switch {
	case revision == "":
		fmt.Fprintf(&b, "  revision: %s\n", noRevision)
	default:
		var notes []string
		if when != "" {
			notes = append(notes, "committed "+when)
		}
		if modified {
			notes = append(notes, "with uncommitted changes")
		}
		fmt.Fprintf(&b, "  revision: %s", revision)
		if len(notes) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(notes, ", "))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "  go:       %s %s\n", goVersion, platform)
	return b.String()
}

func (c *cli) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of reconcile, its module and VCS revision",
		Long: `Version prints the version of reconcile, its module version and the git
revision it was built from, as the Go build info records them: go build and
go install in a git checkout record the revision (and whether the checkout
had uncommitted changes); go run and -buildvcs=false do not.`,
		Example: "  reconcile version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			info, ok := debug.ReadBuildInfo()
			fmt.Fprint(c.stdout, versionText(info, ok, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH))
			return nil
		},
	}
}
