package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
)

// dailyCSV writes days of 5-minute samples of a daily cycle on a trend.
func dailyCSV(t *testing.T, days int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < days*288; i++ {
		v := 100 + float64(i)*0.01 + 20*math.Sin(2*math.Pi*float64(i%288)/288)
		fmt.Fprintf(&b, "%s,%.3f\n", start.Add(time.Duration(i)*5*time.Minute).Format(time.RFC3339), v)
	}
	path := filepath.Join(t.TempDir(), "daily.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path
}

func TestForecast(t *testing.T) {
	in := dailyCSV(t, 10)
	t.Run("json holds one point per step of the horizon after the last sample", func(t *testing.T) {
		code, stdout, stderr := run(t, nil, "forecast", "--input", in, "--horizon", "6h", "--format", "json")
		require.Equal(t, ExitOK, code, stderr)
		var got struct {
			Forecasts []struct {
				Model  string
				Points []forecastPoint
			}
		}
		require.NoError(t, json.Unmarshal([]byte(stdout), &got))
		require.Len(t, got.Forecasts, 1)
		pts := got.Forecasts[0].Points
		require.Len(t, pts, 72)
		require.Equal(t, time.Date(2026, 10, 11, 0, 0, 0, 0, time.UTC), pts[0].Timestamp)
		for _, p := range pts {
			require.LessOrEqual(t, p.Lower, p.Mean)
			require.GreaterOrEqual(t, p.Upper, p.Mean)
		}
		// The cycle is clean: the forecast follows it closely.
		want := 100 + float64(10*288)*0.01
		require.InDelta(t, want, pts[0].Mean, 2)
	})
	t.Run("as of an instant the forecast starts after it", func(t *testing.T) {
		code, stdout, stderr := run(t, nil, "forecast", "--input", in, "--at", "2026-10-09T00:00:00Z", "--horizon", "1h", "--model", "snaive", "--format", "csv")
		require.Equal(t, ExitOK, code, stderr)
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		require.Len(t, lines, 13)
		require.Contains(t, lines[1], "2026-10-09T00:05:00Z")
	})
	t.Run("plot writes an SVG chart", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "f.svg")
		code, _, stderr := run(t, nil, "forecast", "--input", in, "--horizon", "1d", "--plot", out)
		require.Equal(t, ExitOK, code, stderr)
		b, err := os.ReadFile(out)
		require.NoError(t, err)
		require.Contains(t, string(b), "<svg")
	})
	t.Run("an unknown model is a usage error", func(t *testing.T) {
		code, _, stderr := run(t, nil, "forecast", "--input", in, "--model", "prophet")
		require.Equal(t, ExitUsage, code)
		require.Contains(t, stderr, "auto")
	})
}

func TestBenchM4(t *testing.T) {
	dir := testrig.SharedData(t, "m4-hourly")
	train, test := filepath.Join(dir, "Hourly-train.csv"), filepath.Join(dir, "Hourly-test.csv")
	out := filepath.Join(t.TempDir(), "f.csv")
	code, stdout, stderr := run(t, nil, "bench", "m4", "--train", train, "--test", test, "--limit", "4", "--model", "snaive", "--forecasts-out", out)
	require.Equal(t, ExitOK, code, stderr)
	require.Contains(t, stdout, "Naive2")
	require.Contains(t, stdout, "OWA")
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 5)
	require.True(t, strings.HasPrefix(lines[0], "id,F1,"))
	require.True(t, strings.HasSuffix(lines[0], ",F48"))
}

func TestBenchNAB(t *testing.T) {
	data := testrig.SharedData(t, "nab")
	code, stdout, stderr := run(t, nil, "bench", "nab", "--data", data, "--format", "markdown")
	require.Equal(t, ExitOK, code, stderr)
	require.Contains(t, stdout, "| omen (this run) |")
	require.Contains(t, stdout, "| numenta | 72.97 | 65.83 | 76.82 |", "the published scoreboard is shown beside omen")
	require.Contains(t, stdout, "realTweets")
}
