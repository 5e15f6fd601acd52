package capacity

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
