package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/source/prom"
	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/tuner"
)

// replayT0 is where the test histories begin: a multiple of every
// interval used.
var replayT0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// scenario builds 1-minute histories, the samples 30 s past each minute
// (off the evaluation instants, where Prometheus's closed and
// VictoriaMetrics's left-open windows agree):
//   - flap{instance}: 0/1 flipping at random, often (flapping);
//   - latency_seconds{service,instance}: bursts above 0.3 of 1–12 minutes
//     (for: 5m, some bursts too short);
//   - gappy{job}: 1 with stretches of missing samples of 2–20 minutes
//     (gaps; only when gaps is set);
//   - errors_total and requests_total{service,instance,code}: counters
//     whose error ratio rises above 5 % now and then (many label sets).
func scenario(seed uint64, minutes int, gaps bool) []series.Series {
	rng := rand.New(rand.NewPCG(seed, 7))
	ts := func(i int) int64 { return replayT0.Add(time.Duration(i)*time.Minute + 30*time.Second).UnixMilli() }
	var out []series.Series
	add := func(ls series.Labels, value func(i int) (float64, bool)) {
		s := series.Series{Labels: ls}
		for i := range minutes {
			if v, ok := value(i); ok {
				s.Timestamps = append(s.Timestamps, ts(i))
				s.Values = append(s.Values, v)
			}
		}
		out = append(out, s)
	}
	for inst := range 8 {
		v := 0.0
		add(series.New("__name__", "flap", "instance", fmt.Sprintf("host-%d", inst)), func(int) (float64, bool) {
			if rng.Float64() < 0.15 {
				v = 1 - v
			}
			return v, true
		})
	}
	for svc := range 4 {
		for inst := range 5 {
			burst := 0
			add(series.New("__name__", "latency_seconds", "service", fmt.Sprintf("svc-%d", svc), "instance", fmt.Sprintf("10.0.%d.%d:9100", svc, inst)), func(int) (float64, bool) {
				if burst == 0 && rng.Float64() < 0.01 {
					burst = 1 + rng.IntN(12)
				}
				if burst > 0 {
					burst--
					return 0.31 + rng.Float64(), true
				}
				return 0.05 + 0.2*rng.Float64(), true
			})
		}
	}
	if gaps {
		for job := range 6 {
			gap := 0
			add(series.New("__name__", "gappy", "job", fmt.Sprintf("job-%d", job)), func(int) (float64, bool) {
				if gap == 0 && rng.Float64() < 0.02 {
					gap = 2 + rng.IntN(19)
				}
				if gap > 0 {
					gap--
					return 0, false
				}
				return 1, true
			})
		}
	}
	for svc := range 5 {
		for inst := range 6 {
			reqs, errs := 0.0, 0.0
			bad := 0
			reqLabels := series.New("__name__", "requests_total", "service", fmt.Sprintf("api-%d", svc), "instance", fmt.Sprintf("pod-%d", inst))
			errLabels := series.New("__name__", "errors_total", "service", fmt.Sprintf("api-%d", svc), "instance", fmt.Sprintf("pod-%d", inst))
			var rs, es series.Series
			rs.Labels, es.Labels = reqLabels, errLabels
			for i := range minutes {
				if bad == 0 && rng.Float64() < 0.004 {
					bad = 5 + rng.IntN(30)
				}
				n := 100 + float64(rng.IntN(50))
				ratio := 0.01 * rng.Float64()
				if bad > 0 {
					bad--
					ratio = 0.04 + 0.1*rng.Float64()
				}
				reqs += n
				errs += math.Round(n * ratio)
				rs.Timestamps, rs.Values = append(rs.Timestamps, ts(i)), append(rs.Values, reqs)
				es.Timestamps, es.Values = append(es.Timestamps, ts(i)), append(es.Values, errs)
			}
			out = append(out, rs, es)
		}
	}
	series.Sort(out)
	return out
}

