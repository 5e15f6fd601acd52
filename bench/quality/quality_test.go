package quality

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/bench/scale"
	"github.com/omenhq/omen/internal/cli"
	"github.com/omenhq/omen/internal/testrig"
)

// Environment variables of the benchmark.
const (
	envRun  = "OMEN_BENCH_QUALITY"
	envURL  = "OMEN_BENCH_QUALITY_URL"
	envBin  = "OMEN_BENCH_QUALITY_BIN"
	envKeep = "OMEN_BENCH_QUALITY_KEEP"
)

// report is the part of omen quality's JSON the benchmark checks.
type report struct {
	Rules []struct {
		Alert     string   `json:"alert"`
		Firings   int      `json:"firings"`
		Caught    []string `json:"caught"`
		Verdict   string   `json:"verdict"`
		Precision *float64 `json:"precision"`
	} `json:"rules"`
	Incidents []struct {
		ID       string   `json:"id"`
		CaughtBy []string `json:"caught_by"`
	} `json:"incidents"`
	Summary struct {
		Incidents int      `json:"incidents"`
		Caught    int      `json:"caught"`
		Recall    *float64 `json:"recall"`
		Firings   int      `json:"firings"`
		Precision *float64 `json:"precision"`
	} `json:"summary"`
	Warnings []string `json:"warnings"`
}

// load imports the scenario's history into the VictoriaMetrics at url,
// one rule's metric a request, and flushes it.
func load(ctx context.Context, url string, sc *Scenario) (int64, error) {
	var total int64
	for i := 0; i < sc.Config.Rules; i++ {
		n, err := scale.ImportBatch(ctx, url, []scale.Resource{{Series: sc.Series(i)}})
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, scale.Flush(ctx, url)
}

// write puts the rule file and the incidents in dir.
func write(dir string, sc *Scenario) (rules, incidents string, err error) {
	rules, incidents = filepath.Join(dir, "rules.yml"), filepath.Join(dir, "incidents.yaml")
	if err = os.WriteFile(rules, []byte(sc.RuleFile), 0o644); err != nil {
		return
	}
	err = os.WriteFile(incidents, []byte(sc.IncidentsYAML), 0o644)
	return
}

func qualityArgs(url, rules, incidents string, sc *Scenario, out string) []string {
	return []string{"quality", "--prometheus", url, "--rules", rules, "--incidents", incidents,
		"--start", sc.Start.Format(time.RFC3339), "--end", sc.End.Format(time.RFC3339), "--format", "json", "--output", out}
}

// check verifies what the scenario guarantees: every rule reported, every
// incident caught by the rules of its service.
func check(t testing.TB, sc *Scenario, rep *report) {
	t.Helper()
	require.Len(t, rep.Rules, sc.Config.Rules)
	require.Equal(t, sc.Config.Incidents, rep.Summary.Incidents)
	require.Empty(t, rep.Warnings)
	bySvc := map[string][]string{}
	for i := 0; i < sc.Config.Rules; i++ {
		svc := Services[i%len(Services)]
		bySvc[svc] = append(bySvc[svc], fmt.Sprintf("BenchSignal%02dHigh", i))
	}
	svcOf := map[string]string{}
	for _, w := range sc.Incidents {
		svcOf[w.ID] = w.Service
	}
	for _, in := range rep.Incidents {
		require.Subset(t, in.CaughtBy, bySvc[svcOf[in.ID]], "incident %s (%s) is caught by every rule of its service", in.ID, svcOf[in.ID])
	}
	require.Equal(t, sc.Config.Incidents, rep.Summary.Caught)
	require.InDelta(t, 1, *rep.Summary.Recall, 1e-12)
	require.Greater(t, rep.Summary.Firings, 0)
	require.Less(t, *rep.Summary.Precision, 1.0, "the false alarms match no incident")
}

func TestQualityThroughVictoriaMetrics(t *testing.T) {
	sc, err := Generate(Config{Rules: 5, Weeks: 1, Incidents: 6, Seed: 3})
	require.NoError(t, err)
	vm := testrig.VictoriaMetrics(t, nil)
	ctx := context.Background()
	_, err = load(ctx, vm.URL, sc)
	require.NoError(t, err)
	dir := t.TempDir()
	rules, incidents, err := write(dir, sc)
	require.NoError(t, err)
	out := filepath.Join(dir, "report.json")
	var stdout, stderr bytes.Buffer
	code := cli.Main(ctx, qualityArgs(vm.URL, rules, incidents, sc, out), strings.NewReader(""), &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	var rep report
	require.NoError(t, json.Unmarshal(b, &rep))
	check(t, sc, &rep)
}

func BenchmarkQuality50Rules12Weeks(b *testing.B) {
	if os.Getenv(envRun) != "1" {
		b.Skipf("set %s=1 to run the 50 rules × 12 weeks benchmark (it imports 24 million samples)", envRun)
	}
	ctx := context.Background()
	sc, err := Generate(Config{})
	require.NoError(b, err)
	url := os.Getenv(envURL)
	if url == "" {
		vm := testrig.VictoriaMetrics(b, nil)
		url = vm.URL
		began := time.Now()
		n, err := load(ctx, url, sc)
		require.NoError(b, err)
		b.Logf("imported %d rules × %d series × %d points (%d MiB of JSON lines) in %s",
			sc.Config.Rules, sc.Config.Instances, int(sc.End.Sub(sc.Start)/sc.Config.Step)+1, n>>20, time.Since(began).Round(time.Millisecond))
	}
	dir := b.TempDir()
	if keep := os.Getenv(envKeep); keep != "" {
		require.NoError(b, os.MkdirAll(keep, 0o755))
		dir = keep
	}
	rules, incidents, err := write(dir, sc)
	require.NoError(b, err)
	bin := os.Getenv(envBin)
	if bin == "" {
		bin, err = scale.BuildOmen(ctx, b.TempDir())
		require.NoError(b, err)
	}
	out := filepath.Join(dir, "quality.json")
	cpu0, _ := scale.ServerCPU(ctx, url)
	b.ResetTimer()
	var run scale.Run
	for i := 0; i < b.N; i++ {
		run, err = scale.RunOmen(ctx, bin, filepath.Join(dir, "omen.log"), qualityArgs(url, rules, incidents, sc, out)...)
		require.NoError(b, err)
	}
	b.StopTimer()
	cpu1, _ := scale.ServerCPU(ctx, url)
	raw, err := os.ReadFile(out)
	require.NoError(b, err)
	var rep report
	require.NoError(b, json.Unmarshal(raw, &rep))
	check(b, sc, &rep)
	b.ReportMetric(run.Wall.Seconds(), "wall-s")
	b.ReportMetric(run.CPU().Seconds(), "omen-cpu-s")
	b.ReportMetric((cpu1-cpu0).Seconds()/float64(b.N), "server-cpu-s")
	b.ReportMetric(float64(run.MaxRSS>>20), "peak-MiB")
	b.Logf("omen quality: %d rules, %d incidents (%d caught), %d firings: wall %s, omen CPU %s, server CPU %s, peak %d MiB, load %.2f → %.2f",
		len(rep.Rules), rep.Summary.Incidents, rep.Summary.Caught, rep.Summary.Firings, run.Wall.Round(time.Millisecond),
		run.CPU().Round(time.Millisecond), (cpu1 - cpu0).Round(time.Millisecond), run.MaxRSS>>20, run.LoadBefore[0], run.LoadAfter[0])
}
