package tuner

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metricsql"
	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/series"
)

func TestLabelTemplatesExpandAsPrometheusDoes(t *testing.T) {
	labels := map[string]string{"instance": "db-1:9100", "job": "node"}
	tests := []struct {
		name, text string
		value      float64
		want       string
	}{
		{"a literal stays as written", "critical", 1, "critical"},
		{"$labels reads the result's labels", "{{ $labels.instance }}", 1, "db-1:9100"},
		{"a missing label is empty", "{{ $labels.nope }}", 1, ""},
		{"$value prints as Go prints a float64", "{{ $value }}", 0.95, "0.95"},
		{"large values print in exponent form", "{{ $value }}", 1e21, "1e+21"},
		{"humanize uses SI prefixes", "{{ humanize $value }}", 1234567, "1.235M"},
		{"humanize1024 uses binary prefixes", "{{ humanize1024 $value }}", 2048, "2ki"},
		{"humanizePercentage scales by 100", "{{ humanizePercentage $value }}", 0.256, "25.6%"},
		{"humanizeDuration splits seconds", "{{ humanizeDuration $value }}", 3725, "1h 2m 5s"},
		{"toUpper and pipes work", "{{ $labels.job | toUpper }}", 1, "NODE"},
		{"title capitalises words", "{{ title \"disk almost full\" }}", 1, "Disk Almost Full"},
		{"reReplaceAll rewrites", `{{ reReplaceAll ":.*" "" $labels.instance }}`, 1, "db-1"},
		{"query is not available in a replay", `{{ query "up" }}`, 1, "<error expanding template: error executing template __alert_DiskFull: template: __alert_DiskFull:1:115: executing \"__alert_DiskFull\" at <query \"up\">: error calling query: the query template function is not available in a replay>"},
		{"a template that does not parse gives Prometheus's error text", "{{ $labels.", 1, "<error expanding template: error parsing template __alert_DiskFull:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := newLabelTemplate("DiskFull", "x", tt.text).expand(labels, tt.value)
			if strings.HasSuffix(tt.want, ":") {
				require.True(t, strings.HasPrefix(got, tt.want), got)
				return
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestAlertLabels(t *testing.T) {
	r := Rule{Alert: "DiskFull", Labels: map[string]string{"severity": "critical", "job": "", "host": "{{ $labels.instance }}", "alertname": "other"}}
	rt := newRuleTemplates(r)
	base := series.New("instance", "a:1", "job", "node", "mountpoint", "/")
	got := rt.alertLabels(r.Alert, base, base.Map(), 3)
	require.Equal(t, series.New("alertname", "DiskFull", "host", "a:1", "instance", "a:1", "mountpoint", "/", "severity", "critical"), got,
		"rule labels override the result's, an empty one deletes it, alertname comes last")
}

func TestBuildAlertsFailsInstantsWithDuplicateLabelSets(t *testing.T) {
	g := grid{first: 0, step: 60_000, n: 6}
	r := Rule{Alert: "A"}
	// Two series that differ only by __name__ collide at instants 2 and 3.
	gs := []gridSeries{
		{labels: series.New("job", "x"), idx: []int32{0, 1, 2, 3}, vals: []float64{1, 1, 1, 1}},
		{labels: series.New("job", "x"), idx: []int32{2, 3, 4}, vals: []float64{1, 1, 1}},
	}
	set := buildAlerts(r, g, newRuleTemplates(r), gs)
	require.Len(t, set.labels, 1)
	require.Equal(t, []int32{0, 1, 2, 3, 4}, set.present[0])
	require.True(t, set.skip.has(2) && set.skip.has(3) && !set.skip.has(4))
	require.Equal(t, 2, set.skipped)
	require.Contains(t, set.warnings()[0], "2 evaluations failed")
	fs := set.firings(r, g, timing{}, nil)
	// Failed evaluations leave the state as it was: one firing from 0 to 5.
	require.Equal(t, []pir.Firing{{Alert: "A", Labels: series.New("alertname", "A", "job", "x"), ActiveAt: g.time(0), FiringAt: g.time(0), ResolvedAt: g.time(5)}}, fs)
}

func TestMetricRefs(t *testing.T) {
	expr := `sum by (job:up:rate5m) (job:up:rate5m) / job:up:rate5m{job="x"} + rate(job:up:rate5m[5m]) + job:up:rate5m offset 5m + foo{__name__="job:up:rate5m"} # job:up:rate5m`
	refs := metricRefs(expr, "job:up:rate5m")
	var bare []bool
	for _, r := range refs {
		require.Equal(t, "job:up:rate5m", strings.Trim(expr[r.start:r.end], `"`))
		bare = append(bare, r.bare)
	}
	require.Equal(t, []bool{true, false, false, false, false}, bare, "only the selector inside sum() is bare; the label list and the comment are not selectors")
	require.Equal(t, []string{"job:up:rate5m", "foo"}, metricNames(expr))
}

func TestInlineRecord(t *testing.T) {
	rec := Rule{Record: "job:errors:ratio", Expr: "sum by (job) (rate(errors[5m])) / sum by (job) (rate(requests[5m]))", Interval: time.Minute}
	got, reason := inlineRecord("job:errors:ratio > 0.05", []Rule{rec}, time.Minute)
	require.Empty(t, reason)
	require.Equal(t, "(sum by (job) (rate(errors[5m])) / sum by (job) (rate(requests[5m]))) > 0.05", got)
	for _, tt := range []struct {
		name, expr string
		recs       []Rule
		interval   time.Duration
		reason     string
	}{
		{"matchers on the recorded series are not exact", `job:errors:ratio{job="api"} > 0.05`, []Rule{rec}, time.Minute, "label matchers"},
		{"another interval is not exact", "job:errors:ratio > 0.05", []Rule{rec}, 5 * time.Minute, "evaluated every 1m0s"},
		{"labels added by the recording rule are not exact", "job:errors:ratio > 0.05", []Rule{{Record: rec.Record, Expr: rec.Expr, Interval: time.Minute, Labels: map[string]string{"team": "a"}}}, time.Minute, "adds labels"},
		{"two recording rules of one name are ambiguous", "job:errors:ratio > 0.05", []Rule{rec, rec}, time.Minute, "2 recording rules"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, reason := inlineRecord(tt.expr, tt.recs, tt.interval)
			require.Contains(t, reason, tt.reason)
		})
	}
}

func thresholdOf(t *testing.T, expr string) *Threshold {
	t.Helper()
	me, err := metricsql.Parse(expr)
	require.NoError(t, err)
	th := findThreshold(expr, me)
	require.NotNil(t, th, expr)
	return th
}

func TestPlanThreshold(t *testing.T) {
	tests := []struct {
		expr   string
		signal string
		levels []string
		reason string
	}{
		{"rate(x[5m]) > 0.5", "rate(x[5m])", nil, ""},
		{"(0.5 < rate(x[5m]))", "rate(x[5m])", nil, ""},
		{"x > 0.5 and on(job) up == 1", "x", []string{"and up == 1"}, ""},
		{"(x > 0.5 unless y) and z", "x", []string{"unless y", "and z"}, ""},
		{"x > 0.5 or y", "", nil, "`or`"},
		{"x > -1", "x", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			plan, reason := planThreshold(tt.expr, thresholdOf(t, tt.expr), false)
			if tt.reason != "" {
				require.Nil(t, plan)
				require.Contains(t, reason, tt.reason)
				return
			}
			require.NotNil(t, plan, reason)
			require.Equal(t, tt.signal, plan.signal)
			var levels []string
			for _, lv := range plan.levels {
				levels = append(levels, lv.op+" "+lv.other)
			}
			require.Equal(t, tt.levels, levels)
		})
	}
	_, reason := planThreshold("x > 0.5", thresholdOf(t, "x > 0.5"), true)
	require.Contains(t, reason, "inlined")
}

func TestSetOpsFollowPromQLSemantics(t *testing.T) {
	a := []gridSeries{
		{labels: series.New("job", "a", "instance", "1"), idx: []int32{0, 1, 2}, vals: []float64{1, 2, 3}},
		{labels: series.New("job", "b", "instance", "1"), idx: []int32{0, 1}, vals: []float64{4, 5}},
	}
	b := []gridSeries{{labels: series.New("job", "a", "instance", "9"), idx: []int32{1, 2, 3}, vals: []float64{7, 8, 9}}}
	on := setLevel{op: "and", on: true, matching: []string{"job"}}
	got := setOp(on, a, b, 4)
	require.Equal(t, []gridSeries{{labels: a[0].labels, idx: []int32{1, 2}, vals: []float64{2, 3}}}, got, "and on(job) keeps the left's samples where the right has the job")
	un := setLevel{op: "unless", on: true, matching: []string{"job"}}
	got = setOp(un, a, b, 4)
	require.Equal(t, []gridSeries{{labels: a[0].labels, idx: []int32{0}, vals: []float64{1}}, a[1]}, got)
	all := setLevel{op: "and"}
	require.Empty(t, setOp(all, a, b, 4), "without on() the instance must match too")
	ig := setLevel{op: "and", matching: []string{"instance"}}
	require.Len(t, setOp(ig, a, b, 4), 1, "ignoring(instance) matches on job")
}

func TestCompareSeries(t *testing.T) {
	s := []gridSeries{{labels: series.New("a", "b"), idx: []int32{0, 1, 2, 3}, vals: []float64{1, 2, math.NaN(), 3}}}
	require.Equal(t, []int32{1, 3}, compareSeries(s, ">", false, 1)[0].idx)
	require.Equal(t, []int32{0}, compareSeries(s, ">", true, 2)[0].idx, "2 > x")
	require.Equal(t, []int32{0, 1, 2, 3}, compareSeries(s, "!=", false, 5)[0].idx, "NaN != 5 holds")
	require.Empty(t, compareSeries(s, "==", false, math.NaN()))
}

func TestMeasure(t *testing.T) {
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	end := start.Add(14 * 24 * time.Hour)
	at := func(h, m int) time.Time { return start.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	crit := series.New("alertname", "A", "severity", "critical", "instance", "x")
	warn := series.New("alertname", "A", "severity", "warning", "instance", "x")
	fs := []pir.Firing{
		{Labels: crit, FiringAt: at(23, 0), ResolvedAt: at(23, 10)},            // night page
		{Labels: crit, FiringAt: at(23, 20), ResolvedAt: at(23, 30)},           // night page, flap (10m after)
		{Labels: warn, FiringAt: at(12, 0), ResolvedAt: at(13, 0)},             // not a page
		{Labels: crit, FiringAt: at(6, 59), ResolvedAt: at(7, 0)},              // night page (06:59)
		{Labels: crit, FiringAt: end.Add(-time.Hour), ResolvedAt: time.Time{}}, // still firing: counts to end
	}
	r := Rule{Alert: "A", Labels: map[string]string{"severity": "{{ if gt $value 1.0 }}critical{{ else }}warning{{ end }}"}}
	m := Measure(r, fs, start, end, MeasureConfig{})
	require.Equal(t, 5, m.Firings)
	require.Equal(t, 4, m.Pages)
	require.InDelta(t, 2.0, m.PagesPerWeek, 1e-12)
	require.Equal(t, 4, m.NightPages)
	require.InDelta(t, (10+10+60+1+60)*60.0, m.FiringSeconds, 1e-9)
	require.Equal(t, 1, m.Flaps)
	// A rule without a severity label pages on every firing; night is
	// in the given zone.
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	m = Measure(Rule{Alert: "A"}, fs, start, end, MeasureConfig{Location: berlin})
	require.Equal(t, 5, m.Pages)
	require.Equal(t, 3, m.NightPages, "23:00 and 23:20 UTC are 00:00 and 00:20 in Berlin, and so is 23:00 on the last day; 06:59 UTC is 07:59 there")
}
