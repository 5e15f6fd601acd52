package engine_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/engine"
	"github.com/omenhq/omen/series"
)

// detectSeries is 14 days at 5 minutes of a daily cycle with noise and,
// when spikeAt ≥ 0, a jump of 12 noise deviations for an hour from sample
// spikeAt.
func detectSeries(name string, seed uint64, spikeAt int) series.Series {
	r := rand.New(rand.NewPCG(seed, 1))
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	s := series.Series{Labels: series.New("__name__", name)}
	for i := range 14 * 288 {
		v := 100 + 20*math.Sin(2*math.Pi*float64(i)/288) + r.NormFloat64()
		if spikeAt >= 0 && i >= spikeAt && i < spikeAt+12 {
			v += 60
		}
		s.Timestamps = append(s.Timestamps, t0+int64(i)*300_000)
		s.Values = append(s.Values, v)
	}
	return s
}

func TestDetect(t *testing.T) {
	spike := 12*288 + 100
	spiky, calm := detectSeries("spiky", 1, spike), detectSeries("calm", 2, -1)
	at := spiky.Timestamps[spike]

	t.Run("each series is scored on its own and the spike is the one interval found", func(t *testing.T) {
		var progress []int
		ds, err := engine.Detect(context.Background(), []series.Series{spiky, calm}, engine.DetectOptions{
			Progress: func(done, _ int) { progress = append(progress, done) }})
		require.NoError(t, err)
		require.Len(t, ds, 2)
		require.Equal(t, []int{1, 2}, progress)
		require.Equal(t, "spiky", ds[0].Labels.Name())
		require.Len(t, ds[0].Scores, spiky.Len())
		require.Len(t, ds[0].Flags, spiky.Len())
		require.NotEmpty(t, ds[0].Intervals, "the spike is found")
		found := false
		for _, in := range ds[0].Intervals {
			found = found || in.Start <= at+3_600_000 && in.End >= at
		}
		require.True(t, found, "an interval covers the spike: %+v", ds[0].Intervals)
		require.Empty(t, ds[1].Intervals, "the calm series has none")
	})

	t.Run("as one machine the series are scored together", func(t *testing.T) {
		ds, err := engine.Detect(context.Background(), []series.Series{spiky, calm}, engine.DetectOptions{Machine: true})
		require.NoError(t, err)
		require.Len(t, ds, 1)
		require.Equal(t, []string{"spiky", "calm"}, ds[0].Metrics)
		require.Nil(t, ds[0].Values)
		require.Len(t, ds[0].Scores, spiky.Len(), "on the union of the timestamps")
		peak := 0
		for i, x := range ds[0].Scores {
			if x > ds[0].Scores[peak] {
				peak = i
			}
		}
		require.GreaterOrEqual(t, peak, spike, "the machine's score peaks in the spike")
		require.Less(t, peak, spike+12, "the machine's score peaks in the spike")
	})

	t.Run("a cancelled context stops it and says how far it got", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := engine.Detect(ctx, []series.Series{spiky, calm}, engine.DetectOptions{})
		require.ErrorContains(t, err, "detection stopped after 0 of 2 series")
		_, err = engine.Detect(ctx, []series.Series{spiky}, engine.DetectOptions{Machine: true})
		require.ErrorContains(t, err, "detection stopped before it began")
	})
}
