package cli

import (
	"context"
	"encoding/json"
	"fmt"
	stdhtml "html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/fixtures"
	"github.com/omenhq/omen/internal/testrig"
)

// contractJSON is the evaluation contract of omen predict --format json.
type contractJSON struct {
	AsOf    string `json:"as_of"`
	Results []struct {
		Labels     map[string]string `json:"labels"`
		Current    *float64          `json:"current"`
		Limit      *float64          `json:"limit"`
		ETASeconds *struct {
			P10, P50, P90 *float64
		} `json:"eta_seconds"`
		Pattern string `json:"pattern"`
		Model   string `json:"model"`
		Risk    string `json:"risk"`
	} `json:"results"`
}

// steadyCSV writes 14 days of a usage growing 1 unit an hour from 0, every
// 5 minutes: it reaches 400 at hour 400.
func steadyCSV(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i <= 14*288; i++ {
		fmt.Fprintf(&b, "%d,%g\n", start.Add(time.Duration(i)*5*time.Minute).Unix(), float64(i)/12)
	}
	path := filepath.Join(t.TempDir(), "usage.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path
}

func TestPredictEvaluationContract(t *testing.T) {
	in := steadyCSV(t)
	t.Run("a steady fill is predicted with its ETA in seconds from as_of", func(t *testing.T) {
		// As of day 10 (hour 240) the usage is 240: 400 is 160 hours away.
		code, stdout, stderr := run(t, nil, "predict", "--input", in, "--at", "2026-10-11T00:00:00Z", "--limit", "400", "--direction", "up", "--horizon", "14d", "--format", "json")
		require.Equal(t, ExitOK, code, stderr)
		var got contractJSON
		require.NoError(t, json.Unmarshal([]byte(stdout), &got), stdout)
		require.Equal(t, "2026-10-11T00:00:00Z", got.AsOf)
		require.Len(t, got.Results, 1)
		r := got.Results[0]
		require.InDelta(t, 240, *r.Current, 1e-9, "only samples up to --at are used")
		require.Equal(t, 400.0, *r.Limit)
		require.NotNil(t, r.ETASeconds)
		require.InEpsilon(t, 160*3600, *r.ETASeconds.P50, 0.05)
		require.LessOrEqual(t, *r.ETASeconds.P10, *r.ETASeconds.P50)
		require.LessOrEqual(t, *r.ETASeconds.P50, *r.ETASeconds.P90)
		require.Equal(t, "warning", r.Risk)
		require.NotEmpty(t, r.Pattern)
		require.NotEmpty(t, r.Model)
	})
	t.Run("beyond the horizon the ETA is null and the risk ok", func(t *testing.T) {
		code, stdout, stderr := run(t, nil, "predict", "--input", in, "--at", "2026-10-11T00:00:00Z", "--limit", "400", "--horizon", "2d", "--format", "json")
		require.Equal(t, ExitOK, code, stderr)
		require.Contains(t, stdout, `"eta_seconds": null`)
		require.Contains(t, stdout, `"risk": "ok"`)
	})
	t.Run("going down to the limit is exhaustion with direction down", func(t *testing.T) {
		code, stdout, stderr := run(t, nil, "predict", "--input", in, "--at", "2026-10-11T00:00:00Z", "--limit", "100", "--direction", "down", "--format", "json")
		require.Equal(t, ExitOK, code, stderr)
		require.Contains(t, stdout, `"eta_seconds": null`, "a growing value never falls to 100")
	})
	t.Run("fail-on returns exit code 3 when a target is at risk", func(t *testing.T) {
		code, _, _ := run(t, nil, "predict", "--input", in, "--at", "2026-10-11T00:00:00Z", "--limit", "400", "--fail-on", "warning")
		require.Equal(t, ExitFindings, code)
		code, _, _ = run(t, nil, "predict", "--input", in, "--at", "2026-10-11T00:00:00Z", "--limit", "400", "--fail-on", "critical")
		require.Equal(t, ExitOK, code)
	})
	t.Run("without a target it is a usage error", func(t *testing.T) {
		code, _, stderr := run(t, nil, "predict", "--input", in)
		require.Equal(t, ExitUsage, code)
		require.Contains(t, stderr, "--preset")
	})
}

// TestPredictGivesTheSamePredictionsFromFilesAndServers runs the demo
// fleet's memory and disk presets through --input, a real Prometheus and a
// real VictoriaMetrics at the fleet's 5-minute step and compares the JSON.
func TestPredictGivesTheSamePredictionsFromFilesAndServers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers")
	}
	ss, err := fixtures.DemoSeries()
	require.NoError(t, err)
	dir := t.TempDir()
	in := filepath.Join(dir, "fleet.om")
	code, _, stderr := run(t, nil, "demo", "--format", "openmetrics", "--output", in)
	require.Equal(t, ExitOK, code, stderr)
	promSrv := testrig.Prometheus(t, ss)
	vmSrv := testrig.VictoriaMetrics(t, ss)
	// Off every step boundary, as a live run's instant always is: the
	// single-instant lookups (limits, sizes, read-only flags, the series
	// list) must still find their series.
	at := fixtures.DemoEndTime().Add(37*time.Second + 412*time.Millisecond).Format(time.RFC3339Nano)
	args := []string{"predict", "--preset", "disk,memory", "--at", at, "--step", "5m", "--format", "json"}
	outputs := map[string]string{}
	for name, src := range map[string][]string{
		"file":             {"--input", in},
		"prometheus":       {"--prometheus", promSrv.URL},
		"victoria-metrics": {"--prometheus", vmSrv.URL},
	} {
		code, stdout, stderr := run(t, nil, append(append([]string{}, args...), src...)...)
		require.Equal(t, ExitOK, code, "%s: %s", name, stderr)
		outputs[name] = stdout
	}
	require.Contains(t, outputs["file"], `"risk": "critical"`)
	require.JSONEq(t, outputs["file"], outputs["victoria-metrics"])
	require.JSONEq(t, outputs["file"], outputs["prometheus"])

	t.Run("predictions pushed back can be queried as metrics", func(t *testing.T) {
		at := fixtures.DemoEndTime().Format(time.RFC3339)
		code, _, stderr := run(t, nil, "predict", "--input", in, "--preset", "memory", "--at", at, "--push-to", vmSrv.URL)
		require.Equal(t, ExitOK, code, stderr)
		require.NoError(t, testrig.FlushVictoriaMetrics(context.Background(), vmSrv.URL))
		var stdout string
		require.Eventually(t, func() bool {
			// New series take a moment to become searchable.
			code, stdout, stderr = run(t, nil, "fetch", "--prometheus", vmSrv.URL, "--query", `omen_exhaustion_risk{target="memory",container="checkout"}`,
				"--start", at, "--end", at, "--step", "1m", "--format", "csv")
			return code == ExitOK && strings.Contains(stdout, "pattern")
		}, 10*time.Second, 200*time.Millisecond, "%s %s", stdout, stderr)
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		require.Len(t, lines, 2, "a header and the one sample written: %s", stdout)
		require.True(t, strings.HasPrefix(lines[1], "2026-11-01T00:00:00Z,3,"), "risk 3 = critical: %s", lines[1])
	})
}