// scenarioRules are rules in the styles people write (awesome-prometheus-
// alerts and the mixins): templates in labels, for, and/unless tops.
const scenarioRules = `groups:
- name: flapping
  interval: 1m
  rules:
  - alert: InstanceFlapping
    expr: flap > 0.5
    labels:
      severity: warning
      host: "{{ $labels.instance }}"
- name: latency
  interval: 1m
  rules:
  - alert: HighLatency
    expr: latency_seconds > 0.3
    for: 5m
    labels:
      severity: critical
  - alert: HighLatencyUnlessFlapping
    expr: max by (service) (latency_seconds) > 0.9 unless on() flap{instance="host-0"} > 0.5
    for: 2m
    labels:
      severity: warning
- name: gaps
  interval: 2m
  rules:
  - alert: JobUp
    expr: gappy == 1
    for: 4m
- name: errors
  interval: 1m
  rules:
  - alert: HighErrorRate
    expr: |
      sum by (service, instance) (rate(errors_total[5m]))
        / sum by (service, instance) (rate(requests_total[5m])) > 0.05
      and sum by (service, instance) (rate(requests_total[5m])) > 1
    for: 3m
    labels:
      severity: critical
      team: "team-{{ $labels.service }}"
`

// writeFile writes content to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func replayJSONOf(t *testing.T, url, rules string, start, end time.Time, extra ...string) replayOut {
	t.Helper()
	args := append([]string{"replay", "--prometheus", url, "--rules", rules, "--start", start.Format(time.RFC3339), "--end", end.Format(time.RFC3339), "--format", "json"}, extra...)
	code, stdout, stderr := run(t, nil, args...)
	require.Equal(t, ExitOK, code, stderr)
	var out replayOut
	require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
	return out
}

// firingInstants expands the firings of a replay into "alert labels @
// instant" keys, one per evaluation at which a label set was firing.
func firingInstants(out replayOut, end time.Time) map[string]bool {
	keys := map[string]bool{}
	for _, r := range out.Rules {
		step := time.Duration(r.IntervalSeconds * float64(time.Second))
		for _, f := range r.Firings {
			from, _ := time.Parse(time.RFC3339, f.FiringAt)
			to := end.Add(time.Nanosecond)
			if f.ResolvedAt != nil {
				to, _ = time.Parse(time.RFC3339, *f.ResolvedAt)
			}
			ls := series.FromMap(f.Labels).String()
			for t := from; t.Before(to); t = t.Add(step) {
				keys[ls+"@"+t.UTC().Format(time.RFC3339)] = true
			}
		}
	}
	return keys
}

// vmalertInstants reads vmalert's ALERTS{alertstate="firing"} back into the
// same keys.
func vmalertInstants(t *testing.T, vmURL string) map[string]bool {
	t.Helper()
	ss, err := testrig.ExportVictoriaMetrics(context.Background(), vmURL, `ALERTS{alertstate="firing"}`)
	require.NoError(t, err)
	keys := map[string]bool{}
	for _, s := range ss {
		ls := s.Labels.Without(series.MetricName, "alertstate").String()
		for _, ts := range s.Timestamps {
			keys[ls+"@"+time.UnixMilli(ts).UTC().Format(time.RFC3339)] = true
		}
	}
	return keys
}

// agreement returns |a ∩ b| / |a ∪ b|, |a ∪ b| and a few keys found in
// only one.
func agreement(a, b map[string]bool) (float64, int, []string) {
	union, both := 0, 0
	var diff []string
	for k := range a {
		union++
		if b[k] {
			both++
		} else if len(diff) < 10 {
			diff = append(diff, "omen only: "+k)
		}
	}
	for k := range b {
		if !a[k] {
			union++
			if len(diff) < 20 {
				diff = append(diff, "vmalert only: "+k)
			}
		}
	}
	if union == 0 {
		return 1, 0, nil
	}
	return float64(both) / float64(union), union, diff
}

