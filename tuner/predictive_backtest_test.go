package tuner_test

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/internal/source/prom"
	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/tuner"
)

// The seeded histories of the predictive backtest: six weeks at 5
// minutes from a Monday, the backtest over the last four.
var (
	histStart = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	histEnd   = histStart.Add(42 * 24 * time.Hour)
	btStart   = histStart.Add(14 * 24 * time.Hour)
)

const (
	gb  = 1e9
	gib = 1 << 30
)

// seededHistories returns the three scenarios:
//
//   - a memory leak in shop/cart-0/cart: the working set climbs from
//     200 MiB to its 1 GiB limit in 9 days, is killed there and starts
//     again (fills: three kills in the backtest);
//   - log rotation on web-1:/var/log: 60 GB available at midnight, logs
//     eat 1.5 GB an hour, rotation frees them at midnight (never fills,
//     the classic flapping predict_linear page every afternoon);
//   - a weekly import on db-1:/data: every Monday at 02:00 an import
//     takes 60 GB in 2 hours, from 330 GB available: the sixth import
//     fills the disk, cleaned up 12 hours later.
func seededHistories(seed uint64) []series.Series {
	rng := rand.New(rand.NewPCG(seed, 1))
	step := 5 * time.Minute
	mk := func(kv ...string) series.Series { return series.Series{Labels: series.New(kv...)} }
	ws := mk("__name__", "container_memory_working_set_bytes", "namespace", "shop", "pod", "cart-0", "container", "cart")
	lim := mk("__name__", "kube_pod_container_resource_limits", "namespace", "shop", "pod", "cart-0", "container", "cart", "resource", "memory")
	fs := func(name, inst, mp string) series.Series {
		return mk("__name__", name, "instance", inst, "mountpoint", mp, "fstype", "ext4", "job", "node")
	}
	logAvail, logSize, logRO := fs("node_filesystem_avail_bytes", "web-1", "/var/log"), fs("node_filesystem_size_bytes", "web-1", "/var/log"), fs("node_filesystem_readonly", "web-1", "/var/log")
	dbAvail, dbSize, dbRO := fs("node_filesystem_avail_bytes", "db-1", "/data"), fs("node_filesystem_size_bytes", "db-1", "/data"), fs("node_filesystem_readonly", "db-1", "/data")
	add := func(s *series.Series, t time.Time, v float64) {
		s.Timestamps = append(s.Timestamps, t.UnixMilli())
		s.Values = append(s.Values, v)
	}
	leakStart := histStart.Add(-2 * 24 * time.Hour) // mid-cycle at the start of the history
	cycle := 9 * 24 * time.Hour
	for t := histStart; !t.After(histEnd); t = t.Add(step) {
		// The leak: linear within each cycle, the limit reached on the
		// cycle's last sample, then killed.
		age := t.Sub(leakStart) % cycle
		frac := float64(age) / float64(cycle-step)
		w := 200*(1<<20) + frac*(gib-200*(1<<20)) + rng.NormFloat64()*4*(1<<20)
		w = math.Min(w, gib-(1<<20))
		if age == cycle-step {
			w = gib
		}
		add(&ws, t, w)
		add(&lim, t, gib)

		// Log rotation.
		h := float64(t.Sub(t.Truncate(24*time.Hour))) / float64(time.Hour)
		add(&logAvail, t, 60*gb-1.5*gb*h+rng.NormFloat64()*0.05*gb)
		add(&logSize, t, 100*gb)
		add(&logRO, t, 0)

		// The weekly import.
		week := int(t.Sub(histStart) / (7 * 24 * time.Hour))
		into := t.Sub(histStart.Add(time.Duration(week) * 7 * 24 * time.Hour))
		pre := 330*gb - 60*gb*float64(week) // available before this week's import
		avail := pre - 60*gb
		switch {
		case week > 5:
			avail = 300 * gb
		case into < 2*time.Hour:
			avail = pre - 60*gb*float64(into)/float64(2*time.Hour)
		case week == 5 && into < 12*time.Hour:
			avail = 0 // full until cleaned up
		case week == 5:
			avail = 300 * gb
		}
		avail = math.Max(0, avail+rng.NormFloat64()*0.02*gb)
		if avail < 0.5*gb {
			avail = 0
		}
		add(&dbAvail, t, avail)
		add(&dbSize, t, 1000*gb)
		add(&dbRO, t, 0)
	}
	return []series.Series{ws, lim, logAvail, logSize, logRO, dbAvail, dbSize, dbRO}
}

