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
	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/series"
)

// qualityWorld is a history whose firings are known exactly: gauges that
// are 0 but for windows at given values, and rules comparing them with
// constants at a 1-minute interval without for, so that a rule fires at
// the first minute of each window above its threshold and resolves at the
// window's end.
type qualityWorld struct {
	start, end time.Time // the period scored
	series     []series.Series
	rules      string
	windows    []gaugeWindow
	incidents  []worldIncident
}

type gaugeWindow struct {
	service  string
	from, to time.Time // to zero: to the end of the history
	value    float64
}

type worldIncident struct {
	id       string
	start    time.Time
	end      time.Time // zero: no end
	service  string    // "" : no labels
	fromLine bool      // the Markdown review gives the start only in its Timeline
}

const qualityRules = `groups:
  - name: app
    interval: 1m
    rules:
      - alert: ErrorRatioHigh
        expr: app_error_ratio > 0.5
        labels:
          severity: critical
      - alert: ErrorRatioWarning
        expr: app_error_ratio > 0.3
        labels:
          severity: warning
      - alert: NeverFires
        expr: app_error_ratio > 2
        labels:
          severity: critical
`

func newQualityWorld() qualityWorld {
	day0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	at := func(d, h, m int) time.Time {
		return day0.Add(time.Duration(d)*24*time.Hour + time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	w := qualityWorld{start: at(0, 6, 0), end: at(7, 0, 0), rules: qualityRules}
	w.windows = []gaugeWindow{
		{"checkout", at(0, 9, 0), at(0, 9, 40), 0.9},    // INC-1, warned 15m ahead
		{"checkout", at(1, 23, 30), at(2, 0, 10), 0.9},  // a night page, no incident
		{"checkout", at(2, 14, 0), at(2, 14, 20), 0.4},  // warning only: INC-2 woke nobody
		{"payments", at(3, 10, 5), at(3, 10, 45), 0.95}, // INC-3, 5m late
		{"payments", at(3, 11, 0), at(3, 11, 10), 0.95}, // a flap of the same label set
		{"checkout", at(4, 3, 0), at(4, 3, 30), 0.7},    // INC-4 (no labels) and its lead
		{"payments", at(5, 20, 0), at(5, 20, 30), 0.9},  // matches the unlabelled INC-5 only by time
		{"checkout", at(6, 22, 0), time.Time{}, 0.9},    // still firing at the end
	}
	// Warnings matching no incident: the warning rule is noisy.
	for _, at := range []time.Time{at(0, 17, 0), at(1, 16, 0), at(2, 17, 0), at(3, 17, 0), at(4, 17, 0), at(5, 8, 0), at(6, 17, 0)} {
		w.windows = append(w.windows, gaugeWindow{"payments", at, at.Add(10 * time.Minute), 0.4})
	}
	w.incidents = []worldIncident{
		{"INC-0", at(0, 1, 0), at(0, 2, 0), "checkout", false},     // before the period
		{"INC-1", at(0, 9, 15), at(0, 10, 0), "checkout", true},    // caught 15m ahead
		{"INC-2", at(2, 14, 5), at(2, 15, 0), "checkout", false},   // only the warning
		{"INC-3", at(3, 10, 10), time.Time{}, "payments", true},    // no end: lasts 1h, 5m lead
		{"INC-4", at(4, 3, 40), at(4, 4, 0), "", false},            // no labels: every alert
		{"INC-5", at(5, 21, 0), at(5, 22, 0), "", true},            // 1h after the firing: lead 1h
		{"INC-6", at(6, 12, 0), at(6, 13, 0), "search", false},     // missed
		{"INC-7", at(1, 23, 0), at(1, 23, 20), "payments", false},  // the checkout night page is not it
		{"INC-8", at(6, 23, 30), at(6, 23, 45), "checkout", false}, // caught by the last firing
	}
	n := int(at(7, 0, 0).Sub(day0)/time.Minute) + 1
	for _, svc := range []string{"checkout", "payments"} {
		s := series.Series{Labels: series.New("__name__", "app_error_ratio", "service", svc, "instance", svc+"-0:9100")}
		for i := 0; i < n; i++ {
			t := day0.Add(time.Duration(i) * time.Minute)
			v := 0.0
			for _, g := range w.windows {
				if g.service == svc && !t.Before(g.from) && (g.to.IsZero() || t.Before(g.to)) {
					v = g.value
				}
			}
			s.Timestamps = append(s.Timestamps, t.UnixMilli())
			s.Values = append(s.Values, v)
		}
		w.series = append(w.series, s)
	}
	return w
}

// truth returns the firings each rule must have in the period.
func (w qualityWorld) truth() []pir.RuleFirings {
	rules := []struct {
		alert, severity string
		threshold       float64
	}{{"ErrorRatioHigh", "critical", 0.5}, {"ErrorRatioWarning", "warning", 0.3}, {"NeverFires", "critical", 2}}
	var out []pir.RuleFirings
	for i, r := range rules {
		rf := pir.RuleFirings{Rule: pir.RuleRef{File: "rules.yml", Line: 5 + 4*i, Group: "app", Alert: r.alert, Labels: map[string]string{"severity": r.severity}}}
		for _, g := range w.windows {
			if g.value <= r.threshold {
				continue
			}
			ls := series.New("alertname", r.alert, "instance", g.service+"-0:9100", "service", g.service, "severity", r.severity)
			rf.Firings = append(rf.Firings, pir.Firing{Alert: r.alert, Labels: ls, ActiveAt: g.from, FiringAt: g.from, ResolvedAt: g.to})
		}
		out = append(out, rf)
	}
	return out
}

func (w qualityWorld) pirIncidents() []pir.Incident {
	var out []pir.Incident
	for _, in := range w.incidents {
		p := pir.Incident{ID: in.id, StartedAt: in.start, ResolvedAt: in.end}
		if in.service != "" {
			p.Labels = map[string]string{"service": in.service}
		}
		out = append(out, p)
	}
	return out
}

// writeIncidents writes the incidents in format into dir and returns the
// path to give --incidents, and the ids the records carry.
func (w qualityWorld) writeIncidents(t *testing.T, dir, format string) (string, map[string]string) {
	ids := map[string]string{}
	switch format {
	case "yaml":
		var b strings.Builder
		b.WriteString("incidents:\n")
		for _, in := range w.incidents {
			fmt.Fprintf(&b, "  - id: %s\n    start: %s\n", in.id, in.start.Format(time.RFC3339))
			if !in.end.IsZero() {
				fmt.Fprintf(&b, "    end: %s\n", in.end.Format(time.RFC3339))
			}
			if in.service != "" {
				fmt.Fprintf(&b, "    labels: {service: %s}\n", in.service)
			}
			ids[in.id] = in.id
		}
		path := filepath.Join(dir, "incidents.yaml")
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
		return path, ids
	case "pagerduty":
		var list []map[string]any
		for i, in := range w.incidents {
			id := fmt.Sprintf("PQ%04d", i)
			m := map[string]any{"id": id, "type": "incident", "incident_number": 700 + i, "title": in.id, "created_at": in.start.Format(time.RFC3339), "status": "triggered", "urgency": "high"}
			if !in.end.IsZero() {
				m["status"], m["last_status_change_at"] = "resolved", in.end.Format(time.RFC3339)
			}
			if in.service != "" {
				m["service"] = map[string]string{"id": "PS", "type": "service_reference", "summary": in.service}
			}
			list = append(list, m)
			ids[in.id] = id
		}
		b, err := json.Marshal(map[string]any{"incidents": list, "limit": 25, "offset": 0, "more": false})
		require.NoError(t, err)
		path := filepath.Join(dir, "pagerduty.json")
		require.NoError(t, os.WriteFile(path, b, 0o644))
		return path, ids
	case "markdown":
		berlin, _ := time.LoadLocation("Europe/Berlin")
		for _, in := range w.incidents {
			var b strings.Builder
			fmt.Fprintf(&b, "---\nid: %s\ntitle: Review of %s\ntimezone: Europe/Berlin\n", in.id, in.id)
			local := in.start.In(berlin)
			if in.fromLine {
				fmt.Fprintf(&b, "date: %s\n", local.Format("2006-01-02"))
			} else {
				fmt.Fprintf(&b, "started_at: %s\n", local.Format("2006-01-02 15:04"))
			}
			if !in.end.IsZero() {
				fmt.Fprintf(&b, "resolved_at: %s\n", in.end.Format(time.RFC3339))
			}
			if in.service != "" {
				fmt.Fprintf(&b, "service: %s\n", in.service)
			}
			b.WriteString("---\n\n# Review\n\n## Timeline\n\n")
			if in.fromLine {
				fmt.Fprintf(&b, "- %s Impact began\n", local.Format("15:04"))
			} else {
				fmt.Fprintf(&b, "- %s Impact began\n", local.Format("2006-01-02 15:04"))
			}
			require.NoError(t, os.WriteFile(filepath.Join(dir, in.id+".md"), []byte(b.String()), 0o644))
			ids[in.id] = in.id
		}
		return dir, ids
	}
	t.Fatalf("unknown format %s", format)
	return "", nil
}

// qualityJSON is omen quality's JSON as a test reads it back.
type qualityJSON struct {
	Rules      []pir.RuleQuality     `json:"rules"`
	Incidents  []pir.IncidentQuality `json:"incidents"`
	Summary    pir.QualitySummary    `json:"summary"`
	Similarity *struct {
		Score *float64 `json:"score"`
		Rules []struct {
			Alert string   `json:"alert"`
			Score *float64 `json:"score"`
		} `json:"rules"`
	} `json:"similarity"`
	Warnings []string `json:"warnings"`
}

func closeTo(t *testing.T, want, got *float64, what string) {
	t.Helper()
	if want == nil || got == nil {
		require.Equal(t, want == nil, got == nil, what)
		return
	}
	require.InDelta(t, *want, *got, 1e-6, what)
}

// requireSameReport checks every field of omen quality's output against
// the report of the definitions on the true firings.
func requireSameReport(t *testing.T, want *pir.QualityReport, got qualityJSON, ids map[string]string) {
	t.Helper()
	rename := func(xs []string) []string {
		out := []string{}
		for _, x := range xs {
			out = append(out, ids[x])
		}
		return out
	}
	require.Len(t, got.Rules, len(want.Rules))
	for i, w := range want.Rules {
		g := got.Rules[i]
		require.Equal(t, w.Alert, g.Alert)
		require.Equal(t, w.Group, g.Group)
		require.Equal(t, w.Line, g.Line, w.Alert)
		require.Equal(t, w.Firings, g.Firings, w.Alert+" firings")
		require.Equal(t, w.Pages, g.Pages, w.Alert+" pages")
		require.InDelta(t, w.PagesPerWeek, g.PagesPerWeek, 1e-6, w.Alert+" pages_per_week")
		require.Equal(t, w.NightPages, g.NightPages, w.Alert+" night_pages")
		require.InDelta(t, w.FiringSeconds, g.FiringSeconds, 1e-6, w.Alert+" firing_seconds")
		require.Equal(t, w.Matching, g.Matching, w.Alert+" matching")
		closeTo(t, w.Precision, g.Precision, w.Alert+" precision")
		require.Equal(t, rename(w.Caught), append([]string{}, g.Caught...), w.Alert+" caught")
		closeTo(t, w.LeadSecondsMedian, g.LeadSecondsMedian, w.Alert+" lead_seconds_median")
		require.Equal(t, w.Flaps, g.Flaps, w.Alert+" flaps")
		require.Equal(t, w.Verdict, g.Verdict, w.Alert+" verdict")
		require.Equal(t, w.Reason, g.Reason, w.Alert+" reason")
	}
	require.Len(t, got.Incidents, len(want.Incidents))
	for i, w := range want.Incidents {
		g := got.Incidents[i]
		require.Equal(t, ids[w.ID], g.ID)
		require.True(t, w.Start.Equal(g.Start), "%s start", w.ID)
		require.True(t, w.End.Equal(g.End), "%s end", w.ID)
		require.Equal(t, append([]string{}, w.CaughtBy...), append([]string{}, g.CaughtBy...), w.ID+" caught_by")
		require.Equal(t, append([]string{}, w.PagedBy...), append([]string{}, g.PagedBy...), w.ID+" paged_by")
		closeTo(t, w.LeadSeconds, g.LeadSeconds, w.ID+" lead_seconds")
	}
	ws, gs := want.Summary, got.Summary
	require.Equal(t, ws.Incidents, gs.Incidents)
	require.Equal(t, ws.Caught, gs.Caught)
	require.Equal(t, ws.Paged, gs.Paged)
	closeTo(t, ws.Recall, gs.Recall, "recall")
	closeTo(t, ws.PageRecall, gs.PageRecall, "page_recall")
	require.Equal(t, ws.Firings, gs.Firings)
	require.Equal(t, ws.Pages, gs.Pages)
	require.InDelta(t, ws.PagesPerWeek, gs.PagesPerWeek, 1e-6)
	require.Equal(t, ws.NightPages, gs.NightPages)
	closeTo(t, ws.Precision, gs.Precision, "precision")
}

// TestQualityEqualsTheDefinitionsOnBothServers replays real rules over a
// history whose firings are known, from Prometheus and from
// VictoriaMetrics, against incidents in minimal YAML, PagerDuty JSON and
// Markdown reviews: every field of omen quality equals the report of the
// definitions on the true firings.
func TestQualityEqualsTheDefinitionsOnBothServers(t *testing.T) {
	w := newQualityWorld()
	promSrv := testrig.Prometheus(t, w.series)
	vm := testrig.VictoriaMetrics(t, w.series)
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yml")
	require.NoError(t, os.WriteFile(rules, []byte(w.rules), 0o644))

	berlin, _ := time.LoadLocation("Europe/Berlin")
	want, err := pir.Quality(w.truth(), w.pirIncidents(), pir.QualityConfig{Start: w.start, End: w.end, Location: berlin})
	require.NoError(t, err)
	// The world is built to hit every definition.
	require.Equal(t, 8, want.Summary.Incidents, "INC-0 started before the period")
	require.Equal(t, []pir.Verdict{pir.VerdictGood, pir.VerdictNoisy, pir.VerdictDead}, []pir.Verdict{want.Rules[0].Verdict, want.Rules[1].Verdict, want.Rules[2].Verdict})
	require.Equal(t, 1, want.Rules[0].Flaps)
	require.Greater(t, want.Rules[0].NightPages, 0)
	require.Less(t, *want.Summary.PageRecall, *want.Summary.Recall, "INC-2 only a warning caught")

	for _, srv := range []*testrig.Server{promSrv, vm} {
		for _, format := range []string{"yaml", "pagerduty", "markdown"} {
			t.Run(srv.Name+" "+format, func(t *testing.T) {
				path, ids := w.writeIncidents(t, t.TempDir(), format)
				code, stdout, stderr := run(t, nil, "quality", "--prometheus", srv.URL, "--rules", rules, "--incidents", path,
					"--start", w.start.Format(time.RFC3339), "--end", w.end.Format(time.RFC3339), "--timezone", "Europe/Berlin", "--format", "json")
				require.Equal(t, ExitOK, code, stderr)
				var got qualityJSON
				require.NoError(t, json.Unmarshal([]byte(stdout), &got))
				require.Empty(t, got.Warnings)
				requireSameReport(t, want, got, ids)
			})
		}
	}

	t.Run("table, markdown, csv and html", func(t *testing.T) {
		path, _ := w.writeIncidents(t, t.TempDir(), "yaml")
		args := []string{"quality", "--prometheus", vm.URL, "--rules", rules, "--incidents", path, "--start", w.start.Format(time.RFC3339), "--end", w.end.Format(time.RFC3339)}
		code, stdout, stderr := run(t, nil, args...)
		require.Equal(t, ExitOK, code, stderr)
		require.Contains(t, stdout, "noisy")
		require.Contains(t, stdout, "NeverFires")
		require.Contains(t, stdout, "PAGE RECALL")
		code, stdout, _ = run(t, nil, append(args, "--format", "markdown")...)
		require.Equal(t, ExitOK, code)
		require.Contains(t, stdout, "| rules.yml:13 | app | NeverFires | 0 | 0 | 0.00 | 0 | - | 0 | - | 0 | dead |")
		code, stdout, _ = run(t, nil, append(args, "--format", "csv")...)
		require.Equal(t, ExitOK, code)
		require.Equal(t, 4, strings.Count(stdout, "\n"), "a header and a line per rule")
		out := filepath.Join(t.TempDir(), "quality.html")
		code, _, stderr = run(t, nil, append(args, "--format", "html", "--output", out)...)
		require.Equal(t, ExitOK, code, stderr)
		page, err := os.ReadFile(out)
		require.NoError(t, err)
		require.Contains(t, string(page), "<svg")
		require.Contains(t, string(page), "INC-3")
		require.Equal(t, 3, strings.Count(string(page), "<figure>"), "a timeline per rule")
	})

	t.Run("usage errors", func(t *testing.T) {
		path, _ := w.writeIncidents(t, t.TempDir(), "yaml")
		base := []string{"quality", "--rules", rules, "--incidents", path, "--start", w.start.Format(time.RFC3339), "--end", w.end.Format(time.RFC3339)}
		for _, tt := range []struct {
			args []string
			want string
		}{
			{base, "--history replay needs --prometheus URL"},
			{append(base, "--prometheus", vm.URL, "--timezone", "Mars/Base"), `invalid --timezone "Mars/Base"`},
			{[]string{"quality", "--prometheus", vm.URL, "--rules", rules, "--start", "now-1d"}, "--incidents is required"},
			{append(base, "--prometheus", vm.URL, "--noisy-precision", "2"), "invalid --noisy-precision"},
		} {
			code, _, stderr := run(t, nil, tt.args...)
			require.Equal(t, ExitUsage, code, stderr)
			require.Contains(t, stderr, tt.want)
		}
		code, _, stderr := run(t, nil, append(base, "--history", filepath.Join(dir, "missing.jsonl"))...)
		require.Equal(t, ExitFailure, code)
		require.Contains(t, stderr, "missing.jsonl")
	})

	t.Run("whatif scores every variant against the incidents with the same definitions", func(t *testing.T) {
		path, _ := w.writeIncidents(t, t.TempDir(), "yaml")
		code, stdout, stderr := run(t, nil, "whatif", "--prometheus", vm.URL, "--rules", rules, "--alert", "ErrorRatioWarning",
			"--threshold", "0.3,0.8", "--incidents", path, "--start", w.start.Format(time.RFC3339), "--end", w.end.Format(time.RFC3339), "--format", "json")
		require.Equal(t, ExitOK, code, stderr)
		var got struct {
			Before IncidentScore   `json:"before"`
			Grid   []IncidentScore `json:"grid"`
		}
		require.NoError(t, json.Unmarshal([]byte(stdout), &got))
		require.Len(t, got.Grid, 2)
		truth := w.truth()
		check := func(fs []pir.Firing, s IncidentScore, what string) {
			rep, err := pir.Quality([]pir.RuleFirings{{Rule: truth[1].Rule, Firings: fs}}, w.pirIncidents(), pir.QualityConfig{Start: w.start, End: w.end})
			require.NoError(t, err)
			r := rep.Rules[0]
			require.Equal(t, append([]string{}, r.Caught...), s.Caught, what+" caught")
			require.Equal(t, append([]string{}, rep.Missed()...), s.Missed, what+" missed")
			closeTo(t, r.Precision, s.Precision, what+" precision")
			closeTo(t, rep.Summary.Recall, s.Recall, what+" recall")
			closeTo(t, r.LeadSecondsMedian, s.LeadSecondsMedian, what+" lead_seconds_median")
		}
		check(truth[1].Firings, got.Before, "as written")
		check(truth[1].Firings, got.Grid[0], "threshold 0.3")
		var above []pir.Firing
		for i, g := range w.windows {
			if g.value > 0.8 {
				above = append(above, truth[1].Firings[i])
			}
		}
		check(above, got.Grid[1], "threshold 0.8")
		require.Less(t, len(got.Grid[1].Caught), len(got.Grid[0].Caught))

		code, stdout, _ = run(t, nil, "whatif", "--prometheus", vm.URL, "--rules", rules, "--alert", "ErrorRatioWarning",
			"--threshold", "0.8", "--incidents", path, "--start", w.start.Format(time.RFC3339), "--end", w.end.Format(time.RFC3339))
		require.Equal(t, ExitOK, code)
		require.Contains(t, stdout, "RECALL")
	})
}
