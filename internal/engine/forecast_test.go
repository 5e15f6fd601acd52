package engine_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/engine"
	"github.com/omenhq/omen/series"
)

func TestForecastFitsEverySeriesOnItsOwnGrid(t *testing.T) {
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	mk := func(name string, step int64, n int) series.Series {
		s := series.Series{Labels: series.New("__name__", name)}
		for i := range n {
			s.Timestamps = append(s.Timestamps, t0+int64(i)*step)
			s.Values = append(s.Values, 10+math.Sin(2*math.Pi*float64(i)/24))
		}
		return s
	}
	ss := []series.Series{mk("hourly", 3600_000, 24*14), mk("minutely", 60_000, 600)}
	fcs, err := engine.Forecast(context.Background(), ss, 0, engine.ForecastOptions{Horizon: 6 * time.Hour})
	require.NoError(t, err)
	require.Len(t, fcs, 2)
	require.Equal(t, time.Hour, fcs[0].Step)
	require.Len(t, fcs[0].Mean, 6, "6 hourly steps")
	require.Equal(t, ss[0].Last()+3600_000, fcs[0].Timestamp(0))
	require.Equal(t, time.Minute, fcs[1].Step)
	require.Len(t, fcs[1].Mean, 360)
	require.Contains(t, fcs[0].Model, "auto")

	t.Run("a horizon shorter than the step is an error naming the series", func(t *testing.T) {
		_, err := engine.Forecast(context.Background(), ss[:1], 0, engine.ForecastOptions{Horizon: time.Minute})
		require.ErrorContains(t, err, "hourly")
		require.ErrorContains(t, err, "shorter than the step")
	})
	t.Run("a cancelled run says how far it got", func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(context.Background())
		cause := errors.New("stop")
		cancel(cause)
		_, err := engine.Forecast(ctx, ss, 0, engine.ForecastOptions{})
		require.ErrorIs(t, err, cause)
		require.ErrorContains(t, err, "forecast stopped after 0 of 2 series")
	})
}
