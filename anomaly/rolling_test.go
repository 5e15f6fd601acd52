package anomaly

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/stats"
)

// naiveQuantile is the quantile of a window by selection on a copy
// (stats.Quantile), to compare the rolling window's sorted one with.
func naiveQuantile(x []float64, q float64) float64 {
	return stats.Quantile(slices.Clone(x), q)
}

func naiveMAD(x []float64) float64 {
	m := naiveQuantile(x, 0.5)
	d := make([]float64, len(x))
	for i, v := range x {
		d[i] = math.Abs(v - m)
	}
	return naiveQuantile(d, 0.5)
}

func TestRollingMatchesANaiveWindow(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		gen  func(r *rand.Rand) float64
	}{
		{"a window of one value", 1, func(r *rand.Rand) float64 { return r.NormFloat64() }},
		{"an even window of normal values", 10, func(r *rand.Rand) float64 { return r.NormFloat64() }},
		{"an odd window of heavy-tailed values", 33, func(r *rand.Rand) float64 { return math.Exp(3 * r.NormFloat64()) }},
		{"a window full of ties", 16, func(r *rand.Rand) float64 { return float64(r.IntN(3)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			w := NewRolling(tc.n)
			var all []float64
			for i := 0; i < 200; i++ {
				v := tc.gen(r)
				w.Push(v)
				all = append(all, v)
				win := all[max(0, len(all)-tc.n):]
				require.Equal(t, len(win), w.Len())
				for _, q := range []float64{0, 0.01, 0.25, 0.5, 0.9, 1} {
					require.InDelta(t, naiveQuantile(win, q), w.Quantile(q), 1e-12)
				}
				require.InDelta(t, naiveMAD(win), w.MAD(), 1e-12)
				require.Equal(t, slices.Min(win), w.Min())
				require.Equal(t, slices.Max(win), w.Max())
			}
		})
	}
}

func TestRollingIgnoresMissingValuesAndResets(t *testing.T) {
	w := NewRolling(3)
	require.True(t, math.IsNaN(w.Median()), "empty window has no median")
	require.True(t, math.IsNaN(w.MAD()))
	for _, v := range []float64{1, math.NaN(), 2, math.Inf(1), 3, 4} {
		w.Push(v)
	}
	require.Equal(t, 3, w.Len())
	require.Equal(t, 3.0, w.Median())
	w.Reset()
	require.Equal(t, 0, w.Len())
	require.Panics(t, func() { NewRolling(0) })
}

func BenchmarkRollingPush(b *testing.B) {
	for _, n := range []int{64, 576, 3000} {
		b.Run("window="+strconv.Itoa(n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			w := NewRolling(n)
			vals := make([]float64, 4096)
			for i := range vals {
				vals[i] = r.NormFloat64()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				w.Push(vals[i&4095])
			}
		})
	}
}

func BenchmarkRollingMAD(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	w := NewRolling(576)
	for i := 0; i < 576; i++ {
		w.Push(r.NormFloat64())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = w.MAD()
	}
}
