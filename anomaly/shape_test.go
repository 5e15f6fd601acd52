package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// naiveShape is the distance from the last w values of xs to the nearest
// earlier stretch of w values ending at least w values before the last,
// among the last history+2w values; ok is false without one or when a
// compared stretch holds a NaN.
func naiveShape(xs []float64, w, history int) (float64, bool) {
	if len(xs) > history+2*w {
		xs = xs[len(xs)-history-2*w:]
	}
	n := len(xs)
	if n < 3*w {
		return 0, false
	}
	cur := xs[n-w:]
	for _, x := range cur {
		if math.IsNaN(x) {
			return 0, false
		}
	}
	best := math.Inf(1)
	for s := 0; s+w <= n-w; s++ {
		d := 0.0
		for i := 0; i < w; i++ {
			e := xs[s+i] - cur[i]
			d += e * e
		}
		if d < best {
			best = d
		}
	}
	return math.Sqrt(best), !math.IsInf(best, 1)
}

func TestShapeMemoryMatchesANaiveSearch(t *testing.T) {
	for _, tc := range []struct {
		name       string
		w, history int
		gaps       bool
	}{
		{"a short memory that wraps many times", 4, 20, false},
		{"the default shape of eight samples", 8, 256, false},
		{"missing samples are never matched", 8, 64, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 4))
			m := newShapeMemory(tc.w, tc.history)
			var xs []float64
			for i := 0; i < 10*tc.history; i++ {
				v := math.Sin(float64(i)/7) + 0.3*r.NormFloat64()
				if tc.gaps && r.IntN(40) == 0 {
					v = math.NaN()
				}
				xs = append(xs, v)
				got, ok := m.push(v)
				want, wok := naiveShape(xs, tc.w, tc.history)
				require.Equal(t, wok, ok, "sample %d", i)
				if ok {
					require.InDelta(t, want, got, 1e-9, "sample %d", i)
				}
			}
		})
	}
}

func BenchmarkShapeMemory(b *testing.B) {
	for _, bc := range []struct {
		name string
		next func(i int, r *rand.Rand) float64
	}{
		{"white noise", func(_ int, r *rand.Rand) float64 { return r.NormFloat64() }},
		{"daily cycle", func(i int, r *rand.Rand) float64 { return 10*math.Sin(2*math.Pi*float64(i)/288) + r.NormFloat64() }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			m := newShapeMemory(8, 4096)
			i := 0
			for ; i < 5000; i++ {
				m.push(bc.next(i, r))
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			for k := 0; k < b.N; k++ {
				m.push(bc.next(i+k, r))
			}
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

func TestShapeMemoryReset(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	m := newShapeMemory(8, 64)
	for i := 0; i < 500; i++ {
		m.push(1000 + r.NormFloat64())
	}
	m.reset()
	var xs []float64
	for i := 0; i < 300; i++ {
		v := math.Sin(float64(i)/5) + 0.2*r.NormFloat64()
		xs = append(xs, v)
		got, ok := m.push(v)
		want, wantOK := naiveShape(xs, 8, 64)
		require.Equal(t, wantOK, ok, "value %d", i)
		if ok {
			require.InDelta(t, want, got, 1e-9, "value %d: the values before the reset must not be matched", i)
		}
	}
}
