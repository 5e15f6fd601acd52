package capacity

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPowerCurveSSE(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6}
	lg := make([]float64, len(x))
	g := make([]float64, len(x))
	for k, v := range x {
		lg[k] = math.Log(v)
	}
	cases := []struct {
		name   string
		m      []float64
		p      float64
		sse, b float64
		ok     bool
	}{
		{"an exact power curve has no residual", []float64{3 + 2*1, 3 + 2*8, 3 + 2*27, 3 + 2*64, 3 + 2*125, 3 + 2*216}, 3, 0, 2, true},
		{"NaN values are left out", []float64{math.NaN(), 3 + 2*8, 3 + 2*27, math.NaN(), 3 + 2*125, 3 + 2*216}, 3, 0, 2, true},
		{"fewer than three values do not fit", []float64{math.NaN(), 1, 2, math.NaN(), math.NaN(), math.NaN()}, 2, 0, 0, false},
		{"a line has the residual of a line fitted to x²", []float64{1, 2, 3, 4, 5, 6}, 1, 0, 1, true},
		{"a NaN exponent does not fit", []float64{1, 2, 3, 4, 5, 6}, math.NaN(), 0, 0, false},
		{"an infinite exponent does not fit", []float64{1, 2, 3, 4, 5, 6}, math.Inf(1), 0, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sse, b, ok := powerCurveSSE(lg, c.m, g, c.p)
			require.Equal(t, c.ok, ok)
			require.InDelta(t, c.sse, sse, 1e-9)
			require.InDelta(t, c.b, b, 1e-9)
		})
	}
}

func TestPowerCurveSearchRecoversTheCurve(t *testing.T) {
	// Hourly values over 10 days of 5 + 0.02·(x − x₀)^p, the origin a₀
	// days before the first.
	cases := []struct {
		name  string
		p, a0 float64
	}{
		{"exponent 2.5, origin a day before", 2.5, 1},
		{"exponent 3, origin 3 days before", 3, 3},
		{"exponent 1.6, origin half a day before", 1.6, 0.5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := 240
			x, m := make([]float64, n), make([]float64, n)
			for k := range n {
				x[k] = -10 + float64(k)/24
				m[k] = 5 + 0.02*math.Pow(x[k]-(x[0]-c.a0), c.p)
			}
			pc := powerCurveSearch(x[0], x, m, make([]float64, n), make([]float64, n))
			require.True(t, pc.ok)
			require.InDelta(t, c.p, pc.p, 0.02*c.p)
			require.InDelta(t, c.a0, pc.a0, 0.05*c.a0)
			require.Greater(t, pc.b, 0.0)
		})
	}
	t.Run("no growth gives no curve", func(t *testing.T) {
		x, m := []float64{0, 1, 2, 3}, []float64{4, 3, 2, 1}
		require.False(t, powerCurveSearch(0, x, m, make([]float64, 4), make([]float64, 4)).ok)
		require.False(t, powerCurveSearch(math.NaN(), x, m, make([]float64, 4), make([]float64, 4)).ok)
	})
}

func TestBicPrefers(t *testing.T) {
	cases := []struct {
		name                    string
		sse0, sse1, nEff, scale float64
		want                    bool
	}{
		{"a large gain on many values", 100, 50, 100, 1000, true},
		{"a gain below ln(n)/n", 100, 99, 100, 1000, false},
		{"no gain", 100, 100, 100, 1000, false},
		{"a worse fit", 100, 120, 100, 1000, false},
		{"rounding of an exact fit", 1e-20, 1e-22, 1000, 1000, false},
		{"an exact fit of a curve the other misses", 10, 0, 1000, 1000, true},
		{"NaN", math.NaN(), 1, 100, 1000, false},
		{"one effective value", 100, 1, 1, 1000, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, bicPrefers(c.sse0, c.sse1, c.nEff, c.scale))
		})
	}
}

func TestAnalyzeFitsAPowerCurve(t *testing.T) {
	n := 14 * 288
	y := make([]float64, n)
	r := rand.New(rand.NewPCG(11, 12))
	for _, c := range []struct {
		name  string
		noise float64
		p     float64
	}{
		{"noiseless, exponent 3", 0, 3},
		{"AR(1) noise, exponent 2.6", 0.3, 2.6},
	} {
		t.Run(c.name, func(t *testing.T) {
			ar1Onto(y, r, 0.9, c.noise*math.Sqrt(1-0.81), func(d float64) float64 { return 100 + 0.05*math.Pow(d+1, c.p) })
			w := newTestWork(y)
			an := w.analyze(false, 1000, 7)
			require.Equal(t, PatternAccelerating, an.pattern)
			require.Equal(t, shPow, an.fit.sh.kind)
			require.InDelta(t, c.p, an.fit.sh.p, 0.05*c.p+0.2*c.noise)
			want := 0.05 * c.p * math.Pow(float64(n-1)/288+1, c.p-1)
			require.InDelta(t, want, an.slope, 0.03*want)
		})
	}
}

