package tuner

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLinearRegression(t *testing.T) {
	cases := []struct {
		name             string
		ts               []int64
		vs               []float64
		at               int64
		slope, intercept float64
	}{
		{"a line through two points", []int64{0, 10000}, []float64{1, 3}, 10000, 0.2, 3},
		{"the intercept is at the evaluation time", []int64{0, 10000, 20000}, []float64{0, 10, 20}, 50000, 1, 50},
		{"a constant series has slope 0", []int64{0, 1000, 2000}, []float64{7, 7, 7}, 5000, 0, 7},
		{"an infinite constant series is NaN", []int64{0, 1000}, []float64{math.Inf(1), math.Inf(1)}, 5000, math.NaN(), math.NaN()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, i := linearRegression(c.ts, c.vs, c.at)
			if math.IsNaN(c.slope) {
				require.True(t, math.IsNaN(s) && math.IsNaN(i))
				return
			}
			require.InDelta(t, c.slope, s, 1e-12)
			require.InDelta(t, c.intercept, i, 1e-9)
		})
	}
}

func TestPredictLinearRange(t *testing.T) {
	// Samples every 5 minutes; at 60 minutes a 30-minute range holds the
	// samples at 30..60 in Prometheus 2 and 35..60 in Prometheus 3.
	var ts []int64
	var vs []float64
	for i := 0; i <= 12; i++ {
		ts = append(ts, int64(i)*300000)
		vs = append(vs, float64(i*i))
	}
	at := int64(3600000)
	v2, ok := PredictLinear(ts, vs, at, 30*time.Minute, 0, false)
	require.True(t, ok)
	s, i := linearRegression(ts[6:], vs[6:], at)
	require.Equal(t, s*0+i, v2)
	v3, ok := PredictLinear(ts, vs, at, 30*time.Minute, 0, true)
	require.True(t, ok)
	_, i3 := linearRegression(ts[7:], vs[7:], at)
	require.Equal(t, i3, v3)
	_, ok = PredictLinear(ts, vs, at, 4*time.Minute, time.Hour, false)
	require.False(t, ok, "one sample in range: no result")
}
