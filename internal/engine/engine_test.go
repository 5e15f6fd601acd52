package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/capacity"
	"github.com/omenhq/omen/fixtures"
	"github.com/omenhq/omen/internal/engine"
	"github.com/omenhq/omen/internal/source/file"
	"github.com/omenhq/omen/series"
)

func TestParseConfigNamesTheFieldAtFault(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"an unknown field is refused with its line", "presets: [disk]\nhorizn: 7d\n", "line 2: field horizn not found"},
		{"an unknown preset is named", "presets: [disk, cpu]\n", `presets[1]: unknown preset "cpu"`},
		{"a bad duration names its line", "presets: [disk]\nhorizon: soon\n", `line 2: cannot parse duration "soon"`},
		{"a target without usage is refused", "targets:\n  - name: q\n    limit: '10'\n", "targets[0]: usage: required"},
		{"a target with a bad direction is refused", "targets:\n  - name: q\n    usage: x\n    limit: '10'\n    direction: sideways\n", `targets[0]: direction: want up or down, got "sideways"`},
		{"two sources are refused", "source: {prometheus: 'http://a', input: b.csv}\npresets: [disk]\n", "source: prometheus and input are alternatives"},
		{"critical longer than warning is refused", "presets: [disk]\nrisk: {critical: 8d, warning: 7d}\n", "risk: critical (8d) must not be longer than warning (1w)"},
		{"a bad fail_on is refused", "presets: [disk]\nrisk: {fail_on: sometimes}\n", "risk.fail_on"},
		{"an html output needs a path", "presets: [disk]\noutputs: [{format: html}]\n", "outputs[0].path"},
		{"nothing to do is refused", "window: 14d\n", "give at least one preset"},
		{"an empty file is refused", "", "empty job file"},
		{"a tune section without rules or quality is refused", "tune: {incidents: [pirs/]}\n", "tune.rules: required"},
		{"a tune section without incidents or quality is refused", "tune: {rules: rules/}\n", "tune.incidents: required"},
		{"a tune precision above one is refused", "tune: {rules: r/, incidents: [p/], min_precision: 2}\n", "tune.min_precision: want a share in [0, 1]"},
		{"a tune max factor of one is refused", "tune: {rules: r/, incidents: [p/], max_factor: 1}\n", "tune.max_factor: want more than 1"},
		{"a tune time zone that does not exist is refused", "tune: {rules: r/, incidents: [p/], timezone: Mars/Olympus}\n", "tune.timezone"},
		{"a tune for list with a bad duration names its line", "tune:\n  rules: r/\n  incidents: [p/]\n  for: [5m, soon]\n", `line 4: cannot parse duration "soon"`},
		{"an override of a preset not in use is refused", "presets: [disk]\noverrides:\n  memory: {usage: x}\n", "overrides.memory: not a target of the presets in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := engine.ParseConfig(strings.NewReader(tt.yaml))
			require.ErrorContains(t, err, tt.want)
		})
	}
	t.Run("an override replaces only the queries it names", func(t *testing.T) {
		cfg, err := engine.ParseConfig(strings.NewReader("presets: [disk]\noverrides:\n  disk: {usage: 'node_filesystem_avail_bytes{job=\"ne\"}'}\n"))
		require.NoError(t, err)
		specs := cfg.Specs()
		require.Len(t, specs, 2, "disk and pvc")
		require.Equal(t, `node_filesystem_avail_bytes{job="ne"}`, specs[0].Usage)
		require.Equal(t, preset(t, "disk")[0].Capacity, specs[0].Capacity)
		require.Equal(t, preset(t, "disk")[1], specs[1])
	})
	t.Run("a full job file parses", func(t *testing.T) {
		cfg, err := engine.ParseConfig(strings.NewReader(`
source:
  prometheus: http://prometheus:9090
  headers: {X-Scope-OrgID: tenant-1}
window: 14d
horizon: 7d
risk: {critical: 12h, warning: 3d, fail_on: warning}
presets: [disk, memory]
targets:
  - name: kafka-lag
    usage: kafka_consumergroup_lag
    limit: "1e6"
    on: [topic]
outputs:
  - {format: html, path: report.html}
  - {format: json, path: "-"}
push_to: http://vm:8428
`))
		require.NoError(t, err)
		require.Equal(t, "tenant-1", cfg.Source.Headers["X-Scope-OrgID"])
		spec, err := cfg.Targets[0].Spec()
		require.NoError(t, err)
		require.Equal(t, 1e6, spec.LimitValue)
		require.Equal(t, series.Up, spec.Direction)
	})
}

