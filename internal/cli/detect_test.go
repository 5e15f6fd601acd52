package cli

import (
	"fmt"

	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/omenhq/omen/series"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/seriesio"
	"github.com/omenhq/omen/internal/testrig"
)

// spikyCSV writes days of a 5-minute daily cycle with one spike, in the
// NAB timestamp format.
func spikyCSV(t *testing.T, days int, spikeAt int) (string, []string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	var lines []string
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < days*288; i++ {
		v := 50 + 10*math.Sin(2*math.Pi*float64(i%288)/288) + float64((i*7919)%13)/13
		if i == spikeAt {
			v += 80
		}
		line := fmt.Sprintf("%s,%.2f", start.Add(time.Duration(i)*5*time.Minute).Format("2006-01-02 15:04:05"), v)
		lines = append(lines, line)
		b.WriteString(line + "\n")
	}
	path := filepath.Join(t.TempDir(), "series.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path, lines
}

func TestDetect(t *testing.T) {
	const spike = 6*288 + 100
	in, lines := spikyCSV(t, 8, spike)
	code, stdout, stderr := run(t, nil, "detect", "--input", in, "--format", "csv")
	require.Equal(t, ExitOK, code, stderr)
	out := strings.Split(strings.TrimSpace(stdout), "\n")

	t.Run("csv echoes every input row in order with its score", func(t *testing.T) {
		require.Equal(t, "timestamp,value,anomaly_score,anomaly", out[0])
		require.Len(t, out, len(lines)+1)
		for i, l := range lines {
			require.True(t, strings.HasPrefix(out[i+1], l+","), "row %d: %s", i, out[i+1])
		}
	})
	t.Run("the spike is flagged and quiet days are not", func(t *testing.T) {
		require.True(t, strings.HasSuffix(out[spike+1], ",1"), out[spike+1])
		flagged := 0
		for _, l := range out[2*288+1:] {
			if strings.HasSuffix(l, ",1") {
				flagged++
			}
		}
		require.LessOrEqual(t, flagged, 3, "after a warm-up, only the spike and its aftermath")
	})
	t.Run("truncating the input does not change earlier scores", func(t *testing.T) {
		short := filepath.Join(t.TempDir(), "short.csv")
		require.NoError(t, os.WriteFile(short, []byte("timestamp,value\n"+strings.Join(lines[:spike+5], "\n")+"\n"), 0o644))
		code, stdout, stderr := run(t, nil, "detect", "--input", short, "--format", "csv")
		require.Equal(t, ExitOK, code, stderr)
		got := strings.Split(strings.TrimSpace(stdout), "\n")
		require.Equal(t, out[:len(got)], got)
	})
	t.Run("the table lists the interval of the spike", func(t *testing.T) {
		code, stdout, stderr := run(t, nil, "detect", "--input", in, "--format", "markdown")
		require.Equal(t, ExitOK, code, stderr)
		require.Contains(t, stdout, "2026-10-07 08:20")
	})
}

func TestDetectScoresAMultiColumnCSVAsOneMachine(t *testing.T) {
	var b strings.Builder
	b.WriteString("timestamp,cpu,memory,disk_io\n")
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	n := 3 * 1440
	for i := 0; i < n; i++ {
		cpu := 0.3 + 0.05*math.Sin(float64(i)/50) + float64((i*31)%7)/200
		mem := 0.5 + float64((i*17)%11)/300
		io := 0.2 + float64((i*13)%5)/100
		if i >= n-200 && i < n-180 {
			mem += 0.4 // a memory excursion
		}
		fmt.Fprintf(&b, "%d,%.4f,%.4f,%.4f\n", start.Add(time.Duration(i)*time.Minute).Unix(), cpu, mem, io)
	}
	in := filepath.Join(t.TempDir(), "machine.csv")
	require.NoError(t, os.WriteFile(in, []byte(b.String()), 0o644))
	code, stdout, stderr := run(t, nil, "detect", "--input", in, "--format", "csv")
	require.Equal(t, ExitOK, code, stderr)
	rows := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, rows, n+1, "one scored row per input row")
	require.Equal(t, "timestamp,anomaly_score,anomaly,top_metrics", rows[0])
	best, bestAt := -1.0, -1
	for i, r := range rows[1:] {
		var s float64
		_, err := fmt.Sscanf(strings.Split(r, ",")[1], "%g", &s)
		require.NoError(t, err)
		if s > best {
			best, bestAt = s, i
		}
	}
	require.GreaterOrEqual(t, bestAt, n-200, "the highest score is in the memory excursion")
	require.Less(t, bestAt, n-170)

	code, stdout, stderr = run(t, nil, "detect", "--input", in, "--format", "json")
	require.Equal(t, ExitOK, code, stderr)
	require.Contains(t, stdout, `"machine": "input"`)
	require.Contains(t, stdout, `"memory (`, "the interval names the metric behind it")
	require.NotContains(t, stdout, `"cpu (`)
}

func TestDetectOnAServerListsIntervals(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real server")
	}
	const spike = 6*288 + 100
	in, _ := spikyCSV(t, 8, spike)
	f, err := os.Open(in)
	require.NoError(t, err)
	defer f.Close()
	ss, err := seriesio.ReadCSV(f, in)
	require.NoError(t, err)
	ss[0].Labels = series.New("__name__", "requests", "job", "api")
	vm := testrig.VictoriaMetrics(t, ss)
	code, stdout, stderr := run(t, nil, "detect", "--prometheus", vm.URL, "--query", `requests{job="api"}`,
		"--start", "2026-10-01T00:00:00Z", "--end", "2026-10-08T23:55:00Z", "--step", "5m", "--format", "markdown")
	require.Equal(t, ExitOK, code, stderr)
	require.Contains(t, stdout, "| 2026-10-07 08:20 |")
	require.Contains(t, stdout, `requests{job="api"}`)
}
