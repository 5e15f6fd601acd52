package stats_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/stats"
)

// directACF is the definition summed term by term: the oracle.
func directACF(x []float64, maxLag int) []float64 {
	n := len(x)
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(n)
	den := 0.0
	for _, v := range x {
		den += (v - mean) * (v - mean)
	}
	r := make([]float64, maxLag+1)
	for k := range r {
		for t := 0; t+k < n; t++ {
			r[k] += (x[t] - mean) * (x[t+k] - mean)
		}
		r[k] /= den
	}
	return r
}

func TestACFMatchesTheDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name      string
		n, maxLag int
	}{
		{"few lags are summed directly", 100, 10},
		{"many lags go through the FFT", 960, 168},
		{"a weekly lag at five minutes", 4032, 2016},
		{"a length that is no power of two", 1001, 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := make([]float64, tc.n)
			for i := range x {
				x[i] = 100 + 10*math.Sin(2*math.Pi*float64(i)/24) + rng.NormFloat64()
			}
			got := stats.ACF(nil, x, tc.maxLag)
			require.InDeltaSlice(t, directACF(x, tc.maxLag), got, 1e-12)
			require.Equal(t, 1.0, got[0])
		})
	}
	t.Run("a constant series has no autocorrelation", func(t *testing.T) {
		for _, r := range stats.ACF(nil, []float64{3, 3, 3, 3}, 2) {
			require.True(t, math.IsNaN(r))
		}
	})
	t.Run("the destination is reused", func(t *testing.T) {
		dst := make([]float64, 0, 10)
		got := stats.ACF(dst, []float64{1, 2, 3, 4, 5}, 3)
		require.Len(t, got, 4)
		require.Equal(t, &dst[:1][0], &got[0])
	})
	t.Run("a lag beyond the data is a programmer error", func(t *testing.T) {
		require.Panics(t, func() { stats.ACF(nil, []float64{1, 2}, 2) })
	})
}

func TestSeasonalityTest(t *testing.T) {
	daily := make([]float64, 24*7)
	noise := make([]float64, 24*7)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range daily {
		daily[i] = 10 + math.Sin(2*math.Pi*float64(i)/24) + 0.1*rng.NormFloat64()
		noise[i] = rng.NormFloat64()
	}
	require.True(t, stats.SeasonalityTest(daily, 24), "a daily cycle is seasonal at 24")
	require.False(t, stats.SeasonalityTest(noise, 24), "white noise is not")
	require.False(t, stats.SeasonalityTest(daily[:71], 24), "fewer than 3 periods cannot tell")
	require.False(t, stats.SeasonalityTest(make([]float64, 100), 24), "a constant series is not seasonal")
	require.False(t, stats.SeasonalityTest(daily, 1))
}

func BenchmarkACF(b *testing.B) {
	x := make([]float64, 4032)
	for i := range x {
		x[i] = math.Sin(float64(i) / 45.8)
	}
	dst := make([]float64, 2017)
	b.ReportAllocs()
	for b.Loop() {
		stats.ACF(dst, x, 2016)
	}
}
