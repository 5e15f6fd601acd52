package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/bench/scale"
	"github.com/omenhq/omen/internal/cli"
	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/tuner"
)

// envRun must be 1 for the heavy benchmarks to run.
const envRun = "OMEN_BENCH_REPLAY"

// importFleet loads days of the fleet into the VictoriaMetrics at url and
// returns the number of series and samples.
func importFleet(tb testing.TB, url string, days int) (int, int) {
	tb.Helper()
	nSeries, nSamples := 0, 0
	err := Generate(days, 1, func(ss []series.Series) error {
		for _, s := range ss {
			nSeries++
			nSamples += s.Len()
		}
		return testrig.ImportVictoriaMetrics(context.Background(), url, ss)
	})
	require.NoError(tb, err)
	return nSeries, nSamples
}

// replayOutput is the part of omen replay's and omen whatif's JSON the
// benchmarks read.
type replayOutput struct {
	Requests int `json:"requests"`
	Rules    []struct {
		Alert   string            `json:"alert"`
		Error   string            `json:"error"`
		Firings []json.RawMessage `json:"firings"`
	} `json:"rules"`
	Plan string            `json:"plan"`
	Grid []json.RawMessage `json:"grid"`
}

func readOutput(tb testing.TB, path string) replayOutput {
	tb.Helper()
	b, err := os.ReadFile(path)
	require.NoError(tb, err)
	var out replayOutput
	require.NoError(tb, json.Unmarshal(b, &out), string(b))
	return out
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// TestReplayPathSmall runs the benchmark's path on one day in process:
// every rule of Rules() parses, has a threshold and replays without error
// from a real VictoriaMetrics at one request a rule, and the 100-point
// sweep costs what one replay costs.
func TestReplayPathSmall(t *testing.T) {
	vm := testrig.VictoriaMetrics(t, nil)
	importFleet(t, vm.URL, 1)
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yml")
	require.NoError(t, os.WriteFile(rules, []byte(Rules()), 0o644))
	rs, err := tuner.Load(rules, tuner.LoadOptions{})
	require.NoError(t, err)
	require.Len(t, rs, 50)
	for _, r := range rs {
		require.Empty(t, r.ParseError, r.Alert)
		require.NotNil(t, r.Threshold, "%s has a threshold", r.Alert)
	}
	out := filepath.Join(dir, "replay.json")
	var stderr bytes.Buffer
	code := cli.Main(context.Background(), []string{"replay", "--prometheus", vm.URL, "--rules", rules,
		"--start", rfc(Start), "--end", rfc(Start.Add(24*time.Hour - time.Minute)), "--format", "json", "--output", out}, nil, &stderr, &stderr)
	require.Equal(t, 0, code, stderr.String())
	res := readOutput(t, out)
	require.Len(t, res.Rules, 50)
	require.Equal(t, 50, res.Requests, "one request a rule for a day at 1m")
	fired := 0
	for _, r := range res.Rules {
		require.Empty(t, r.Error)
		if len(r.Firings) > 0 {
			fired++
		}
	}
	require.Greater(t, fired, 15, "many rules fire on one day of the fleet")

	sweep := filepath.Join(dir, "sweep.json")
	code = cli.Main(context.Background(), []string{"whatif", "--prometheus", vm.URL, "--rules", rules, "--alert", "HighErrorRate03",
		"--threshold", thresholds(100), "--start", rfc(Start), "--end", rfc(Start.Add(24*time.Hour - time.Minute)), "--format", "json", "--output", sweep}, nil, &stderr, &stderr)
	require.Equal(t, 0, code, stderr.String())
	sw := readOutput(t, sweep)
	require.Len(t, sw.Grid, 100)
	require.Equal(t, "signal", sw.Plan)
	require.Equal(t, 1, sw.Requests, "a 100-point sweep costs one replay's requests")
}

// thresholds returns n thresholds from 0.005 to 0.5.
func thresholds(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = strconv.FormatFloat(0.005+0.495*float64(i)/float64(n-1), 'g', 4, 64)
	}
	return strings.Join(parts, ",")
}

