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
		runs, prev := 0, false
		for _, l := range out[2*288+1:] {
			on := strings.HasSuffix(l, ",1")
			if on && !prev {
				runs++
			}
			prev = on
		}
		require.Equal(t, 1, runs, "after the warm-up, only the spike's interval")
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

// csvRow is one row of detect --format csv.
type csvRow struct {
	ts    time.Time
	score float64
	flag  bool
}

func parseDetectCSV(t *testing.T, out string) []csvRow {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Equal(t, "timestamp,value,anomaly_score,anomaly", lines[0])
	var rows []csvRow
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		require.Len(t, f, 4, l)
		ts, err := time.Parse(time.DateTime, f[0])
		require.NoError(t, err)
		var s float64
		_, err = fmt.Sscanf(f[2], "%g", &s)
		require.NoError(t, err)
		require.Contains(t, []string{"0", "1"}, f[3])
		rows = append(rows, csvRow{ts: ts, score: s, flag: f[3] == "1"})
	}
	return rows
}

// TestDetectFormatsAgree: the intervals of --format json and the rows of
// --format csv come from the same scores and the same threshold — every
// interval is a run of flagged rows and its peak is a score the CSV shows.
func TestDetectFormatsAgree(t *testing.T) {
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	const gib = float64(1 << 30)
	n := 12 * 288
	for i := 0; i < n; i++ {
		v := 2.1*gib + 0.05*gib*math.Sin(2*math.Pi*float64(i%288)/288) + 0.01*gib*float64((i*7919)%13)/13
		switch {
		case i >= 10*288 && i < 10*288+40: // OOM-killed at 2.1 GiB, back to 0.42 GiB, warming up
			v *= 0.2 + 0.8*float64(i-10*288)/40
		case i == 8*288+50:
			v += 0.5 * gib
		}
		fmt.Fprintf(&b, "%s,%.0f\n", start.Add(time.Duration(i)*5*time.Minute).Format(time.DateTime), v)
	}
	in := filepath.Join(t.TempDir(), "memory.csv")
	require.NoError(t, os.WriteFile(in, []byte(b.String()), 0o644))
	for _, thr := range []string{"0.5", "0.3"} {
		t.Run("at threshold "+thr, func(t *testing.T) {
			code, stdout, stderr := run(t, nil, "detect", "--input", in, "--format", "csv", "--threshold", thr)
			require.Equal(t, ExitOK, code, stderr)
			rows := parseDetectCSV(t, stdout)
			require.Len(t, rows, n)
			code, stdout, stderr = run(t, nil, "detect", "--input", in, "--format", "json", "--threshold", thr)
			require.Equal(t, ExitOK, code, stderr)
			var got struct {
				Intervals []struct {
					Start  time.Time `json:"start"`
					End    time.Time `json:"end"`
					Peak   float64   `json:"peak_score"`
					PeakAt time.Time `json:"peak_at"`
				} `json:"intervals"`
			}
			require.NoError(t, json.Unmarshal([]byte(stdout), &got))
			require.NotEmpty(t, got.Intervals)
			at := map[time.Time]int{}
			for i, r := range rows {
				at[r.ts] = i
			}
			inInterval := make([]bool, n)
			for _, iv := range got.Intervals {
				a, ok1 := at[iv.Start]
				e, ok2 := at[iv.End]
				p, ok3 := at[iv.PeakAt]
				require.True(t, ok1 && ok2 && ok3, "interval %+v on rows of the CSV", iv)
				require.True(t, a == 0 || !rows[a-1].flag, "an interval starts a run of flagged rows")
				require.True(t, e == n-1 || !rows[e+1].flag, "an interval ends a run of flagged rows")
				peak := 0.0
				for i := a; i <= e; i++ {
					require.True(t, rows[i].flag, "row %d inside %v–%v", i, iv.Start, iv.End)
					inInterval[i] = true
					peak = math.Max(peak, rows[i].score)
				}
				require.InDelta(t, iv.Peak, rows[p].score, 1e-6, "the peak is the score the CSV shows at peak_at")
				require.InDelta(t, peak, iv.Peak, 1e-6, "the peak is the highest score of the interval")
			}
			for i, r := range rows {
				require.Equal(t, r.flag, inInterval[i], "row %d is flagged exactly when it is in an interval", i)
			}
			drop := 10 * 288
			require.True(t, rows[drop].flag, "the OOM drop from 2.1 GiB to 0.42 GiB is an anomaly (score %.2f)", rows[drop].score)
		})
	}
	t.Run("a threshold outside (0, 1] is a usage error", func(t *testing.T) {
		code, _, stderr := run(t, nil, "detect", "--input", in, "--threshold", "1.5")
		require.Equal(t, ExitUsage, code)
		require.Contains(t, stderr, "--threshold")
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