func TestRunExecutesAJobFile(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "fleet.om")
	code, _, stderr := run(t, nil, "demo", "--format", "openmetrics", "--output", in)
	require.Equal(t, ExitOK, code, stderr)
	job := filepath.Join(dir, "omen.yaml")
	report := filepath.Join(dir, "report.json")
	require.NoError(t, os.WriteFile(job, []byte(fmt.Sprintf(`
source: {input: %q}
presets: [disk, memory]
risk: {fail_on: critical}
outputs:
  - {format: json, path: %q}
  - {format: markdown}
`, in, report)), 0o644))

	code, stdout, stderr := run(t, nil, "run", "--config", job)
	require.Equal(t, ExitFindings, code, "a critical target makes the CronJob fail: %s", stderr)
	require.Contains(t, stdout, "| critical | memory |")
	var got contractJSON
	b, err := os.ReadFile(report)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &got))
	require.Equal(t, "2026-11-01T00:00:00Z", got.AsOf)
	require.Len(t, got.Results, 21)

	t.Run("a job file with a typo names the line", func(t *testing.T) {
		bad := filepath.Join(dir, "bad.yaml")
		require.NoError(t, os.WriteFile(bad, []byte("presets: [disk]\nhorizon: 7d\nwindw: 14d\n"), 0o644))
		code, _, stderr := run(t, nil, "run", "--config", bad)
		require.Equal(t, ExitFailure, code)
		require.Contains(t, stderr, "bad.yaml")
		require.Contains(t, stderr, "line 3: field windw not found")
	})
}

