package forecast

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/series"
)

func ptr(v float64) *float64 { return &v }

func TestETAFindsTheFirstCrossingOfEachQuantilePath(t *testing.T) {
	// mean 1..10, band ±2 at 80%
	fc := &Forecast{Level: 0.8}
	for i := 1; i <= 10; i++ {
		v := float64(i)
		fc.Mean = append(fc.Mean, v)
		fc.Lower = append(fc.Lower, v-2)
		fc.Upper = append(fc.Upper, v+2)
	}
	tests := []struct {
		name          string
		limit         float64
		dir           series.Direction
		p10, p50, p90 *float64
	}{
		{"up: upper band first, mean, lower band last", 6.5, series.Up, ptr(4.5), ptr(6.5), ptr(8.5)},
		{"up: the lower band never gets there", 9.5, series.Up, ptr(7.5), ptr(9.5), nil},
		{"up: nothing crosses", 20, series.Up, nil, nil, nil},
		{"up: already above at step one, the lower band a step later", 0, series.Up, ptr(1), ptr(1), ptr(2)},
		{"down: lower band first", 3.5, series.Down, ptr(1), ptr(1), ptr(1)},
		{"down: a falling limit is never reached by a rising path", -5, series.Down, nil, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ETA(fc, tc.limit, tc.dir)
			require.Equal(t, tc.p10, c.P10)
			require.Equal(t, tc.p50, c.P50)
			require.Equal(t, tc.p90, c.P90)
			require.Equal(t, tc.limit, c.Limit)
		})
	}
}

func TestETAOnAFallingPathForFreeSpace(t *testing.T) {
	fc := &Forecast{Level: 0.8, Mean: []float64{50, 40, 30, 20, 10}, Lower: []float64{45, 30, 15, 0, -15}, Upper: []float64{55, 50, 45, 40, 35}}
	c := ETA(fc, 25, series.Down)
	require.Equal(t, ptr(2+(25.0-30)/(15-30)), c.P10) // lower band 30 → 15
	require.Equal(t, ptr(3.5), c.P50)
	require.Nil(t, c.P90)
	p10, p50, p90 := c.Durations(time.Hour)
	require.Equal(t, 2*time.Hour+20*time.Minute, *p10)
	require.Equal(t, 3*time.Hour+30*time.Minute, *p50)
	require.Nil(t, p90)
}

func TestETARescalesAnotherLevelToTheTenAndNinetyPercentPaths(t *testing.T) {
	fc := &Forecast{Level: 0.95, Mean: []float64{0, 0}, Lower: []float64{-1.959963984540054, -1.959963984540054}, Upper: []float64{1.959963984540054, 1.959963984540054}}
	c := ETA(fc, z80, series.Up)
	require.NotNil(t, c.P10)
	require.InDelta(t, 1, *c.P10, 1e-9)
	c = ETA(fc, z80+1e-6, series.Up)
	require.Nil(t, c.P10)
}

func TestETAOfNothingIsEmpty(t *testing.T) {
	c := ETA(nil, 1, series.Up)
	require.Nil(t, c.P50)
	c = ETA(&Forecast{Mean: []float64{1}}, 0, series.Direction(9))
	require.Nil(t, c.P50)
	require.Equal(t, "Direction(9)", series.Direction(9).String())
	require.Equal(t, "up", series.Up.String())
	require.Equal(t, "down", series.Down.String())
}