func TestReplayAgreesWithVMAlertReplay(t *testing.T) {
	const minutes = 2 * 24 * 60
	ss := scenario(1, minutes, true)
	vm := testrig.VictoriaMetricsWith(t, ss, testrig.VictoriaMetricsReplayArgs...)
	dir := t.TempDir()
	rules := writeFile(t, dir, "rules.yml", scenarioRules)
	start, end := replayT0.Add(time.Hour), replayT0.Add(minutes*time.Minute-time.Hour)

	out := replayJSONOf(t, vm.URL, rules, start, end)
	omen := firingInstants(out, end)
	require.NotEmpty(t, omen)

	va := testrig.RunVMAlertReplay(t, vm.URL, []string{rules}, start, end, 0)
	// vmalert writes ALERTS and ALERTS_FOR_STATE in one request at the end:
	// all of it must have arrived.
	all, err := testrig.ExportVictoriaMetrics(context.Background(), vm.URL, `{__name__=~"ALERTS|ALERTS_FOR_STATE"}`)
	require.NoError(t, err)
	stored := 0
	for _, s := range all {
		stored += s.Len()
	}
	require.Equal(t, va.Imported, stored, "vmalert reported %d samples imported, VictoriaMetrics holds %d", va.Imported, stored)

	theirs := vmalertInstants(t, vm.URL)
	perRule := map[string][2]int{}
	for k := range omen {
		a := alertOf(k)
		c := perRule[a]
		c[0]++
		perRule[a] = c
	}
	for k := range theirs {
		a := alertOf(k)
		c := perRule[a]
		c[1]++
		perRule[a] = c
	}
	for _, a := range slices.Sorted(func(yield func(string) bool) {
		for k := range perRule {
			if !yield(k) {
				return
			}
		}
	}) {
		t.Logf("%s: omen %d firing instants, vmalert %d", a, perRule[a][0], perRule[a][1])
	}
	for _, r := range out.Rules {
		require.NotEmpty(t, r.Firings, "every scenario rule fires: %s", r.Alert)
	}
	ratio, union, diff := agreement(omen, theirs)
	t.Logf("omen's replay and vmalert's agree on %.4f%% of %d firing instants (union of both)", 100*ratio, union)
	require.GreaterOrEqual(t, ratio, 0.99, "differences: %v", diff)
	require.Equal(t, 1.0, ratio, "differences: %v", diff)
}

func alertOf(key string) string {
	i := strings.Index(key, `alertname="`)
	if i < 0 {
		return "?"
	}
	rest := key[i+len(`alertname="`):]
	return rest[:strings.IndexByte(rest, '"')]
}

// crossRules use what Prometheus 2.42 and VictoriaMetrics evaluate alike on
// samples off the evaluation instants: instant selectors, aggregations and
// x[15m] range functions (rate differs: Prometheus extrapolates).
const crossRules = `groups:
- name: cross
  interval: 1m
  rules:
  - alert: InstanceFlapping
    expr: flap > 0.5
    labels:
      host: "{{ $labels.instance }}"
  - alert: HighLatency
    expr: latency_seconds > 0.3
    for: 5m
    labels:
      severity: critical
  - alert: SlowService
    expr: 0.3 < avg_over_time(latency_seconds[15m])
    for: 2m
  - alert: ServiceFlapping
    expr: max_over_time(flap[15m]) - min_over_time(flap[15m]) >= 1 unless on(instance) flap{instance="host-3"}
    keep_firing_for: 4m
`

func TestReplayFromPrometheusEqualsReplayFromVictoriaMetrics(t *testing.T) {
	const minutes = 24 * 60
	ss := scenario(2, minutes, false)
	promSrv := testrig.Prometheus(t, ss)
	vm := testrig.VictoriaMetrics(t, ss)
	rules := writeFile(t, t.TempDir(), "cross.yml", crossRules)
	start, end := replayT0.Add(30*time.Minute), replayT0.Add(minutes*time.Minute-30*time.Minute)
	fromProm := replayJSONOf(t, promSrv.URL, rules, start, end)
	fromVM := replayJSONOf(t, vm.URL, rules, start, end)
	require.Len(t, fromProm.Rules, 4)
	for i := range fromProm.Rules {
		p, v := fromProm.Rules[i], fromVM.Rules[i]
		require.NotEmpty(t, p.Firings, "%s fires", p.Alert)
		require.Equal(t, p.Firings, v.Firings, "%s: firings from Prometheus and VictoriaMetrics differ", p.Alert)
		t.Logf("%s: %d firings from each server, %d and %d requests", p.Alert, len(p.Firings), p.Requests, v.Requests)
	}
}

