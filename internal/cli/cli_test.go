package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/series"
)

// run executes omen with args and returns the exit code, stdout and stderr.
func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	return runWith(t, func(g *globalOptions) { g.getenv = func(k string) string { return env[k] } }, args...)
}

// runWith runs omen with args like run, after setup has changed the options
// (the environment, the clock).
func runWith(t *testing.T, setup func(*globalOptions), args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	g := &globalOptions{
		stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		getenv: func(string) string { return "" },
		now:    func() time.Time { return time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC) },
	}
	setup(g)
	root := newRootCmd(g)
	root.SetArgs(args)
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	_, err := root.ExecuteContextC(context.Background())
	if err != nil {
		stderr.WriteString("omen: " + err.Error() + "\n")
	}
	return exitCode(err), stdout.String(), stderr.String()
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"version succeeds", []string{"version"}, ExitOK, ""},
		{"an unknown flag is a usage error", []string{"fetch", "--nope"}, ExitUsage, "unknown flag"},
		{"an unknown format is a usage error", []string{"fetch", "--input", "x.csv", "--format", "xml"}, ExitUsage, `invalid --format "xml"`},
		{"a bad --at is a usage error", []string{"fetch", "--input", "x.csv", "--at", "yesterday"}, ExitUsage, "invalid --at"},
		{"two sources at once is a usage error", []string{"fetch", "--input", "x.csv", "--prometheus", "http://127.0.0.1:1"}, ExitUsage, "alternatives"},
		{"no source is a usage error", []string{"fetch"}, ExitUsage, "no data source"},
		{"a missing file is a failure naming it", []string{"fetch", "--input", "/nonexistent/x.csv"}, ExitFailure, "/nonexistent/x.csv"},
		{"a bad header is a usage error", []string{"fetch", "--prometheus", "http://127.0.0.1:1", "--query", "up", "-H", "novalue"}, ExitUsage, "NAME=VALUE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, nil, tt.args...)
			require.Equal(t, tt.code, code, stderr)
			require.Contains(t, stderr, tt.err)
		})
	}
}

func TestFetchFromAServerThatIsDownNamesTheURL(t *testing.T) {
	l := httptest.NewServer(http.NotFoundHandler())
	url := l.URL
	l.Close()
	code, _, stderr := run(t, nil, "fetch", "--prometheus", url, "--query", "up", "--range", "1h", "--timeout", "2s")
	require.Equal(t, ExitFailure, code)
	require.Contains(t, stderr, strings.TrimPrefix(url, "http://"))
}

func TestFetchNeverPrintsTheToken(t *testing.T) {
	const token = "s3cr3t-t0ken-value"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"status":"error","errorType":"unauthorized","error":"bad token"}`))
	}))
	defer srv.Close()
	code, stdout, stderr := run(t, map[string]string{envBearerToken: token}, "fetch", "--prometheus", srv.URL, "--query", "up", "--log-level", "debug")
	require.Equal(t, ExitFailure, code)
	require.Contains(t, stderr, "401")
	require.NotContains(t, stderr+stdout, token)
}

func TestFetchFileSummaryAndRoundTrip(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "disk.csv")
	require.NoError(t, os.WriteFile(in, []byte("timestamp,value,mountpoint\n2026-11-01T00:00:00Z,10,/\n2026-11-01T00:05:00Z,9,/\n2026-11-01T00:10:00Z,9,/\n2026-11-01T00:15:00Z,8,/\n2026-11-01T00:30:00Z,7,/\n"), 0o644))

	t.Run("the table shows points, first, last and gaps", func(t *testing.T) {
		code, stdout, stderr := run(t, nil, "fetch", "--input", in)
		require.Equal(t, ExitOK, code, stderr)
		require.Contains(t, stdout, `{mountpoint="/"}`)
		require.Contains(t, stdout, "2026-11-01 00:00")
		require.Contains(t, stdout, "2026-11-01 00:30")
		require.Regexp(t, `\}\s+5\s+2026-`, stdout, "five points")
		require.Regexp(t, `5m\s+1\s+10m\s`, stdout, "one gap of 10 minutes missing")
	})
	t.Run("as of an instant the later samples are gone", func(t *testing.T) {
		code, stdout, stderr := run(t, nil, "fetch", "--input", in, "--at", "2026-11-01T00:10:00Z", "--format", "csv")
		require.Equal(t, ExitOK, code, stderr)
		require.Equal(t, 4, strings.Count(stdout, "\n"), stdout)
	})
	t.Run("a JSON export reads back as the same series", func(t *testing.T) {
		out := filepath.Join(dir, "out.json")
		code, _, stderr := run(t, nil, "fetch", "--input", in, "--format", "json", "--output", out)
		require.Equal(t, ExitOK, code, stderr)
		code, stdout, stderr := run(t, nil, "fetch", "--input", out, "--format", "csv")
		require.Equal(t, ExitOK, code, stderr)
		code, want, _ := run(t, nil, "fetch", "--input", in, "--format", "csv")
		require.Equal(t, ExitOK, code)
		require.Equal(t, want, stdout)
	})
	t.Run("a failed write leaves no file behind", func(t *testing.T) {
		out := filepath.Join(dir, "bad.csv")
		code, _, _ := run(t, nil, "fetch", "--input", filepath.Join(dir, "missing.csv"), "--format", "csv", "--output", out)
		require.Equal(t, ExitFailure, code)
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range entries {
			require.NotContains(t, e.Name(), "bad.csv")
		}
	})
}

// TestFetchThirtyDaysFromPrometheus is the acceptance check of omen fetch:
// 30 days at a 1-minute step from a real Prometheus in one call, every
// sample equal to what was loaded.
func TestFetchThirtyDaysFromPrometheus(t *testing.T) {
	start := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	n := 30*24*60 + 1
	s := series.Series{Labels: series.New("__name__", "node_filesystem_avail_bytes", "instance", "fetch-test:9100", "mountpoint", "/data")}
	for i := range n {
		s.Timestamps = append(s.Timestamps, start.Add(time.Duration(i)*time.Minute).UnixMilli())
		s.Values = append(s.Values, 1e12-float64(i)*123457+float64(i%60)*1e6)
	}
	srv := testrig.Prometheus(t, []series.Series{s})
	end := start.Add(30 * 24 * time.Hour)
	code, stdout, stderr := run(t, nil, "fetch", "--prometheus", srv.URL, "--query", s.Labels.String(),
		"--start", start.Format(time.RFC3339), "--end", end.Format(time.RFC3339), "--step", "1m", "--format", "csv")
	require.Equal(t, ExitOK, code, stderr)
	rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, n+1, "a header and every sample")
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for i, r := range rows[1:] {
		ts, err := time.Parse(time.RFC3339Nano, r[col["timestamp"]])
		require.NoError(t, err)
		v, err := strconv.ParseFloat(r[col["value"]], 64)
		require.NoError(t, err)
		require.Equalf(t, s.Timestamps[i], ts.UnixMilli(), "timestamp of sample %d", i)
		require.Equalf(t, s.Values[i], v, "value of sample %d", i)
		require.Equal(t, "/data", r[col["mountpoint"]])
	}
}