func TestAnalyzeKeepsTheSimplerCurve(t *testing.T) {
	n := 14 * 288
	y := make([]float64, n)
	r := rand.New(rand.NewPCG(13, 14))
	cases := []struct {
		name string
		f    func(d float64) float64
		kind shapeKind
	}{
		{"a line under noise", func(d float64) float64 { return 100 + 2*d }, shLinear},
		{"a quadratic under noise", func(d float64) float64 { return 100 + d + 0.3*d*d }, shQuad},
		{"an exponential under noise", func(d float64) float64 { return 100 + 10*math.Exp(0.25*d) }, shExp},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ar1Onto(y, r, 0.9, 0.5*math.Sqrt(1-0.81), c.f)
			w := newTestWork(y)
			an := w.analyze(false, 1000, 7)
			require.Equal(t, c.kind, an.fit.sh.kind)
		})
	}
}

func BenchmarkPowerCurveSSE(b *testing.B) {
	n := 64
	lg, m, g := make([]float64, n), make([]float64, n), make([]float64, n)
	for k := range n {
		x := 1 + float64(k)/24
		lg[k] = math.Log(x)
		m[k] = math.Pow(x, 2.5)
	}
	b.ReportAllocs()
	for b.Loop() {
		powerCurveSSE(lg, m, g, 2.5)
	}
}

func BenchmarkPowerCurveSearch(b *testing.B) {
	n := 64
	x, m, lg, g := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	r := rand.New(rand.NewPCG(1, 1))
	for k := range n {
		x[k] = -14 + 14*float64(k)/float64(n-1)
		m[k] = math.Pow(x[k]+15, 2.5) + r.NormFloat64()
	}
	b.ReportAllocs()
	for b.Loop() {
		powerCurveSearch(x[0], x, m, lg, g)
	}
}

func TestAnalyzeBandReachesTheQuadratic(t *testing.T) {
	// An exponential under AR(1) noise: the P50 is the exponential's, the
	// late side of the band at least the quadratic's path.
	n := 14 * 288
	y := make([]float64, n)
	r := rand.New(rand.NewPCG(15, 16))
	ar1Onto(y, r, 0.9, 0.5*math.Sqrt(1-0.81), func(d float64) float64 { return 100 + 10*math.Exp(0.25*d) })
	w := newTestWork(y)
	an := w.analyze(false, 1000, 7)
	require.Equal(t, shExp, an.fit.sh.kind)
	require.True(t, an.quad.ok)
	steps := 7 * 288
	w.pstep, w.pstepD = w.step, w.stepD
	w.paths(&an, steps)
	q := &an.quad
	for _, h := range []int{288, 3 * 288, steps} {
		x := float64(h) * w.stepD
		require.LessOrEqual(t, w.lo[h], w.mean[h]+(q.value(x, 0)-q.value(0, 0))-(an.fit.value(x, 0)-an.fit.value(0, 0))+1e-9, "h=%d", h)
		require.Less(t, w.lo[h], w.mean[h])
	}
}

func TestAnalyzeTellsAPowerCurveFromAChangeOfRate(t *testing.T) {
	// A power 1.8 of age under strongly autocorrelated noise that the
	// change-of-rate test alone cuts at a break (this noise draw; 8 of 39
	// draws are cut so, 7 of them still — the broken line fits them
	// better) is a smooth bend: the power curve fits it better than the
	// broken line. A rate that trebles at one instant stays a change of
	// rate (TestAnalyzeFindsAChangeOfRate).
	n := 10 * 288
	y := make([]float64, n)
	r := rand.New(rand.NewPCG(39, 18))
	ar1Onto(y, r, 0.98, 4*math.Sqrt(1-0.98*0.98), func(d float64) float64 { return 100 + 2*math.Pow(d+1, 1.8) })
	w := newTestWork(y)
	an := w.analyze(false, 1000, 7)
	require.Equal(t, -1, an.kinkAt)
	require.Equal(t, PatternAccelerating, an.pattern)
}

func TestCalibrateFloorIsAtLeastTheQuadratics(t *testing.T) {
	// An exponential under AR(1) noise: the band's distances per horizon
	// group are at least those of the quadratic's own backtests.
	n := 10 * 288
	y := make([]float64, n)
	r := rand.New(rand.NewPCG(19, 20))
	ar1Onto(y, r, 0.95, 1.0*math.Sqrt(1-0.95*0.95), func(d float64) float64 { return 100 + 10*math.Exp(0.25*d) })
	w := newTestWork(y)
	an := w.analyze(false, 1000, 7)
	require.True(t, an.quad.ok)
	require.True(t, an.cal.ok)
	q := an
	q.fit = an.quad
	q.fit.lrv = an.fit.lrv
	w.calibrate(&q)
	require.True(t, q.cal.ok)
	for b := range calBins {
		require.GreaterOrEqual(t, an.cal.lo[b], q.cal.lo[b], "group %d", b)
		require.GreaterOrEqual(t, an.cal.hi[b], q.cal.hi[b], "group %d", b)
	}
	require.GreaterOrEqual(t, an.cal.growth, q.cal.growth)
}

// ar1Onto fills y with f of each sample's age in days (5-minute samples)
// plus AR(1) noise e[i] = phi·e[i−1] + s·N(0, 1) drawn from r, e starting
// at 0.
func ar1Onto(y []float64, r *rand.Rand, phi, s float64, f func(day float64) float64) {
	e := 0.0
	for i := range y {
		e = phi*e + s*r.NormFloat64()
		y[i] = f(float64(i)/288) + e
	}
}