// TestWhatIfEqualsAReplayOfTheEditedFile checks, on both servers, that
// every variant of a sweep equals a replay of the rule file edited to it
// (tuner.Edit), for each plan: the comparison at the top, the number on
// the left, under and, unless and or, and a per-threshold fallback.
func TestWhatIfEqualsAReplayOfTheEditedFile(t *testing.T) {
	const minutes = 8 * 60
	ss := scenario(3, minutes, true)
	promSrv := testrig.Prometheus(t, ss)
	vm := testrig.VictoriaMetrics(t, ss)
	dir := t.TempDir()
	// Prometheus and VictoriaMetrics evaluate or differently (MetricsQL
	// matches whole series and fills the left's gaps from the right): the
	// what-if evaluates it once per threshold, exact on each.
	rulesYAML := crossRules + `  - alert: SlowOrFlapping
    expr: max by (service) (latency_seconds) > 0.9 or on() max(flap) > 0.5
    for: 3m
  - alert: HighErrorRate
    expr: |
      sum by (service, instance) (rate(errors_total[5m]))
        / sum by (service, instance) (rate(requests_total[5m])) > 0.05
      and sum by (service, instance) (rate(requests_total[5m])) > 1
    for: 3m
  - alert: JobDown
    expr: job:gappy:count5m < 5
    for: 2m
  - record: job:gappy:count5m
    expr: count by (job) (count_over_time(gappy[5m]))
`
	path := writeFile(t, dir, "rules.yml", rulesYAML)
	rules, err := tuner.Load(path, tuner.LoadOptions{})
	require.NoError(t, err)
	start, end := replayT0.Add(30*time.Minute), replayT0.Add(minutes*time.Minute)
	sweeps := map[string]struct {
		thresholds []float64
		plan       tuner.Plan
	}{
		"HighLatency":     {[]float64{0.2, 0.3, 0.5, 0.8}, tuner.PlanSignal},
		"SlowService":     {[]float64{0.25, 0.35}, tuner.PlanSignal},
		"ServiceFlapping": {[]float64{0.5, 1, 2}, tuner.PlanSignalOperands},
		"SlowOrFlapping":  {[]float64{0.5, 1.2}, tuner.PlanPerThreshold},
		"HighErrorRate":   {[]float64{0.03, 0.08}, tuner.PlanSignalOperands},
		"JobDown":         {[]float64{3, 4}, tuner.PlanPerThreshold},
	}
	fors := []time.Duration{0, 2 * time.Minute, 7 * time.Minute}
	keeps := []time.Duration{0, 3 * time.Minute}
	for _, srv := range []*testrig.Server{promSrv, vm} {
		c, err := prom.New(prom.Config{URL: srv.URL})
		require.NoError(t, err)
		q := querier{src: c, g: &globalOptions{logger: slog.New(slog.DiscardHandler)}}
		for alert, sw := range sweeps {
			t.Run(srv.Name+"/"+alert, func(t *testing.T) {
				r, err := tuner.Find(rules, tuner.Selector{Alert: alert})
				require.NoError(t, err)
				res, err := tuner.WhatIf(context.Background(), q, r, tuner.WhatIfConfig{
					ReplayConfig: tuner.ReplayConfig{Start: start, End: end, Rules: rules},
					Thresholds:   sw.thresholds, Fors: fors, KeepFiringFors: keeps,
				})
				require.NoError(t, err)
				require.Equal(t, sw.plan, res.Plan, res.PlanReason)
				require.Len(t, res.After, len(sw.thresholds)*len(fors)*len(keeps))
				if alert == "JobDown" {
					require.Contains(t, strings.Join(res.Warnings, "\n"), "recording rule job:gappy:count5m (rules.yml:", "the missing recording rule is named")
					require.Contains(t, strings.Join(res.Warnings, "\n"), "evaluated with its expression inlined")
				}
				fired := 0
				for _, v := range append([]tuner.Variant{res.Before}, res.After...) {
					ch := tuner.Change{Threshold: v.Threshold, For: &v.For, KeepFiringFor: &v.KeepFiringFor}
					src, err := os.ReadFile(path)
					require.NoError(t, err)
					edited, err := tuner.Edit(src, r, ch)
					require.NoError(t, err)
					editedRules, err := tuner.Parse(edited, path, "rules.yml", tuner.LoadOptions{})
					require.NoError(t, err)
					er, err := tuner.Find(editedRules, tuner.Selector{Alert: alert})
					require.NoError(t, err)
					rep, err := tuner.Replay(context.Background(), q, []tuner.Rule{er}, tuner.ReplayConfig{Start: start, End: end, Rules: editedRules})
					require.NoError(t, err)
					require.NoError(t, rep.Rules[0].Err)
					require.Equal(t, firingsOrEmpty(rep.Rules[0].Firings), firingsOrEmpty(v.Firings),
						"threshold %v for %s keep %s", *v.Threshold, v.For, v.KeepFiringFor)
					fired += len(v.Firings)
				}
				require.Positive(t, fired)
				t.Logf("%d variants, plan %s, %d requests for the sweep; each equals a replay of the edited file", len(res.After), res.Plan, res.Queries)
			})
		}
	}
}