// BenchmarkReplay measures, against a real VictoriaMetrics holding 30 days
// of the fleet at 1m: omen replay of the 50 rules over the 30 days; omen
// replay of one rule; omen whatif of that rule with a 100-point threshold
// sweep (and of an and-filtered rule). Each is one omen process.
func BenchmarkReplay(b *testing.B) {
	if os.Getenv(envRun) != "1" {
		b.Skipf("set %s=1 to run (starts VictoriaMetrics and imports 30 days of 160 series)", envRun)
	}
	ctx := context.Background()
	vm := testrig.VictoriaMetrics(b, nil)
	t0 := time.Now()
	nSeries, nSamples := importFleet(b, vm.URL, 30)
	b.Logf("imported %d series, %d samples in %s", nSeries, nSamples, time.Since(t0).Round(time.Millisecond))
	dir := b.TempDir()
	rules := filepath.Join(dir, "rules.yml")
	require.NoError(b, os.WriteFile(rules, []byte(Rules()), 0o644))
	bin, err := scale.BuildOmen(ctx, dir)
	require.NoError(b, err)
	end := Start.Add(30*24*time.Hour - time.Minute)
	measure := func(b *testing.B, name string, args ...string) replayOutput {
		out := filepath.Join(dir, name+".json")
		args = append(args, "--prometheus", vm.URL, "--rules", rules, "--start", rfc(Start), "--end", rfc(end), "--format", "json", "--output", out)
		cpu0, _ := scale.ServerCPU(ctx, vm.URL)
		var run scale.Run
		for range b.N {
			run, err = scale.RunOmen(ctx, bin, filepath.Join(dir, name+".log"), args...)
			require.NoError(b, err)
		}
		cpu1, _ := scale.ServerCPU(ctx, vm.URL)
		res := readOutput(b, out)
		firings := 0
		for _, r := range res.Rules {
			require.Empty(b, r.Error, r.Alert)
			firings += len(r.Firings)
		}
		b.ReportMetric(run.Wall.Seconds(), "wall-s")
		b.ReportMetric(run.CPU().Seconds(), "cpu-s")
		b.ReportMetric(float64(res.Requests), "requests")
		b.ReportMetric(float64(run.MaxRSS)/(1<<20), "MiB")
		b.Logf("%s: omen %s\n  wall %s, omen CPU %s, server CPU %s, peak RSS %.0f MiB, %d requests, %d rules, %d firings, %d variants (plan %q), load %.2f → %.2f",
			name, strings.Join(args, " "), run.Wall.Round(time.Millisecond), run.CPU().Round(time.Millisecond), (cpu1 - cpu0).Round(time.Millisecond),
			float64(run.MaxRSS)/(1<<20), res.Requests, len(res.Rules), firings, len(res.Grid), res.Plan, run.LoadBefore[0], run.LoadAfter[0])
		return res
	}
	b.Run("50rules-30d", func(b *testing.B) {
		res := measure(b, "replay50", "replay")
		require.Len(b, res.Rules, 50)
	})
	b.Run("1rule-30d", func(b *testing.B) { measure(b, "replay1", "replay", "--alert", "HighErrorRate03") })
	b.Run("sweep100-30d", func(b *testing.B) {
		res := measure(b, "sweep100", "whatif", "--alert", "HighErrorRate03", "--threshold", thresholds(100))
		require.Len(b, res.Grid, 100)
	})
	b.Run("sweep100x3for-30d", func(b *testing.B) {
		res := measure(b, "sweep300", "whatif", "--alert", "HighErrorRate03", "--threshold", thresholds(100), "--for", "0,5m,15m")
		require.Len(b, res.Grid, 300)
	})
	b.Run("sweep100-and-30d", func(b *testing.B) {
		pct := make([]string, 100)
		for i := range pct {
			pct[i] = strconv.FormatFloat(1+0.4*float64(i), 'g', 4, 64)
		}
		res := measure(b, "sweepand", "whatif", "--alert", "NodeFilesystemSpaceLow03", "--threshold", strings.Join(pct, ","))
		require.Len(b, res.Grid, 100)
	})
}