// TestHTMLReportRendersInChromium opens the demo report in headless
// Chromium at a desktop's and a phone's width and asks the browser's DOM:
// one visible chart per target at risk, each inside the page (no
// horizontal scrolling), drawn at a scale where its text stays readable.
func TestHTMLReportRendersInChromium(t *testing.T) {
	chromium := testrig.RequireBinary(t, "chromium")
	dir := t.TempDir()
	html := filepath.Join(dir, "report.html")
	code, stdout, stderr := run(t, nil, "demo", "--format", "json", "--html", html)
	require.Equal(t, ExitOK, code, stderr)
	var rep struct {
		Results []struct{ Risk string } `json:"results"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	atRisk := 0
	for _, r := range rep.Results {
		if r.Risk != "ok" {
			atRisk++
		}
	}
	require.Positive(t, atRisk)
	page, err := os.ReadFile(html)
	require.NoError(t, err)
	require.NotContains(t, string(page), "<script", "the report itself has no script")

	// The same page with a probe that writes what the browser laid out
	// into an attribute, read back with --dump-dom.
	probe := `<script>
const vw = document.documentElement.clientWidth;
const charts = [...document.querySelectorAll("figure.chart")].map(f => {
  const shown = [...f.querySelectorAll("svg")].filter(s => s.getBoundingClientRect().width > 0);
  const r = shown.length ? shown[0].getBoundingClientRect() : {left: 0, right: 0, width: 0};
  const vb = shown.length ? shown[0].viewBox.baseVal.width : 1;
  return {shown: shown.length, left: r.left, right: r.right, scale: r.width / vb, band: shown.length ? shown[0].querySelectorAll('path[style*="fill-opacity"]').length : 0};
});
document.body.setAttribute("data-probe", JSON.stringify({vw, scroll: document.documentElement.scrollWidth, charts}));
</script></body>`
	probed := filepath.Join(dir, "probed.html")
	require.NoError(t, os.WriteFile(probed, []byte(strings.Replace(string(page), "</body>", probe, 1)), 0o644))

	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	for _, width := range []int{1400, 400} {
		t.Run(fmt.Sprintf("at %d px", width), func(t *testing.T) {
			base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
				"--disable-sync", "--no-first-run", "--hide-scrollbars", fmt.Sprintf("--window-size=%d,3000", width), "--user-data-dir=" + filepath.Join(dir, "profile")}
			dom, err := exec.CommandContext(ctx, chromium, append(base, "--dump-dom", "file://"+probed)...).Output()
			require.NoError(t, err)
			m := regexp.MustCompile(`data-probe="([^"]*)"`).FindSubmatch(dom)
			require.NotNil(t, m, "the probe ran")
			var got struct {
				VW, Scroll float64
				Charts     []struct {
					Shown              int
					Left, Right, Scale float64
					Band               int
				}
			}
			require.NoError(t, json.Unmarshal([]byte(stdhtml.UnescapeString(string(m[1]))), &got))
			require.LessOrEqual(t, got.Scroll, got.VW, "the page scrolls sideways")
			require.Len(t, got.Charts, atRisk, "one chart per target at risk")
			for i, c := range got.Charts {
				require.Equal(t, 1, c.Shown, "chart %d: one of its two drawings is shown", i)
				require.GreaterOrEqual(t, c.Left, 0.0, "chart %d starts inside the page", i)
				require.LessOrEqual(t, c.Right, got.VW, "chart %d ends inside the page", i)
				// 10-point text at this scale, in CSS pixels.
				require.GreaterOrEqual(t, 10*c.Scale, 9.0, "chart %d is drawn too small to read", i)
				require.Equal(t, 1, c.Band, "chart %d has its P10–P90 band", i)
			}
			png := filepath.Join(dir, fmt.Sprintf("report-%d.png", width))
			out, err := exec.CommandContext(ctx, chromium, append(base, "--screenshot="+png, "file://"+html)...).CombinedOutput()
			require.NoError(t, err, string(out))
			fi, err := os.Stat(png)
			require.NoError(t, err)
			require.Greater(t, fi.Size(), int64(50_000), "a rendered page, not a blank one")
		})
	}
}