func firingsOrEmpty(fs []pir.Firing) []pir.Firing {
	if fs == nil {
		return []pir.Firing{}
	}
	return fs
}

func TestReplayAndWhatIfUsageErrors(t *testing.T) {
	rules := writeFile(t, t.TempDir(), "rules.yml", scenarioRules+`- name: dup
  rules:
  - alert: HighLatency
    expr: latency_seconds > 1
    labels:
      severity: warning
`)
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"replay needs --rules", []string{"replay", "--prometheus", "http://127.0.0.1:1", "--start", "now-1h"}, ExitUsage, "--rules is required"},
		{"replay needs --start", []string{"replay", "--prometheus", "http://127.0.0.1:1", "--rules", rules}, ExitUsage, "--start is required"},
		{"an end before the start is a usage error", []string{"replay", "--prometheus", "http://127.0.0.1:1", "--rules", rules, "--start", "now-1h", "--end", "now-2h"}, ExitUsage, "before --start"},
		{"an unknown alert names the file", []string{"replay", "--prometheus", "http://127.0.0.1:1", "--rules", rules, "--start", "now-1h", "--alert", "Nope"}, ExitFailure, `rules.yml: no alerting rule "Nope"`},
		{"whatif needs --alert", []string{"whatif", "--prometheus", "http://127.0.0.1:1", "--rules", rules, "--start", "now-1h"}, ExitUsage, "--alert is required"},
		{"a threshold that is not a number is a usage error", []string{"whatif", "--prometheus", "http://127.0.0.1:1", "--rules", rules, "--start", "now-1h", "--alert", "JobUp", "--threshold", "0.5,abc"}, ExitUsage, `invalid --threshold "abc"`},
		{"a bad duration is a usage error", []string{"whatif", "--prometheus", "http://127.0.0.1:1", "--rules", rules, "--start", "now-1h", "--alert", "JobUp", "--for", "5x"}, ExitUsage, "invalid --for"},
		{"a bad time zone is a usage error", []string{"whatif", "--prometheus", "http://127.0.0.1:1", "--rules", rules, "--start", "now-1h", "--alert", "JobUp", "--timezone", "Mars/Olympus"}, ExitUsage, "invalid --timezone"},
		{"an ambiguous alert lists the candidates", []string{"whatif", "--prometheus", "http://127.0.0.1:1", "--rules", rules, "--start", "now-1h", "--alert", "HighLatency", "--threshold", "1"}, ExitFailure, "severity"},
		{"a threshold asked of a rule without one fails", []string{"whatif", "--prometheus", "http://127.0.0.1:1", "--rules", writeFile(t, t.TempDir(), "r.yml", "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: absent(up)\n"), "--start", "now-1h", "--alert", "A", "--threshold", "1"}, ExitFailure, "no plain-number threshold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, nil, tt.args...)
			require.Equal(t, tt.code, code, stderr)
			require.Contains(t, stderr, tt.err)
		})
	}
}

