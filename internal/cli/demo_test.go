package cli

import (
	"flag"
	"os"
	"path/filepath"
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

func TestDemoShowsTheEmbeddedFleet(t *testing.T) {
	code, stdout, stderr := run(t, nil, "demo", "--format", "markdown")
	require.Equal(t, ExitOK, code, stderr)
	golden(t, "demo.md", stdout)
}
