package tuner_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/tuner"
)

func TestBacktestPredictiveScoresIncidents(t *testing.T) {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	path, err := writeDiskRule(t.TempDir())
	require.NoError(t, err)
	rules, err := tuner.Load(path, tuner.LoadOptions{})
	require.NoError(t, err)
	q := diskHistory{s: fillingDiskSeries(start), rule: exampleDiskRule}
	full := time.Date(2026, 3, 26, 0, 0, 0, 0, time.UTC)
	incidents := []pir.Incident{
		{ID: "INC-1", StartedAt: full.Add(30 * time.Minute), Labels: map[string]string{"instance": "db-1"}},
		{ID: "INC-2", StartedAt: full.Add(-5 * 24 * time.Hour), Labels: map[string]string{"instance": "web-7"}},
		{ID: "DRILL-1", StartedAt: full.Add(-3 * 24 * time.Hour), Mode: pir.ModeDrill},
	}
	cfg := tuner.PredictiveBacktestConfig{Start: start.Add(14 * 24 * time.Hour), End: start.Add(26*24*time.Hour - 5*time.Minute), Incidents: incidents}
	res, err := tuner.BacktestPredictive(context.Background(), q, rules, cfg)
	require.NoError(t, err)
	require.Len(t, res.Comparisons, 1)
	c := res.Comparisons[0]

	t.Run("the incidents of the rule's targets are the events, drills left out", func(t *testing.T) {
		require.Len(t, c.Events, 1, "INC-2 is web-7's")
		require.True(t, c.Events[0].Incident)
		require.Equal(t, "INC-1", c.Events[0].ID)
		require.Empty(t, c.Omen.Missed)
		require.Empty(t, c.PredictLinear.Missed)
	})
	t.Run("both catch the fill, omen a day ahead", func(t *testing.T) {
		require.Len(t, c.Omen.Caught, 1)
		require.Equal(t, "INC-1", c.Omen.Caught[0].ID)
		require.Greater(t, c.Omen.Caught[0].Lead, 20*time.Hour)
		require.Len(t, c.PredictLinear.Caught, 1)
		require.Less(t, c.PredictLinear.Caught[0].Lead, c.Omen.Caught[0].Lead)
		require.Zero(t, c.Omen.FalsePages)
	})
	t.Run("with drills counted the drill is an event too", func(t *testing.T) {
		cfg := cfg
		cfg.IncludeDrills = true
		res, err := tuner.BacktestPredictive(context.Background(), q, rules, cfg)
		require.NoError(t, err)
		require.Len(t, res.Comparisons[0].Events, 2, "the drill has no labels: it is every rule's")
	})
	t.Run("a horizon shorter than omen's lead caps the lead", func(t *testing.T) {
		cfg := cfg
		cfg.Horizon = 6 * time.Hour
		res, err := tuner.BacktestPredictive(context.Background(), q, rules, cfg)
		require.NoError(t, err)
		c := res.Comparisons[0]
		require.Equal(t, 6*time.Hour, c.Horizon)
		// omen's page is still active within the 6 hours before the
		// fill: caught, with the lead capped at the horizon.
		require.Len(t, c.Omen.Caught, 1)
		require.Equal(t, 6*time.Hour, c.Omen.Caught[0].Lead)
		require.Zero(t, c.Omen.FalsePages, "the page held until the fill")
	})
}

func TestBacktestPredictiveRejectsABadRange(t *testing.T) {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	_, err := tuner.BacktestPredictive(context.Background(), diskHistory{}, nil, tuner.PredictiveBacktestConfig{Start: start})
	require.ErrorContains(t, err, "start and end are required")
	_, err = tuner.BacktestPredictive(context.Background(), diskHistory{}, nil, tuner.PredictiveBacktestConfig{Start: start, End: start.Add(-time.Hour)})
	require.ErrorContains(t, err, "before start")
}

func TestPredictiveTuneExtraListsTheEvidence(t *testing.T) {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	path, err := writeDiskRule(t.TempDir())
	require.NoError(t, err)
	rules, err := tuner.Load(path, tuner.LoadOptions{})
	require.NoError(t, err)
	q := diskHistory{s: fillingDiskSeries(start), rule: exampleDiskRule}
	extra := tuner.PredictiveTuneExtra(tuner.PredictiveBacktestConfig{})
	tc := tuner.TuneConfig{ReplayConfig: tuner.ReplayConfig{Start: start.Add(14 * 24 * time.Hour), End: start.Add(26*24*time.Hour - 5*time.Minute)}}
	ps, sk, err := extra(context.Background(), q, rules, tc)
	require.NoError(t, err)
	require.Empty(t, ps, "replacing a rule is no numbers-and-durations proposal")
	require.Len(t, sk, 1)
	require.Equal(t, "DiskFillingUp", sk[0].Alert)
	require.Equal(t, "predict_linear rule; omen's prediction does better: OmenExhaustionCritical of `omen rules predictive --interval 1h` "+
		"caught 1/1 exhaustions 1d ahead (median), 0.6 pages/week, 0.0 false/week where this rule caught 1/1 exhaustions 8h5m ahead (median), 0.6 pages/week, 0.0 false/week (horizon 1d)", sk[0].Reason)
}
