package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/tuner"
)

func TestTuneUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		err  string
	}{
		{"--pr needs --repo", []string{"tune", "--rules", "x.yml", "--incidents", "i.yml", "--start", "now-5w", "--pr"}, "--pr needs --repo"},
		{"a precision above 1 is refused", []string{"tune", "--rules", "x.yml", "--incidents", "i.yml", "--start", "now-5w", "--min-precision", "2"}, "invalid --min-precision"},
		{"a max factor of 1 is refused", []string{"tune", "--rules", "x.yml", "--incidents", "i.yml", "--start", "now-5w", "--max-factor", "1"}, "invalid --max-factor"},
		{"csv is not a format of tune", []string{"tune", "--rules", "x.yml", "--incidents", "i.yml", "--start", "now-5w", "--format", "csv"}, "invalid --format"},
		{"--rules is required", []string{"tune", "--incidents", "i.yml", "--start", "now-5w"}, "--rules is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, nil, tc.args...)
			require.Equal(t, ExitUsage, code, stderr)
			require.Contains(t, stderr, tc.err)
		})
	}
}

// tuneRules has a comment and odd spacing the minimal editor must keep.
const tuneRules = `# checkout alerts
groups:
  - name: checkout
    interval: 1m
    rules:
      - alert: ErrorRatioHigh   # pages the on-call
        expr: error_ratio{service="checkout"}   >   0.05
        labels:
          severity: critical
      - alert: ErrorRatioAny
        expr: error_ratio > 0.02
        labels:
          severity: critical
          omen_tune: "false"
`

// tuneHistory is five weeks at 1m of error_ratio: 0.01 with a two-minute
// blip a day to 0.08, and an incident a week whose ratio climbs from 0.03
// half an hour before it starts.
func tuneHistory() ([]series.Series, string) {
	s, incs := tuneHistoryFor("checkout", "INC-")
	return []series.Series{s}, "incidents:\n" + incs
}

// tuneHistoryFor is tuneHistory's series for one service, and its
// incidents (ids prefixed) as YAML list items.
func tuneHistoryFor(service, idPrefix string) (series.Series, string) {
	n := 5 * 7 * 1440
	s := series.Series{Labels: series.New("__name__", "error_ratio", "service", service, "instance", "a")}
	for i := range n {
		s.Timestamps = append(s.Timestamps, replayT0.Add(time.Duration(i)*time.Minute+30*time.Second).UnixMilli())
		s.Values = append(s.Values, 0.01)
	}
	for day := range 35 {
		b := day*1440 + 600 + 37*(day%5)
		s.Values[b], s.Values[b+1] = 0.08, 0.08
	}
	var y strings.Builder
	for week := range 5 {
		at := week*7*1440 + 3*1440 + 14*60
		for i := at - 30; i < at+45; i++ {
			s.Values[i] = 0.03 + 0.002*float64(min(i-at+30, 40))
		}
		fmt.Fprintf(&y, "  - id: %s%d\n    start: %s\n    end: %s\n    title: %s errors\n    labels:\n      service: %s\n",
			idPrefix, week+1, rfc3339(replayT0.Add(time.Duration(at)*time.Minute)), rfc3339(replayT0.Add(time.Duration(at+45)*time.Minute)), service, service)
	}
	return s, y.String()
}

func TestTuneProposesWritesAndDelivers(t *testing.T) {
	ss, incidents := tuneHistory()
	vm := testrig.VictoriaMetrics(t, ss)
	dir := t.TempDir()
	rulesDir := filepath.Join(dir, "rules")
	require.NoError(t, os.MkdirAll(rulesDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(rulesDir, "app.yml"), []byte(tuneRules), 0o644))
	incFile := filepath.Join(dir, "incidents.yml")
	require.NoError(t, os.WriteFile(incFile, []byte(incidents), 0o644))
	end := replayT0.Add(5*7*24*time.Hour - time.Minute)
	base := []string{"tune", "--prometheus", vm.URL, "--rules", rulesDir, "--incidents", incFile, "--start", rfc3339(replayT0), "--end", rfc3339(end),
		"--max-pages-per-week", "2", "--lead-window", "1h", "--for", "0,1m,2m,3m,5m"}

	t.Run("the JSON is the proposals file omen pr reads, the opted-out rule listed as left alone", func(t *testing.T) {
		code, stdout, stderr := run(t, nil, append(base, "--format", "json")...)
		require.Equal(t, ExitOK, code, stderr)
		f, err := tuner.DecodeProposals(strings.NewReader(stdout), "stdout")
		require.NoError(t, err)
		require.Len(t, f.Proposals, 1, stdout)
		p := f.Proposals[0]
		require.Equal(t, "app.yml", p.File)
		require.Equal(t, "ErrorRatioHigh", p.Alert)
		require.Equal(t, []string{"for", "threshold"}, p.Fields())
		require.NotNil(t, p.Validation)
		require.Len(t, p.Validation.Folds, 3)
		require.Contains(t, p.Why, "pages 8/week → 1/week")
		require.Len(t, f.Skipped, 1)
		require.Equal(t, "ErrorRatioAny", f.Skipped[0].Alert)
		require.Contains(t, f.Skipped[0].Reason, "omen_tune")
		var raw map[string]any
		require.NoError(t, json.Unmarshal([]byte(stdout), &raw))
		require.Contains(t, raw, "validation_folds")
	})

	t.Run("--write changes only the numbers and durations, under the directory at the same path", func(t *testing.T) {
		out := filepath.Join(dir, "tuned")
		code, _, stderr := run(t, nil, append(base, "--write", out, "--format", "json")...)
		require.Equal(t, ExitOK, code, stderr)
		b, err := os.ReadFile(filepath.Join(out, "app.yml"))
		require.NoError(t, err)
		want := strings.Replace(tuneRules, "  >   0.05\n", "  >   0.0318\n        for: 2m\n", 1)
		require.Equal(t, want, string(b))
	})

	t.Run("the table and markdown say before and after and why", func(t *testing.T) {
		code, stdout, stderr := run(t, nil, append(base, "--format", "markdown")...)
		require.Equal(t, ExitOK, code, stderr)
		require.Contains(t, stdout, "| app.yml | ErrorRatioHigh | threshold 0.05 → 0.0318, for none → 2m | 8.0 → 1.0 |")
		require.Contains(t, stdout, "Left alone")
	})

	t.Run("--pr delivers the proposals as omen pr does", func(t *testing.T) {
		bare := testrig.BareRepo(t, t.TempDir(), "rules", map[string]string{"app.yml": tuneRules})
		code, stdout, stderr := run(t, nil, append(base, "--pr", "--repo", bare, "--dry-run")...)
		require.Equal(t, ExitOK, code, stderr)
		out := decodePR(t, stdout)
		require.True(t, out.Created)
		require.Equal(t, []string{"app.yml"}, out.ChangedFiles)
		require.NotNil(t, out.Diff)
		require.Contains(t, *out.Diff, "+        for: 2m")
	})
}

