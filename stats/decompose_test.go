package stats_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/stats"
)

func TestClassicalSeasonalRecoversKnownIndices(t *testing.T) {
	idx := []float64{0.8, 1.0, 1.2, 1.0}
	var mul, add []float64
	for i := range 40 {
		level := 100 + float64(i)
		mul = append(mul, level*idx[i%4])
		add = append(add, level+10*(idx[i%4]-1))
	}
	require.InDeltaSlice(t, idx, stats.ClassicalSeasonal(nil, mul, 4, true), 5e-3, "multiplicative")
	require.InDeltaSlice(t, []float64{-2, 0, 2, 0}, stats.ClassicalSeasonal(nil, add, 4, false), 1e-9, "additive, on a linear trend exactly")
	odd := []float64{1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3}
	got := stats.ClassicalSeasonal(nil, odd, 3, false)
	require.InDeltaSlice(t, []float64{-1, 0, 1}, got, 1e-12, "odd periods use a plain moving average")
	require.True(t, math.IsNaN(stats.ClassicalSeasonal(nil, []float64{1, 2, 3}, 4, false)[0]), "no trend value: NaN")
}

func BenchmarkClassicalSeasonal(b *testing.B) {
	y := make([]float64, 4032)
	for i := range y {
		y[i] = 100 + 10*math.Sin(2*math.Pi*float64(i)/288)
	}
	dst := make([]float64, 288)
	b.ReportAllocs()
	for b.Loop() {
		stats.ClassicalSeasonal(dst, y, 288, true)
	}
}