func TestReplayAndWhatIfFormats(t *testing.T) {
	const minutes = 6 * 60
	vm := testrig.VictoriaMetrics(t, scenario(4, minutes, true))
	dir := t.TempDir()
	rules := writeFile(t, dir, "rules.yml", scenarioRules)
	start, end := replayT0.Add(30*time.Minute).Format(time.RFC3339), replayT0.Add(minutes*time.Minute).Format(time.RFC3339)
	base := []string{"--prometheus", vm.URL, "--rules", rules, "--start", start, "--end", end}

	code, stdout, stderr := run(t, nil, append([]string{"replay", "--format", "table"}, base...)...)
	require.Equal(t, ExitOK, code, stderr)
	for _, want := range []string{"FIRINGS", "TIME FIRING", "FLAPS", "FIRST FIRING", "rules.yml:", "InstanceFlapping", "HighErrorRate"} {
		require.Contains(t, stdout, want)
	}
	code, stdout, stderr = run(t, nil, append([]string{"replay", "--format", "markdown", "--alert", "HighLatency"}, base...)...)
	require.Equal(t, ExitOK, code, stderr)
	require.Contains(t, stdout, "| rules.yml:")
	require.NotContains(t, stdout, "InstanceFlapping")
	code, stdout, stderr = run(t, nil, append([]string{"replay", "--format", "csv", "--group", "flapping"}, base...)...)
	require.Equal(t, ExitOK, code, stderr)
	require.True(t, strings.HasPrefix(stdout, "file,group,alert,labels,active_at,firing_at,resolved_at\n"), stdout)

	code, stdout, stderr = run(t, nil, append([]string{"whatif", "--alert", "HighLatency", "--threshold", "0.3,0.5", "--for", "0,5m", "--format", "json", "--timezone", "Europe/Berlin"}, base...)...)
	require.Equal(t, ExitOK, code, stderr)
	var w whatifOut
	require.NoError(t, json.Unmarshal([]byte(stdout), &w))
	require.Equal(t, "rules.yml", w.File)
	require.Equal(t, "latency", w.Group)
	require.Equal(t, tuner.PlanSignal, w.Plan)
	require.Len(t, w.Grid, 4)
	require.Nil(t, w.After, "a sweep has a grid, no single after")
	require.Equal(t, 0.3, *w.Before.Threshold)
	require.Equal(t, 300.0, w.Before.ForSeconds)
	require.Equal(t, w.Before, w.Grid[1], "threshold 0.3 with for 5m is the rule as written")
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &raw))
	for _, k := range []string{"threshold", "for_seconds", "firings", "pages_per_week", "night_pages", "firing_seconds"} {
		require.Contains(t, raw["before"], k)
	}

	code, stdout, stderr = run(t, nil, append([]string{"whatif", "--alert", "HighLatency", "--threshold", "0.5", "--format", "json"}, base...)...)
	require.Equal(t, ExitOK, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(stdout), &raw))
	require.Contains(t, raw, "after", "one change gives before and after")

	html := filepath.Join(dir, "whatif.html")
	code, _, stderr = run(t, nil, append([]string{"whatif", "--alert", "HighLatency", "--threshold", "0.5", "--for", "2m", "--format", "html", "--output", html}, base...)...)
	require.Equal(t, ExitOK, code, stderr)
	if keep := os.Getenv("OMEN_KEEP_HTML"); keep != "" {
		b, _ := os.ReadFile(html)
		_ = os.WriteFile(keep, b, 0o644)
	}
	page, err := os.ReadFile(html)
	require.NoError(t, err)
	require.Contains(t, string(page), "<svg")
	require.Contains(t, string(page), `instance=&#34;10.0.`, "a figure per label set")
	require.NotContains(t, string(page), "<script")
	require.NotContains(t, string(page), "http://", "self-contained apart from the SVG namespace")
}
