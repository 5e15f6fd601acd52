package anomaly

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTail(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tl := NewTail(TailConfig{History: 2000})
	var xs []float64
	for range 2000 {
		x := math.Abs(r.NormFloat64())
		xs = append(xs, x)
		tl.Add(x)
	}
	slices.Sort(xs)
	t.Run("inside the range it is the empirical frequency", func(t *testing.T) {
		for _, q := range []float64{0.5, 0.9, 0.99} {
			x := xs[int(q*2000)]
			require.InDelta(t, 1-q, tl.Upper(x), 0.002, "q=%g", q)
			require.InDelta(t, q, tl.Lower(x), 0.002, "q=%g", q)
		}
	})
	t.Run("it varies continuously and reaches 1/(n+1) at the largest value", func(t *testing.T) {
		require.InDelta(t, 1.0/2001, tl.Upper(xs[1999]), 1e-12)
		require.Less(t, tl.Upper(xs[1999]+1e-9), tl.Upper(xs[1998]+1e-9))
		require.InDelta(t, tl.Upper(xs[1999]), tl.Upper(math.Nextafter(xs[1999], 10)), 1e-9)
	})
	t.Run("beyond the largest value an exponential tail extrapolates", func(t *testing.T) {
		max := xs[1999]
		p1, p2 := tl.Upper(max+0.5), tl.Upper(max+2)
		require.Less(t, p2, p1)
		require.Less(t, p1, 1.0/2001)
		// A half-normal's true tail beyond 6 is about 2e-9; an exponential
		// fitted to its top 5% errs on the large side.
		require.Greater(t, tl.Upper(6), 2e-9)
		require.Less(t, tl.Upper(8), 1e-6)
		require.Equal(t, 0.0, tl.Upper(math.Inf(1)))
		require.Less(t, tl.Lower(-1), 1e-6, "|z| below 0 is far below the smallest")
	})
	t.Run("it answers 1 until it holds Min values, and ignores missing ones", func(t *testing.T) {
		n := NewTail(TailConfig{Min: 50})
		for range 49 {
			n.Add(1)
		}
		n.Add(math.NaN())
		n.Add(math.Inf(1))
		require.Equal(t, 49, n.Len())
		require.Equal(t, 1.0, n.Upper(100))
		n.Add(2)
		require.True(t, n.Ready())
		require.Less(t, n.Upper(100), 1e-6)
		require.Equal(t, 1.0, n.Upper(math.NaN()))
	})
	t.Run("on a constant history any other value is impossible", func(t *testing.T) {
		c := NewTail(TailConfig{})
		for range 200 {
			c.Add(5)
		}
		require.Equal(t, 0.0, c.Upper(5.001))
		require.Equal(t, 0.0, c.Lower(4.999))
		require.InDelta(t, 1, c.Upper(5), 0.01)
	})
	t.Run("a tail of equal values (quantised data) does not make the next step impossible", func(t *testing.T) {
		q := NewTail(TailConfig{})
		for i := range 1000 {
			q.Add(float64(i % 3)) // 0, 1, 2
		}
		p := q.Upper(3)
		require.Greater(t, p, 0.0, "one step beyond three levels seen a thousand times")
		require.Less(t, p, 1.0/1001)
		require.Less(t, q.Upper(4), p)
	})
	t.Run("the window forgets", func(t *testing.T) {
		w := NewTail(TailConfig{History: 100, Min: 10})
		for range 100 {
			w.Add(1000)
		}
		for range 100 {
			w.Add(float64(r.IntN(10)))
		}
		require.Less(t, w.Upper(500), 1e-9)
	})
}

func TestTailScaleIsRobustToPastAnomalies(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	clean, dirty := NewTail(TailConfig{}), NewTail(TailConfig{})
	for i := range 4000 {
		x := -2 * math.Log(r.Float64()) // exponential, scale 2
		clean.Add(x)
		if i%1000 == 0 {
			x = 500 // four past anomalies
		}
		dirty.Add(x)
	}
	clean.Upper(1e9)
	dirty.Upper(1e9)
	m := 0.05 * 4000
	require.InDelta(t, 2*(1+2/math.Sqrt(m)), clean.up, 0.35, "an upper bound of the exponential's scale, from the median excess")
	require.InDelta(t, clean.up, dirty.up, 0.05)
}

func BenchmarkTail(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	tl := NewTail(TailConfig{})
	xs := make([]float64, 8192)
	for i := range xs {
		xs[i] = math.Abs(r.NormFloat64())
		tl.Add(xs[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x := xs[i&8191]
		tl.Upper(x)
		tl.Add(x)
	}
}

func TestBeyondIsThePosteriorPredictiveOfAnExponential(t *testing.T) {
	t.Run("it is the Lomax tail over the chance of beating every value", func(t *testing.T) {
		require.InDelta(t, math.Pow(1+3.0/(4*2), -4)/101, beyond(3, 2, 4, 100), 1e-15)
	})
	t.Run("with much information it is the exponential", func(t *testing.T) {
		require.InEpsilon(t, math.Exp(-3.0/2)/101, beyond(3, 2, 1e7, 100), 1e-6)
	})
	t.Run("a young tail is heavier than the exponential with the same scale", func(t *testing.T) {
		for _, d := range []float64{0.5, 2, 10} {
			require.Greater(t, beyond(d, 1, 5, 100), beyond(d, 1, 500, 100), "d=%g", d)
			require.Greater(t, beyond(d, 1, 500, 100), math.Exp(-d)/101, "d=%g", d)
		}
	})
	t.Run("a scale of zero or an infinite excess is impossible", func(t *testing.T) {
		require.Equal(t, 0.0, beyond(1, 0, 5, 100))
		require.Equal(t, 0.0, beyond(math.Inf(1), 1, 5, 100))
	})
}
