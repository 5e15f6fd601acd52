package seriesio

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/series"
)

// promtoolOrSkip returns the path of promtool, skipping the test when it is
// missing, except under CI=true where a missing promtool fails the test.
func promtoolOrSkip(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err == nil {
		return path
	}
	const msg = "promtool not found; install with: apt-get install -y --no-install-recommends prometheus"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// promLabels formats labels as Prometheus's labels.Labels.String does, which
// is how promtool tsdb dump prints them.
func promLabels(ls series.Labels) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = l.Name + "=" + strconv.Quote(l.Value)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func TestPromtoolBackfillsWhatWriteOpenMetricsWrites(t *testing.T) {
	promtool := promtoolOrSkip(t)
	ss := testSeries()[:2]
	ss = append(ss,
		series.Series{
			Labels:     series.New(series.MetricName, "escapes", "v", `quote " backslash \ newline`+"\nend"),
			Timestamps: []int64{1700000000001, 1700000000010, 1700000000100},
			Values:     []float64{1, 2, 3},
		},
		series.Series{Labels: series.New(series.MetricName, "aaa_first_family")},
	)
	// Every millisecond offset within a second, to catch float rounding of
	// fractional-second timestamps.
	ms := series.Series{Labels: series.New(series.MetricName, "millis")}
	for k := range int64(1000) {
		ms.Timestamps = append(ms.Timestamps, 1700000000000+k*1001)
		ms.Values = append(ms.Values, float64(k))
	}
	ss = append(ss, ms)

	dir := t.TempDir()
	var buf bytes.Buffer
	require.NoError(t, WriteOpenMetrics(&buf, ss))
	input := filepath.Join(dir, "history.om")
	require.NoError(t, os.WriteFile(input, buf.Bytes(), 0o644))
	blocks := filepath.Join(dir, "data")
	out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", input, blocks).CombinedOutput()
	require.NoError(t, err, "promtool create-blocks-from:\n%s", out)
	require.NoError(t, os.MkdirAll(filepath.Join(blocks, "wal"), 0o755))
	dump, err := exec.Command(promtool, "tsdb", "dump", blocks).Output()
	require.NoError(t, err, "promtool tsdb dump")

	got := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(dump))
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		j := strings.LastIndexByte(line[:i], ' ')
		v, err := strconv.ParseFloat(line[j+1:i], 64)
		require.NoError(t, err, line)
		got[line[:j]] = append(got[line[:j]], strconv.FormatFloat(v, 'g', -1, 64)+"@"+line[i+1:])
	}
	want := map[string][]string{}
	for _, s := range withoutNaN(ss) {
		for k, ts := range s.Timestamps {
			want[promLabels(s.Labels)] = append(want[promLabels(s.Labels)], strconv.FormatFloat(s.Values[k], 'g', -1, 64)+"@"+strconv.FormatInt(ts, 10))
		}
	}
	require.Equal(t, want, got)
}
