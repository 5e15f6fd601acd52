package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is the release version, set at build time with
// -ldflags "-X github.com/omenhq/omen/internal/cli.Version=v1.2.3" (make
// build sets it from git describe).
var Version = "dev"

// BuildDate is the build's date (RFC3339), set at build time like Version;
// when empty, the commit's date from the Go build info is shown.
var BuildDate = ""

// buildInfo is what omen knows of its own build.
type buildInfo struct {
	Version, Commit, CommitDate, BuildDate string
	Modified                               bool
}

// readBuildInfo combines the linker-set Version and BuildDate with the VCS
// settings Go records when building from a checkout (-buildvcs).
func readBuildInfo(read func() (*debug.BuildInfo, bool)) buildInfo {
	b := buildInfo{Version: Version, Commit: "unknown", BuildDate: BuildDate}
	if bi, ok := read(); ok {
		if b.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version // go install …@vX.Y.Z
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Commit = s.Value
			case "vcs.time":
				b.CommitDate = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	return b
}

// String formats the build for `omen version`.
func (b buildInfo) String() string {
	commit := b.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if b.Modified {
		commit += "-dirty"
	}
	s := fmt.Sprintf("omen %s (commit %s", b.Version, commit)
	switch {
	case b.BuildDate != "":
		s += ", built " + b.BuildDate
	case b.CommitDate != "":
		s += ", committed " + b.CommitDate
	}
	return s + fmt.Sprintf(", %s %s/%s)", runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func newVersionCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the omen version, commit, build date and Go version",
		Example: "  omen version",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(g.stdout, readBuildInfo(debug.ReadBuildInfo))
			return err
		},
	}
}
