package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAnInterruptedCommandWritesNothing runs commands with a context
// already cancelled by SIGTERM: each must exit 143, say so and leave no
// output or temporary file. (cmd/omen's test sends real signals to a
// running binary, in the middle of a request and of a forecast.)
func TestAnInterruptedCommandWritesNothing(t *testing.T) {
	in := steadyCSV(t)
	for _, args := range [][]string{
		{"forecast", "--input", in, "--horizon", "1d"},
		{"detect", "--input", in, "--format", "csv"},
		{"predict", "--input", in, "--limit", "400", "--format", "json"},
	} {
		t.Run(args[0], func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(Interrupted{Signal: syscall.SIGTERM})
			var stdout, stderr bytes.Buffer
			code := Main(ctx, append(args, "--output", filepath.Join(dir, "out")), strings.NewReader(""), &stdout, &stderr)
			require.Equal(t, 143, code, stderr.String())
			require.Contains(t, stderr.String(), "interrupted (SIGTERM)")
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Empty(t, entries, "no output and no temporary file is left")
		})
	}
}

func TestStoppedSaysWhatWasNotDone(t *testing.T) {
	require.NoError(t, stopped(context.Background(), "forecast", 3, 10, "series"))
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(Interrupted{Signal: syscall.SIGINT})
	err := stopped(ctx, "forecast", 3, 10, "series")
	require.EqualError(t, err, "forecast stopped after 3 of 10 series: interrupted (SIGINT)")
	require.Equal(t, 130, exitCode(err))
}
