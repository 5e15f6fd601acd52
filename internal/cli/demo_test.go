package cli

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./internal/cli -update to create it")
	require.Equal(t, string(want), got)
}

func TestDemoListsTheEmbeddedFleet(t *testing.T) {
	code, stdout, stderr := run(t, nil, "demo", "--fleet", "--format", "markdown")
	require.Equal(t, ExitOK, code, stderr)
	golden(t, "demo-fleet.md", stdout)
}

func TestDemoPredictsTheEmbeddedFleet(t *testing.T) {
	html := filepath.Join(t.TempDir(), "demo.html")
	code, stdout, stderr := run(t, nil, "demo", "--format", "markdown", "--html", html)
	require.Equal(t, ExitOK, code, stderr)
	lines := strings.Split(stdout, "\n")
	require.Contains(t, lines[0], "as of 2026-11-01 00:00 UTC")
	require.Contains(t, lines[4], "| critical | memory | shop/checkout-6d5f8b7c9-x7k2p/checkout | leak |", "the leaking container is the most urgent")
	require.Contains(t, stdout, "| disk | worker-1 /data |")
	require.NotContains(t, stdout, "tmpfs")
	b, err := os.ReadFile(html)
	require.NoError(t, err)
	require.Contains(t, string(b), "<svg")
}
