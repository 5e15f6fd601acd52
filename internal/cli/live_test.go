package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/fixtures"
	"github.com/omenhq/omen/internal/testrig"
)

// TestPredictAsOfNowFindsLimitsSizesAndReadOnlyFlags runs predict and run
// as a CronJob does — as of the real now, never a whole minute — against a
// real Prometheus and a real VictoriaMetrics holding the demo fleet moved to
// end a few minutes ago, and checks what a lookup that came back empty
// would lose: every container's memory limit, every disk's size, the
// read-only filesystem skipped.
func TestPredictAsOfNowFindsLimitsSizesAndReadOnlyFlags(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers")
	}
	ss, err := fixtures.DemoSeries()
	require.NoError(t, err)
	shift := time.Now().Add(-7 * time.Minute).Truncate(5 * time.Minute).Sub(fixtures.DemoEndTime())
	for i := range ss {
		ts := make([]int64, len(ss[i].Timestamps))
		for k, v := range ss[i].Timestamps {
			ts[k] = v + shift.Milliseconds()
		}
		ss[i].Timestamps = ts
	}
	servers := map[string]string{
		"prometheus":       testrig.Prometheus(t, ss).URL,
		"victoria-metrics": testrig.VictoriaMetrics(t, ss).URL,
	}
	realNow := func(g *globalOptions) { g.now = time.Now }
	for name, url := range servers {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := runWith(t, realNow, "predict", "--prometheus", url, "--preset", "disk,memory", "--format", "json")
			require.Equal(t, ExitOK, code, stderr)
			requireLiveLookups(t, stdout)

			job := filepath.Join(t.TempDir(), "omen.yaml")
			report := filepath.Join(filepath.Dir(job), "report.json")
			require.NoError(t, os.WriteFile(job, []byte(fmt.Sprintf("source: {prometheus: %q}\npresets: [disk, memory]\noutputs:\n  - {format: json, path: %q}\n", url, report)), 0o644))
			code, _, stderr = runWith(t, realNow, "run", "--config", job)
			require.Equal(t, ExitFindings, code, "the fleet's one critical target (the checkout leak) fails the job: %s", stderr)
			b, err := os.ReadFile(report)
			require.NoError(t, err)
			requireLiveLookups(t, string(b))
		})
	}
}

// requireLiveLookups checks a predict report of the demo fleet for what the
// single-instant lookups provide.
func requireLiveLookups(t *testing.T, report string) {
	t.Helper()
	var rep struct {
		Results []struct {
			Labels   map[string]string `json:"labels"`
			Target   string            `json:"target"`
			Pattern  string            `json:"pattern"`
			Risk     string            `json:"risk"`
			Limit    *float64          `json:"limit"`
			Capacity *float64          `json:"capacity"`
		} `json:"results"`
		Skipped []struct {
			Labels map[string]string `json:"labels"`
			Reason string            `json:"reason"`
		} `json:"skipped"`
	}
	require.NoError(t, json.Unmarshal([]byte(report), &rep), report)
	require.Len(t, rep.Results, 21, "every target of the fleet")
	for _, r := range rep.Results {
		if r.Risk == "critical" {
			require.Equal(t, "checkout", r.Labels["container"], "the only critical target is the checkout leak: %v", r.Labels)
		}
		switch r.Target {
		case "memory":
			if r.Labels["container"] == "grafana" {
				require.Equal(t, "no-limit", r.Pattern, "grafana has no limit in the fleet")
				continue
			}
			require.NotEqual(t, "no-limit", r.Pattern, "%v lost its memory limit", r.Labels)
			require.NotNil(t, r.Limit, "%v", r.Labels)
			require.Positive(t, *r.Limit, "%v", r.Labels)
		case "disk":
			require.NotNil(t, r.Capacity, "%v lost its size", r.Labels)
			require.Positive(t, *r.Capacity, "%v", r.Labels)
		}
	}
	require.Len(t, rep.Skipped, 1)
	require.Equal(t, "read-only filesystem", rep.Skipped[0].Reason)
}