// seededRules are the node-exporter mixin's NodeFilesystemSpaceFillingUp
// (both variants, as the mixin writes them) and a memory rule on
// predict_linear.
const seededRules = `groups:
- name: node-exporter
  rules:
  - alert: NodeFilesystemSpaceFillingUp
    expr: |
      (
        node_filesystem_avail_bytes{job="node",fstype!=""} / node_filesystem_size_bytes{job="node",fstype!=""} * 100 < 40
      and
        predict_linear(node_filesystem_avail_bytes{job="node",fstype!=""}[6h], 24*60*60) < 0
      and
        node_filesystem_readonly{job="node",fstype!=""} == 0
      )
    for: 1h
    labels:
      severity: warning
  - alert: NodeFilesystemSpaceFillingUp
    expr: |
      (
        node_filesystem_avail_bytes{job="node",fstype!=""} / node_filesystem_size_bytes{job="node",fstype!=""} * 100 < 15
      and
        predict_linear(node_filesystem_avail_bytes{job="node",fstype!=""}[6h], 4*60*60) < 0
      and
        node_filesystem_readonly{job="node",fstype!=""} == 0
      )
    for: 1h
    labels:
      severity: critical
  - alert: ContainerMemoryFillingUp
    expr: predict_linear(container_memory_working_set_bytes{container!=""}[1h], 4*3600) > on(namespace, pod, container) kube_pod_container_resource_limits{resource="memory"}
    for: 15m
    labels:
      severity: critical
  - alert: HighErrorRate
    expr: rate(errors_total[5m]) > 1
`

// promQuerier adapts the Prometheus client to tuner.Querier.
type promQuerier struct{ c *prom.Client }

func (q promQuerier) QueryRange(ctx context.Context, expr string, start, end time.Time, step time.Duration) ([]series.Series, error) {
	res, err := q.c.QueryRange(ctx, source.Query{Expr: expr, Start: start, End: end, Step: step})
	if err != nil {
		return nil, err
	}
	return res.Series, nil
}

func loadSeededRules(t *testing.T) []tuner.Rule {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rules.yml")
	require.NoError(t, os.WriteFile(path, []byte(seededRules), 0o644))
	rules, err := tuner.Load(path, tuner.LoadOptions{})
	require.NoError(t, err)
	return rules
}

// byTarget returns the caught IDs, pages and false pages of a score whose
// firings carry the label set ls (instance or pod).
func pagesOf(s tuner.BacktestScore, label, value string, start time.Time) (pages int) {
	for _, f := range s.Firings {
		if f.Labels.Get(label) == value && !f.FiringAt.Before(start) {
			pages++
		}
	}
	return pages
}

