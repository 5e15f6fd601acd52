package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestVersionReportsTheCommitAndTheDate(t *testing.T) {
	info := func(settings ...string) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			bi := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}
			for i := 0; i < len(settings); i += 2 {
				bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
			}
			return bi, true
		}
	}
	t.Run("a build from a checkout shows the commit and its date", func(t *testing.T) {
		b := readBuildInfo(info("vcs.revision", "5e7b3b87285c5dd2d221750077980ff819b3e6f3", "vcs.time", "2026-12-01T23:38:54Z", "vcs.modified", "false"))
		require.True(t, strings.HasPrefix(b.String(), "omen dev (commit 5e7b3b87285c, committed 2026-12-01T23:38:54Z, go"), b.String())
	})
	t.Run("uncommitted changes are marked dirty", func(t *testing.T) {
		b := readBuildInfo(info("vcs.revision", "5e7b3b87285c5dd2d221750077980ff819b3e6f3", "vcs.modified", "true"))
		require.Contains(t, b.String(), "commit 5e7b3b87285c-dirty")
	})
	t.Run("without build info the commit is unknown", func(t *testing.T) {
		b := readBuildInfo(func() (*debug.BuildInfo, bool) { return nil, false })
		require.Contains(t, b.String(), "commit unknown")
	})
}

// TestMakeBuildEmbedsTheVersion builds omen as make build does and checks
// that the binary knows its commit, whatever GOFLAGS says about -buildvcs.
func TestMakeBuildEmbedsTheVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("runs make build")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	if fi, err := os.Stat(filepath.Join(root, ".git")); err != nil || !fi.IsDir() {
		t.Skip("not a clone: Go stamps no VCS information in a git worktree (or an export); run from a clone")
	}
	bin := filepath.Join(t.TempDir(), "omen")
	cmd := exec.Command("make", "-s", "build", "BIN="+bin)
	cmd.Dir = root
	cmd.Env = append(cmd.Environ(), "GOFLAGS=-buildvcs=false")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	head, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	require.NoError(t, err)
	got, err := exec.Command(bin, "version").Output()
	require.NoError(t, err)
	require.Contains(t, string(got), "commit "+strings.TrimSpace(string(head))[:12])
	require.Contains(t, string(got), ", built ")
	require.NotContains(t, string(got), "omen dev ", "make build sets the version from git describe")
}