// TestTuneOnPrometheusProposesWhatVictoriaMetricsDoes runs omen tune on the
// same five weeks from a real Prometheus (backfilled with promtool) and a
// real VictoriaMetrics: on a gauge compared with a number, where the two
// servers' rollups cannot differ, the proposals, their evidence and the
// written file are the same byte for byte.
func TestTuneOnPrometheusProposesWhatVictoriaMetricsDoes(t *testing.T) {
	ss, incidents := tuneHistory()
	prom := testrig.Prometheus(t, ss)
	vm := testrig.VictoriaMetrics(t, ss)
	dir := t.TempDir()
	rules := filepath.Join(dir, "app.yml")
	require.NoError(t, os.WriteFile(rules, []byte(tuneRules), 0o644))
	incFile := filepath.Join(dir, "incidents.yml")
	require.NoError(t, os.WriteFile(incFile, []byte(incidents), 0o644))
	end := replayT0.Add(5*7*24*time.Hour - time.Minute)
	outputs := map[string]string{}
	written := map[string]string{}
	for name, url := range map[string]string{"prometheus": prom.URL, "victoriametrics": vm.URL} {
		out := filepath.Join(dir, name)
		code, stdout, stderr := run(t, nil, "tune", "--prometheus", url, "--rules", rules, "--incidents", incFile, "--start", rfc3339(replayT0), "--end", rfc3339(end),
			"--max-pages-per-week", "2", "--lead-window", "1h", "--for", "0,1m,2m,3m,5m", "--write", out, "--format", "json")
		require.Equal(t, ExitOK, code, "%s: %s", name, stderr)
		outputs[name] = stdout
		b, err := os.ReadFile(filepath.Join(out, "app.yml"))
		require.NoError(t, err, name)
		written[name] = string(b)
	}
	f, err := tuner.DecodeProposals(strings.NewReader(outputs["prometheus"]), "prometheus")
	require.NoError(t, err)
	require.Len(t, f.Proposals, 1, outputs["prometheus"])
	// The written file's path names the server; everything else is the same.
	require.Equal(t, outputs["victoriametrics"], strings.ReplaceAll(outputs["prometheus"], string(filepath.Separator)+"prometheus"+string(filepath.Separator), string(filepath.Separator)+"victoriametrics"+string(filepath.Separator)))
	require.Equal(t, written["victoriametrics"], written["prometheus"])
}

// TestTuneWarnsWhenNoRuleSeverityPages runs omen tune on rules written
// with severity: page, which the default --page-severities (critical) do
// not count as pages: stderr says so and how to set it, and says nothing
// once page is named.
func TestTuneWarnsWhenNoRuleSeverityPages(t *testing.T) {
	ss, incidents := tuneHistory()
	vm := testrig.VictoriaMetrics(t, ss)
	dir := t.TempDir()
	rules := filepath.Join(dir, "app.yml")
	require.NoError(t, os.WriteFile(rules, []byte(strings.ReplaceAll(tuneRules, "severity: critical", "severity: page")), 0o644))
	incFile := filepath.Join(dir, "incidents.yml")
	require.NoError(t, os.WriteFile(incFile, []byte(incidents), 0o644))
	end := replayT0.Add(5*7*24*time.Hour - time.Minute)
	args := []string{"tune", "--prometheus", vm.URL, "--rules", rules, "--incidents", incFile, "--start", rfc3339(replayT0), "--end", rfc3339(end),
		"--max-pages-per-week", "2", "--lead-window", "1h", "--for", "0,2m", "--format", "json"}
	code, _, stderr := run(t, nil, args...)
	require.Equal(t, ExitOK, code, stderr)
	require.Contains(t, stderr, "no rule's severity pages")
	require.Contains(t, stderr, "severities=page page_severities=critical")
	code, _, stderr = run(t, nil, append(args, "--page-severities", "critical,page")...)
	require.Equal(t, ExitOK, code, stderr)
	require.NotContains(t, stderr, "no rule's severity pages")
}
