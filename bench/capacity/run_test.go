package capacity

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	omencap "github.com/omenhq/omen/capacity"
	"github.com/omenhq/omen/fixtures"
)

func smallOptions() Options {
	at := fixtures.SuiteAt()
	var asofs []time.Time
	for k := -8; k <= 8; k++ {
		asofs = append(asofs, at.Add(time.Duration(k)*6*time.Hour))
	}
	return Options{Seed: 1, N: 32, AsOfs: asofs, TrapStep: 3 * time.Hour, Workers: 2}
}

func TestRunScoresOmenAndTheRules(t *testing.T) {
	rep, err := Run(context.Background(), smallOptions())
	require.NoError(t, err)
	require.Equal(t, 32, rep.Scenarios)
	require.Len(t, rep.Rules, len(Rules()))
	require.Greater(t, rep.Pairs, 400)
	require.Greater(t, rep.Omen.TP, 0)
	require.GreaterOrEqual(t, rep.Omen.F1, 0.9)
	for _, r := range rep.Rules {
		require.Less(t, r.F1, rep.Omen.F1, r.Name)
		require.Greater(t, r.FalseAlarms, rep.Omen.FalseAlarms, r.Name)
	}
	require.Greater(t, rep.Omen.ETAPairs, 100)
	require.Less(t, rep.Omen.MedianRelErr, 0.2)
	require.Greater(t, rep.Omen.Coverage, 0.6)
	require.NotEmpty(t, rep.Templates)
	md := rep.Markdown()
	for _, s := range []string{"| predictor |", "| omen |", "predict_linear[6h] for 1h", "| template |", "coverage"} {
		require.True(t, strings.Contains(md, s), s)
	}
}

func TestRunIsDeterministic(t *testing.T) {
	o := smallOptions()
	o.N = 8
	a, err := Run(context.Background(), o)
	require.NoError(t, err)
	o.Workers = 1
	b, err := Run(context.Background(), o)
	require.NoError(t, err)
	a.Elapsed, b.Elapsed, a.PerPrediction, b.PerPrediction = 0, 0, 0, 0
	require.Equal(t, a, b)
}

func TestRunStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, smallOptions())
	require.ErrorIs(t, err, context.Canceled)
}

func TestMeaningfulTruth(t *testing.T) {
	scs := fixtures.CapacitySuite(1, 3)
	disk, leak := scs[0], scs[2]
	require.True(t, meaningful(disk, disk.FullAt.Add(-time.Minute)))
	require.False(t, meaningful(disk, disk.FullAt.Add(time.Minute)))
	require.True(t, meaningful(leak, leak.FullAt.Add(time.Hour)))
}

// TestPatternsHoldBetween10And14DaysOfTheSameData predicts every scenario
// of the suite (seed 1) as of its end and 12 hours before, from the last
// 10 days and from the last 14: issue 16 asks that the pattern, a label
// written back to the TSDB, not flip with the window. Most do not; the
// few that do sit at a test's boundary (a log rotation seen as a step in
// 10 days and as a sawtooth in 14, a GC sawtooth cut into runs as a leak).
// The bound holds the measured rate (5 of 320 on 2026-12-03).
func TestPatternsHoldBetween10And14DaysOfTheSameData(t *testing.T) {
	if testing.Short() {
		t.Skip("predicts 640 targets")
	}
	var flips []string
	total := 0
	for _, sc := range fixtures.CapacitySuite(1, 160) {
		tg := Target(sc)
		for _, back := range []time.Duration{0, 12 * time.Hour} {
			at := sc.At.Add(-back)
			a, err := omencap.Predict(tg, at, omencap.Config{Window: 10 * 24 * time.Hour})
			require.NoError(t, err, sc.Name)
			b, err := omencap.Predict(tg, at, omencap.Config{Window: 14 * 24 * time.Hour})
			require.NoError(t, err, sc.Name)
			total++
			if a.Pattern != b.Pattern {
				flips = append(flips, fmt.Sprintf("%s as of %s: %s over 10 days, %s over 14", sc.Name, at.Format(time.RFC3339), a.Pattern, b.Pattern))
			}
		}
	}
	t.Logf("%d of %d predictions change pattern between 10 and 14 days: %s", len(flips), total, strings.Join(flips, "; "))
	require.LessOrEqual(t, len(flips), total/50, "at most 2%%: %s", strings.Join(flips, "; "))
}
