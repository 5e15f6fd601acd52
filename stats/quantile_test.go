package stats_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/stats"
)

func TestSelectAgreesWithSorting(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 15, 16, 17, 100, 1001} {
		v := make([]float64, n)
		for i := range v {
			v[i] = math.Round(r.NormFloat64() * 5) // ties on purpose
		}
		sorted := slices.Sorted(slices.Values(v))
		for _, k := range []int{0, n / 3, n / 2, n - 1} {
			w := slices.Clone(v)
			require.Equal(t, sorted[k], stats.Select(w, k), "n=%d k=%d", n, k)
			for _, x := range w[:k] {
				require.LessOrEqual(t, x, w[k])
			}
			for _, x := range w[k+1:] {
				require.GreaterOrEqual(t, x, w[k])
			}
		}
	}
}

func TestQuantileAndMedian(t *testing.T) {
	tests := []struct {
		name      string
		v         []float64
		q         float64
		want      float64
		wantMedia float64
	}{
		{"an odd length has a middle value", []float64{3, 1, 2}, 0.5, 2, 2},
		{"an even length averages the middle two", []float64{4, 1, 3, 2}, 0.5, 2.5, 2.5},
		{"type 7 interpolates between order statistics", []float64{1, 2, 3, 4, 5}, 0.9, 4.6, 3},
		{"q = 1 is the maximum", []float64{7, 9, 8}, 1, 9, 8},
		{"q = 0 is the minimum", []float64{7, 9, 8}, 0, 7, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.InDelta(t, tt.want, stats.Quantile(slices.Clone(tt.v), tt.q), 1e-12)
			require.Equal(t, tt.wantMedia, stats.Median(slices.Clone(tt.v)))
		})
	}
	require.True(t, math.IsNaN(stats.Median(nil)))
	require.True(t, math.IsNaN(stats.Quantile(nil, 0.5)))
}

func BenchmarkMedian(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	v := make([]float64, 4032)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	w := make([]float64, len(v))
	b.ReportAllocs()
	for b.Loop() {
		copy(w, v)
		stats.Median(w)
	}
}

func TestQuantileSortedAgreesWithQuantile(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 1; n < 40; n++ {
		v := make([]float64, n)
		for i := range v {
			v[i] = math.Round(r.NormFloat64() * 4) // ties too
		}
		s := slices.Clone(v)
		slices.Sort(s)
		for _, q := range []float64{0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999, 1} {
			require.Equal(t, stats.Quantile(slices.Clone(v), q), stats.QuantileSorted(s, q), "n=%d q=%g", n, q)
		}
	}
	require.True(t, math.IsNaN(stats.QuantileSorted(nil, 0.5)), "empty")
	require.Equal(t, 1.0, stats.QuantileSorted([]float64{1, 2}, -1), "below 0 is the minimum")
	require.Equal(t, 2.0, stats.QuantileSorted([]float64{1, 2}, 2), "above 1 is the maximum")
}

func BenchmarkQuantileSorted(b *testing.B) {
	s := make([]float64, 1024)
	for i := range s {
		s[i] = float64(i)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = stats.QuantileSorted(s, 0.9)
	}
}