func TestPresetsOnTheDemoFleet(t *testing.T) {
	src, err := fixtures.DemoSource()
	require.NoError(t, err)
	var specs []engine.TargetSpec
	specs = append(specs, preset(t, "disk")...)
	specs = append(specs, preset(t, "memory")...)
	rep, err := engine.Predict(context.Background(), src, engine.PredictOptions{Specs: specs, AsOf: fixtures.DemoEndTime()})
	require.NoError(t, err)

	byName := map[string]engine.Result{}
	for _, r := range rep.Results {
		key := r.Labels.Get("mountpoint")
		if key == "" {
			key = r.Labels.Get("namespace") + "/" + r.Labels.Get("container")
		}
		byName[r.Labels.Get("instance")+key] = r
	}
	t.Run("pseudo filesystems are never queried", func(t *testing.T) {
		for _, r := range rep.Results {
			require.NotContains(t, []string{"tmpfs", "overlay"}, r.Labels.Get("fstype"), r.Labels.String())
		}
	})
	t.Run("a read-only filesystem is skipped with the reason", func(t *testing.T) {
		require.Len(t, rep.Skipped, 1)
		require.Equal(t, "/mnt/archive", rep.Skipped[0].Labels.Get("mountpoint"))
		require.Equal(t, "read-only filesystem", rep.Skipped[0].Reason)
	})
	t.Run("a container without a limit is reported as such", func(t *testing.T) {
		r, ok := byName["worker-1monitoring/grafana"]
		require.True(t, ok)
		require.Equal(t, capacity.PatternNoLimit, r.Pattern)
	})
	t.Run("limits and restarts are matched across jobs", func(t *testing.T) {
		r := byName["worker-1shop/checkout"]
		require.Equal(t, 1073741824.0, r.Limit)
		require.Greater(t, r.Segments, 1, "the restart counter cuts the history")
	})
	t.Run("results are ordered by risk then time to exhaustion", func(t *testing.T) {
		require.Equal(t, capacity.RiskCritical, rep.Results[0].Risk)
		for i := 1; i < len(rep.Results); i++ {
			a, b := rep.Results[i-1], rep.Results[i]
			require.GreaterOrEqual(t, a.Risk, b.Risk)
			if a.Risk == b.Risk && a.ETA != nil && b.ETA != nil && a.ETA.P50 != nil && b.ETA.P50 != nil {
				require.LessOrEqual(t, *a.ETA.P50, *b.ETA.P50)
			}
		}
	})
	t.Run("write-back series carry target, pattern and quantile", func(t *testing.T) {
		ss := engine.WriteBackSeries(rep)
		var risk, eta int
		at := map[string]float64{}
		for _, s := range ss {
			require.NotEmpty(t, s.Labels.Get("target"))
			require.NotEmpty(t, s.Labels.Get("pattern"))
			switch s.Labels.Name() {
			case "omen_exhaustion_risk":
				risk++
			case "omen_exhaustion_eta_seconds":
				eta++
				require.Contains(t, []string{"0.1", "0.5", "0.9"}, s.Labels.Get("quantile"))
			case "omen_exhaustion_at_seconds":
				at[s.Labels.Without(series.MetricName).String()] = s.Values[0]
			}
		}
		require.Equal(t, len(rep.Results), risk)
		require.Positive(t, eta)
		require.Len(t, at, eta, "an absolute instant beside every relative ETA")
		for _, s := range ss {
			if s.Labels.Name() == "omen_exhaustion_eta_seconds" {
				want := float64(rep.AsOf.Unix()) + s.Values[0]
				require.InDelta(t, want, at[s.Labels.Without(series.MetricName).String()], 1e-3, "at = as-of + eta")
			}
		}
	})
}

func TestMemoryLimitFallsBackToCAdvisor(t *testing.T) {
	end := fixtures.DemoEndTime()
	ts := []int64{end.Add(-10 * time.Minute).UnixMilli(), end.Add(-5 * time.Minute).UnixMilli(), end.UnixMilli()}
	mk := func(ls series.Labels, v float64) series.Series {
		return series.Series{Labels: ls, Timestamps: ts, Values: []float64{v, v, v}}
	}
	ss := []series.Series{
		mk(series.New("__name__", "container_memory_working_set_bytes", "namespace", "a", "pod", "p", "container", "c"), 100),
		mk(series.New("__name__", "container_spec_memory_limit_bytes", "namespace", "a", "pod", "p", "container", "c"), 1000),
		mk(series.New("__name__", "container_memory_working_set_bytes", "namespace", "a", "pod", "q", "container", "c"), 100),
		mk(series.New("__name__", "container_spec_memory_limit_bytes", "namespace", "a", "pod", "q", "container", "c"), 0),
	}
	series.Sort(ss)
	targets, _, _, err := engine.Collect(context.Background(), file.New(ss), preset(t, "memory")[0], end.Add(-time.Hour), end, 0)
	require.NoError(t, err)
	require.Len(t, targets, 2)
	require.Equal(t, []float64{1000, 1000, 1000}, targets[0].Limit.Values, "cAdvisor's limit is used without kube-state-metrics")
	require.Equal(t, []float64{0, 0, 0}, targets[1].Limit.Values, "0 is cAdvisor's 'unlimited', which capacity reports as no limit")
}

// preset returns the built-in specs named name.
func preset(t *testing.T, name string) []engine.TargetSpec {
	specs, ok := engine.Preset(name)
	require.True(t, ok, name)
	return specs
}

func TestPredictReportsProgressAsTargetsArePredicted(t *testing.T) {
	src, err := fixtures.DemoSource()
	require.NoError(t, err)
	specs := append(preset(t, "disk"), preset(t, "memory")...)
	var calls [][2]int
	rep, err := engine.Predict(context.Background(), src, engine.PredictOptions{
		Specs: specs, AsOf: fixtures.DemoEndTime(), BatchSize: 4,
		Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) },
	})
	require.NoError(t, err)
	require.Greater(t, len(calls), 4, "progress moves batch by batch")
	for i, c := range calls {
		require.LessOrEqual(t, c[0], c[1], "call %d: more done than found", i)
		if i > 0 {
			require.GreaterOrEqual(t, c[0], calls[i-1][0], "call %d: done went back", i)
			require.GreaterOrEqual(t, c[1], calls[i-1][1], "call %d: the total shrank", i)
		}
	}
	last := calls[len(calls)-1]
	require.Equal(t, len(rep.Results), last[0])
	require.Equal(t, len(rep.Results), last[1])
}
