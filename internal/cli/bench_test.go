package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
)

// The bench commands carry the flags the development harnesses had (one row
// per model, conformal intervals, per-series and per-file scores, the
// protocol's splits) and report CPU time, on the small corpora in testdata.
func TestBenchCommandsReportWhatTheHarnessesDid(t *testing.T) {
	m4dir := filepath.Join("..", "..", "bench", "m4", "testdata")
	train, test := filepath.Join(m4dir, "mini-train.csv"), filepath.Join(m4dir, "mini-test.csv")
	nabdir := filepath.Join("..", "..", "bench", "nab", "testdata", "mini")

	t.Run("m4 scores several models in one run with their CPU time", func(t *testing.T) {
		code, stdout, stderr := run(t, nil, "bench", "m4", "--train", train, "--test", test, "--model", "snaive,naive", "--conformal", "--verbose")
		require.Equal(t, ExitOK, code, stderr)
		require.Contains(t, stdout, "CPU/SERIES")
		require.Regexp(t, `(?m)^snaive\s+\d`, stdout)
		require.Regexp(t, `(?m)^naive\s+\d`, stdout)
		require.Contains(t, stdout, "snaive, per series")
		require.Contains(t, stdout, "+conformal")
	})
	t.Run("m4 in JSON gives a list when several models run", func(t *testing.T) {
		code, stdout, stderr := run(t, nil, "bench", "m4", "--train", train, "--test", test, "--model", "snaive,naive", "--format", "json")
		require.Equal(t, ExitOK, code, stderr)
		var reps []map[string]any
		require.NoError(t, json.Unmarshal([]byte(stdout), &reps))
		require.Len(t, reps, 2)
		require.Contains(t, reps[0], "CPU")
	})
	t.Run("m4 refuses an unknown model among several", func(t *testing.T) {
		code, _, stderr := run(t, nil, "bench", "m4", "--train", train, "--test", test, "--model", "snaive,prophet")
		require.Equal(t, ExitUsage, code)
		require.Contains(t, stderr, `invalid --model "prophet"`)
	})
	t.Run("nab prints every file, the curve and the CPU time", func(t *testing.T) {
		code, stdout, stderr := run(t, nil, "bench", "nab", "--data", nabdir, "--verbose", "--curve")
		require.Equal(t, ExitOK, code, stderr)
		require.Contains(t, stdout, "synthetic/spike.csv")
		require.Contains(t, stdout, "0.800")
		require.Regexp(t, `CPU \([0-9.]+ µs CPU per row\)`, stdout)
	})
	t.Run("nab refuses an unknown split", func(t *testing.T) {
		code, _, stderr := run(t, nil, "bench", "nab", "--data", nabdir, "--split", "train")
		require.Equal(t, ExitUsage, code)
		require.Contains(t, stderr, `invalid --split "train"`)
	})
}

func TestBenchFleetImportFillsARealVictoriaMetrics(t *testing.T) {
	vm := testrig.VictoriaMetrics(t, nil)
	code, stdout, stderr := run(t, nil, "bench", "fleet-import", "--url", vm.URL, "--size", "20", "--seed", "3")
	require.Equal(t, ExitOK, code, stderr)
	require.Contains(t, stdout, "imported 20 resources: ")
	ctx := context.Background()
	require.NoError(t, testrig.FlushVictoriaMetrics(ctx, vm.URL))
	ss, err := testrig.ExportVictoriaMetrics(ctx, vm.URL, `{__name__=~".+"}`)
	require.NoError(t, err)
	var want int
	_, err = fmt.Sscanf(stdout[strings.Index(stdout, ": ")+2:], "%d series", &want)
	require.NoError(t, err, stdout)
	require.Positive(t, want)
	require.Len(t, ss, want, "every series sent is stored")

	t.Run("a size that is not positive is a usage error", func(t *testing.T) {
		code, _, stderr := run(t, nil, "bench", "fleet-import", "--url", vm.URL, "--size", "0")
		require.Equal(t, ExitUsage, code)
		require.Contains(t, stderr, "--size must be positive")
	})
	t.Run("a server that is not there is named", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		url := "http://" + l.Addr().String()
		require.NoError(t, l.Close())
		code, _, stderr := run(t, nil, "bench", "fleet-import", "--url", url, "--size", "2")
		require.NotEqual(t, ExitOK, code)
		require.Contains(t, stderr, "fleet-import into "+url)
	})
}