// TestBacktestPredictiveOnSeededHistories backtests the mixin's rules and a
// memory rule against omen's proposal on a real Prometheus holding the
// seeded histories: omen catches the leak's kills and the import's fill
// a day ahead and never pages on the log rotation, which the mixin's
// warning pages on every afternoon.
func TestBacktestPredictiveOnSeededHistories(t *testing.T) {
	srv := testrig.Prometheus(t, seededHistories(1))
	c, err := prom.New(prom.Config{URL: srv.URL})
	require.NoError(t, err)
	rules := loadSeededRules(t)
	began := time.Now()
	res, err := tuner.BacktestPredictive(context.Background(), promQuerier{c}, rules, tuner.PredictiveBacktestConfig{
		Start: btStart, End: histEnd, Rules: rules, Workers: 2,
	})
	require.NoError(t, err)
	t.Logf("backtest in %s, %d queries", time.Since(began).Round(time.Millisecond), res.Queries)
	require.Len(t, res.Comparisons, 3, "HighErrorRate is not a predict_linear rule")
	require.Empty(t, res.Skipped)
	require.InDelta(t, 4, res.Weeks, 1e-9)

	for _, c := range res.Comparisons {
		t.Logf("%s (%s, horizon %s): %d targets, %d events, %d predictions", c.Rule.Alert, c.Severity, c.Horizon, len(c.Targets), len(c.Events), c.Predictions)
		for _, s := range []tuner.BacktestScore{c.PredictLinear, c.Omen} {
			t.Logf("  %-30s pages %d (%.1f/week), false %d (%.1f/week), unjudged %d, caught %d, missed %d, lead %v", s.Alert, s.Pages, s.PagesPerWeek, s.FalsePages, s.FalsePagesPerWeek, s.Unjudged, len(s.Caught), len(s.Missed), s.LeadMedian)
		}
	}
	warn, crit, mem := res.Comparisons[0], res.Comparisons[1], res.Comparisons[2]

	t.Run("the predict_linear rules are recognised", func(t *testing.T) {
		require.Equal(t, "disk", warn.Use.Kind)
		require.Equal(t, 6*time.Hour, warn.Use.Range)
		require.Equal(t, 24*time.Hour, warn.Use.Ahead)
		require.Equal(t, series.Down, warn.Use.Direction)
		require.Equal(t, tuner.AlertExhaustionWarning, warn.Proposal)
		require.Equal(t, 7*24*time.Hour, warn.Horizon)
		require.Equal(t, tuner.AlertExhaustionCritical, crit.Proposal)
		require.Equal(t, 24*time.Hour, crit.Horizon)
		require.Equal(t, "memory", mem.Use.Kind)
		require.Equal(t, series.Up, mem.Use.Direction)
		require.Equal(t, []string{"namespace", "pod", "container"}, mem.Use.On)
		require.Len(t, mem.Targets, 1)
		require.Len(t, crit.Targets, 2)
	})

	t.Run("the exhaustions are found in the history", func(t *testing.T) {
		require.Len(t, mem.Events, 3, "kills at days 16, 25 and 34 of the history")
		require.Len(t, crit.Events, 1, "the sixth import fills db-1:/data; /var/log never fills")
		require.Equal(t, "db-1", crit.Events[0].Labels["instance"])
		require.Equal(t, histStart.Add(35*24*time.Hour), crit.Events[0].Start.Truncate(24*time.Hour))
	})

	t.Run("omen never pages on the log rotation, the mixin's warning does every day", func(t *testing.T) {
		require.Zero(t, pagesOf(warn.Omen, "instance", "web-1", btStart))
		require.Zero(t, pagesOf(crit.Omen, "instance", "web-1", btStart))
		require.GreaterOrEqual(t, pagesOf(warn.PredictLinear, "instance", "web-1", btStart), 25)
	})

	t.Run("omen catches the leak's kills ahead, with more lead than predict_linear", func(t *testing.T) {
		require.Len(t, mem.Omen.Caught, 3)
		require.NotNil(t, mem.Omen.LeadMedian)
		require.GreaterOrEqual(t, *mem.Omen.LeadMedian, 6*time.Hour)
		if mem.PredictLinear.LeadMedian != nil {
			require.Greater(t, *mem.Omen.LeadMedian, *mem.PredictLinear.LeadMedian)
		}
	})

	t.Run("omen warns of the import that fills the disk days ahead", func(t *testing.T) {
		require.Len(t, warn.Omen.Caught, 1)
		require.Greater(t, warn.Omen.Caught[0].Lead, 3*24*time.Hour)
		require.LessOrEqual(t, warn.Omen.FalsePagesPerWeek, warn.PredictLinear.FalsePagesPerWeek)
		require.LessOrEqual(t, crit.Omen.FalsePagesPerWeek, crit.PredictLinear.FalsePagesPerWeek)
	})
}
