package capacity

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQuantileMatchesSortedInterpolation(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 15, 16, 17, 100, 1001} {
		for _, q := range []float64{0, 0.01, 0.25, 0.5, 0.9, 0.975, 1} {
			v := make([]float64, n)
			for i := range v {
				v[i] = math.Floor(r.NormFloat64() * 10) // ties on purpose
			}
			s := slices.Clone(v)
			slices.Sort(s)
			h := q * float64(n-1)
			k := int(h)
			want := s[k]
			if k+1 < n {
				want += (h - float64(k)) * (s[k+1] - s[k])
			}
			require.InDelta(t, want, quantile(v, q), 1e-12, "n=%d q=%g", n, q)
		}
	}
	require.True(t, math.IsNaN(quantile(nil, 0.5)))
}

func TestEnvelopeSplitSeparatesSawtoothFromNoise(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cases := []struct {
		name     string
		a, sigma float64
	}{
		{"pure gaussian noise has no sawtooth", 0, 1},
		{"a pure uniform sawtooth has no noise", 10, 0},
		{"a sawtooth 6σ wide over noise", 6, 1},
		{"a sawtooth 20σ wide over noise", 20, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := make([]float64, 20000)
			for i := range v {
				v[i] = c.a*(r.Float64()-0.5) + c.sigma*r.NormFloat64()
			}
			r95 := quantile(v, 0.975) - quantile(v, 0.025)
			iqr := quantile(v, 0.75) - quantile(v, 0.25)
			a, sigma := envelopeSplit(r95, iqr)
			require.InDelta(t, c.a, a, 0.1*c.a+0.6)
			require.InDelta(t, c.sigma, sigma, 0.1*c.sigma+0.03*c.a+0.05)
		})
	}
	a, s := envelopeSplit(0, 0)
	require.Zero(t, a)
	require.Zero(t, s)
	a, s = envelopeSplit(math.NaN(), 1)
	require.Zero(t, a)
	require.Zero(t, s)
}

func TestUniformGaussCDF(t *testing.T) {
	for _, s := range []float64{0, 0.5, 3, 50} {
		require.InDelta(t, 0.5, uniformGaussCDF(0, s), 1e-12)
		for _, x := range []float64{0.3, 1, 4} {
			require.InDelta(t, 1, uniformGaussCDF(x, s)+uniformGaussCDF(-x, s), 1e-12)
		}
		require.InDelta(t, 0.975, uniformGaussCDF(uniformGaussQuantile(0.975, s), s), 1e-9)
	}
	require.InDelta(t, 0.8413447460685429, uniformGaussCDF(1, 0), 1e-12)
}

func TestSolveSym(t *testing.T) {
	a := [4][4]float64{{4, 1, 0.5}, {1, 3, 0.2}, {0.5, 0.2, 2}}
	b := [4]float64{1, 2, 3}
	var inv [4][4]float64
	a0, b0 := a, b
	require.True(t, solveSym(&a, &b, 3, &inv))
	for i := range 3 {
		var s float64
		for j := range 3 {
			s += a0[i][j] * b[j]
		}
		require.InDelta(t, b0[i], s, 1e-12)
		for j := range 3 {
			var p float64
			for k := range 3 {
				p += a0[i][k] * inv[k][j]
			}
			want := 0.0
			if i == j {
				want = 1
			}
			require.InDelta(t, want, p, 1e-12)
		}
	}
	sing := [4][4]float64{{1, 1}, {1, 1}}
	bs := [4]float64{1, 1}
	require.False(t, solveSym(&sing, &bs, 2, &inv))
}

// newTestWork puts y on a 5-minute grid ending at a fixed instant.
func newTestWork(y []float64) *work {
	w := &work{n: len(y), step: 300000, tEnd: 1792281600000}
	w.stepD = float64(w.step) / float64(dayMs)
	w.y = y
	return w
}

func TestAnalyzeFindsAStep(t *testing.T) {
	n := 14 * 288
	y := make([]float64, n)
	r := rand.New(rand.NewPCG(5, 6))
	for i := range y {
		y[i] = 100 + r.NormFloat64()
		if i >= n-3*288 {
			y[i] += 40
		}
	}
	w := newTestWork(y)
	an := w.analyze(false, 500, 7)
	require.Equal(t, PatternStep, an.pattern)
	require.InDelta(t, n-3*288, an.stepAt, 12)
	require.InDelta(t, 0, an.slope, 1)
}

func TestAnalyzeFindsAChangeOfRate(t *testing.T) {
	// 14 days growing 1/day, then 3/day for the last 4 days, with AR(1)
	// noise: the trend is refitted after the break, not bent into a
	// quadratic over the window.
	n := 14 * 288
	y := make([]float64, n)
	r := rand.New(rand.NewPCG(7, 8))
	brk := n - 4*288
	e := 0.0
	for i := range y {
		d := float64(i) / 288
		v := 100 + d
		if i >= brk {
			v += 2 * float64(i-brk) / 288
		}
		e = 0.9*e + 0.2*r.NormFloat64()
		y[i] = v + e
	}
	w := newTestWork(y)
	an := w.analyze(false, 500, 7)
	require.Equal(t, PatternSteadyGrowth, an.pattern)
	require.InDelta(t, brk, an.kinkAt, 6*12)
	require.InDelta(t, 3, an.slope, 0.2)
	require.Contains(t, an.model, "change of rate")

	// A straight line under the same noise has no change of rate.
	e = 0
	for i := range y {
		e = 0.9*e + 0.2*r.NormFloat64()
		y[i] = 100 + float64(i)/288 + e
	}
	w = newTestWork(y)
	an = w.analyze(false, 500, 7)
	require.Equal(t, -1, an.kinkAt)
	require.InDelta(t, 1, an.slope, 0.05)
}

func TestAnalyzeTellsCleanUpsFromResets(t *testing.T) {
	// Logs rotated every 2 days at 90 of a limit of 100 (no restart
	// counter): clean-ups, a sawtooth, not runs killed at the limit.
	n := 14 * 288
	y := make([]float64, n)
	r := rand.New(rand.NewPCG(9, 10))
	for i := range y {
		x := math.Mod(float64(i)/288, 2) / 2
		y[i] = 60 + 30*x + 0.2*r.NormFloat64()
	}
	w := newTestWork(y)
	an := w.analyze(false, 100-y[n-1], 7)
	require.True(t, an.frequent)
	require.Equal(t, 1, an.nseg)

	// The same runs reset at the limit (an OOM kill seen without its
	// counter) stay runs.
	for i := range y {
		x := math.Mod(float64(i)/288, 2) / 2
		y[i] = 60 + 40*x + 0.2*r.NormFloat64()
	}
	w = newTestWork(y)
	an = w.analyze(false, 100-y[n-1], 7)
	require.False(t, an.frequent)
	require.Greater(t, an.nseg, 1)
}

func TestAnalyzeFitsAnExponential(t *testing.T) {
	n := 14 * 288
	y := make([]float64, n)
	for i := range y {
		d := float64(i) / 288
		y[i] = 10 * math.Expm1(0.15*d) / 0.15
	}
	w := newTestWork(y)
	an := w.analyze(false, 1000, 7)
	require.Equal(t, PatternAccelerating, an.pattern)
	require.Equal(t, shExp, an.fit.sh.kind)
	require.InDelta(t, 0.15, an.fit.sh.p, 0.001)
	require.InDelta(t, 10*math.Exp(0.15*float64(n-1)/288), an.slope, 0.01*an.slope)
}

func BenchmarkQuantile(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	v := make([]float64, 4032)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	w := make([]float64, len(v))
	b.ReportAllocs()
	for b.Loop() {
		copy(w, v)
		quantile(w, 0.975)
	}
}

func BenchmarkFitLinear(b *testing.B) {
	n := 4032
	y := make([]float64, n)
	for i := range y {
		y[i] = float64(i) + math.Sin(float64(i))
	}
	w := newTestWork(y)
	w.xs, w.age, w.seg, w.z, w.res = make([]float64, n), make([]float64, n), make([]int32, n), make([]float64, n), make([]float64, n)
	for i := range n {
		w.xs[i] = -float64(n-1-i) * w.stepD
		w.z[i] = y[i]
	}
	b.ReportAllocs()
	for b.Loop() {
		w.fit(shape{kind: shLinear}, 0, 1, true)
	}
}

func TestLongRunRatio(t *testing.T) {
	ar := func(phi float64, n int, seed uint64) []float64 {
		r := rand.New(rand.NewPCG(seed, 7))
		v := make([]float64, n)
		e := 0.0
		for i := range v {
			e = phi*e + r.NormFloat64()
			v[i] = e
		}
		return v
	}
	// The mean over 20 series: one 14-day estimate has a sampling error
	// near 20% (56 blocks).
	mean := func(phi float64, nanEvery int) float64 {
		var s float64
		for seed := range uint64(20) {
			v := ar(phi, 14*288, seed)
			if nanEvery > 0 {
				for i := 0; i < len(v); i += nanEvery {
					v[i] = math.NaN()
				}
			}
			w := newTestWork(make([]float64, len(v)))
			w.res = v
			s += w.longRunRatio(0)
		}
		return s / 20
	}
	cases := []struct {
		name     string
		phi      float64
		nanEvery int
		want     float64
	}{
		{"white noise has a ratio near one", 0, 0, 1},
		{"AR(1) noise with φ=0.5 has a ratio near (1+φ)/(1−φ) = 3", 0.5, 0, 3},
		{"AR(1) noise with φ=0.8 has a ratio near (1+φ)/(1−φ) = 9", 0.8, 0, 9},
		{"NaN residuals are skipped", 0, 3, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := mean(c.phi, c.nanEvery)
			require.False(t, math.IsNaN(got))
			require.InDelta(t, c.want, got, 0.15*c.want)
		})
	}
	t.Run("a day of residuals is too few blocks", func(t *testing.T) {
		w := newTestWork(make([]float64, 288))
		w.res = ar(0.5, 288, 3)
		require.Zero(t, w.longRunRatio(0))
	})
}

func BenchmarkLongRunRatio(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	w := newTestWork(make([]float64, 4032))
	w.res = make([]float64, 4032)
	for i := range w.res {
		w.res[i] = r.NormFloat64()
	}
	b.ReportAllocs()
	for b.Loop() {
		w.longRunRatio(0)
	}
}

func TestDeconvolve(t *testing.T) {
	for _, c := range []struct {
		name    string
		d, e, w float64
	}{
		{"no noise leaves the distance", 3, 0, 3},
		{"quadrature", 5, 3, 4},
		{"noise wider than the scores gives zero", 2, 3, 0},
		{"NaN stays NaN", math.NaN(), 1, math.NaN()},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := deconvolve(c.d, c.e)
			if math.IsNaN(c.w) {
				require.True(t, math.IsNaN(got))
				return
			}
			require.InDelta(t, c.w, got, 1e-12)
		})
	}
}

func TestCalibrateLeavesOutTheHourlyNoise(t *testing.T) {
	// A straight line under white noise: the backtest scores are hourly
	// means, whose noise (σ/√12) the line does not have. hourlyNoise
	// measures it, and the band's first group is narrower than the
	// scores' own 10–90% spread by that noise in quadrature.
	n := 14 * 288
	y := make([]float64, n)
	r := rand.New(rand.NewPCG(21, 22))
	for i := range y {
		y[i] = 100 + float64(i)/288 + r.NormFloat64()
	}
	w := newTestWork(y)
	an := w.analyze(false, 50, 7)
	require.Equal(t, PatternSteadyGrowth, an.pattern)
	require.True(t, an.cal.ok)
	f := an.fit
	blk := int(hourMs / w.step)
	w.setZ(f.lo)
	s := w.hourlyNoise(&f, f.lo, blk)
	require.InDelta(t, 1/math.Sqrt(12), s, 0.05)
	sl := w.shortLagNoise(f.lo, blk)
	require.InDelta(t, 1/math.Sqrt(12), sl, 0.05)
	s = math.Min(s, sl)
	// The scores of the level window the backtests chose are one of
	// w.calZ's.
	found := false
	for v := range levelWindows {
		raw := w.calZ[v][0]
		require.GreaterOrEqual(t, len(raw), calMinScores)
		med := median(raw)
		spread := quantile(raw, 0.9) - med
		if math.Abs(an.cal.hi[0]-math.Max(0, med+deconvolve(spread, normQuantile80*s))) < 1e-9 {
			require.Less(t, an.cal.hi[0], med+spread)
			found = true
		}
	}
	require.True(t, found)

	t.Run("a noiseless line has no hourly noise", func(t *testing.T) {
		for i := range y {
			y[i] = 100 + float64(i)/288
		}
		w := newTestWork(y)
		an := w.analyze(false, 50, 7)
		f := an.fit
		w.setZ(f.lo)
		require.InDelta(t, 0, w.hourlyNoise(&f, f.lo, int(hourMs/w.step)), 1e-9)
	})
}

func TestCalibrateKeepsTheNoiseOfRuns(t *testing.T) {
	// A leak killed at the limit every 2 days (restart counter) under
	// white noise: its band keeps the scores' own spread, noise included
	// (the next kill errs more than the backtests of the runs show).
	n := 14 * 288
	y := make([]float64, n)
	rc := make([]float64, n)
	r := rand.New(rand.NewPCG(29, 30))
	for i := range y {
		age := math.Mod(float64(i), 2*288)
		rc[i] = math.Floor(float64(i) / (2 * 288))
		y[i] = math.Min(50+50*age/(2*288)+r.NormFloat64(), 100)
	}
	w := newTestWork(y)
	w.rc = rc
	an := w.analyze(true, 100-y[n-1], 7)
	require.Greater(t, an.nseg, 1)
	require.True(t, an.cal.ok)
	found := false
	for v := range levelWindows {
		raw := w.calZ[v][0]
		if len(raw) >= calMinScores && math.Abs(an.cal.hi[0]-math.Max(0, quantile(raw, 0.9))) < 1e-9 {
			found = true
		}
	}
	require.True(t, found)
}

func TestArMeanSD(t *testing.T) {
	// Differences of simulated AR(1) noise of unit variance: the standard
	// deviation of the mean of m consecutive values, against the formula
	// and (white noise) 1/√m.
	for _, c := range []struct {
		name string
		phi  float64
		m    int
	}{
		{"white noise, 12 to the hour", 0, 12},
		{"φ 0.9, 12 to the hour", 0.9, 12},
		{"φ 0.5, 60 to the hour", 0.5, 60},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(25, 26))
			x := make([]float64, 200000)
			ar1Onto(x, r, c.phi, math.Sqrt(1-c.phi*c.phi), func(float64) float64 { return 0 })
			var d1, d2 []float64
			for i := 2; i < len(x); i++ {
				d1 = append(d1, x[i]-x[i-1])
				d2 = append(d2, x[i]-x[i-2])
			}
			fm, p := float64(c.m), c.phi
			want := math.Sqrt(((1+p)/(1-p) - 2*p*(1-math.Pow(p, fm))/(fm*(1-p)*(1-p))) / fm)
			// φ comes from a ratio of two variances, to which the
			// factor is sensitive near 1.
			require.InDelta(t, want, arMeanSD(d1, d2, c.m), 0.12*want)
			if c.phi == 0 {
				require.InDelta(t, 1/math.Sqrt(fm), want, 1e-12)
			}
		})
	}
	t.Run("too few differences", func(t *testing.T) {
		require.Zero(t, arMeanSD([]float64{1, 2}, []float64{1, 2}, 12))
	})
}

func TestShortLagNoiseIgnoresAStaircase(t *testing.T) {
	// A noiseless staircase (a step of 2 every 1 to 3 hours, at random, so
	// that no daily profile takes it) fitted as a line: the hour-to-hour
	// differences of its hourly residual means hold the steps, which are
	// the signal; the differences of one and two samples do not.
	n := 14 * 288
	y := make([]float64, n)
	r := rand.New(rand.NewPCG(27, 28))
	v, next := 100.0, 0
	for i := range y {
		if i == next {
			v += 2
			next += 12 + r.IntN(25)
		}
		y[i] = v
	}
	w := newTestWork(y)
	an := w.analyze(false, 500, 7)
	f := an.fit
	blk := int(hourMs / w.step)
	w.setZ(f.lo)
	require.Greater(t, w.hourlyNoise(&f, f.lo, blk), 0.1)
	require.Less(t, w.shortLagNoise(f.lo, blk), 1e-9)
}

func TestAnalyzeYoungRunNeedsARunThatRanOut(t *testing.T) {
	// Two days at 5 minutes, a restart 6 hours before the end, the run
	// before growing linearly from 50: when it ended at 80 of a limit of
	// 100 (a deploy), no run was seen to run out and its rate is not
	// evidence of a leak; when it ended at the limit (a kill), it is.
	for _, c := range []struct {
		name     string
		end      float64
		unproven bool
	}{
		{"the run before was cut by a deploy below the limit", 80, true},
		{"the run before was killed at the limit", 100, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := 2 * 288
			brk := n - 72
			y := make([]float64, n)
			rc := make([]float64, n)
			r := rand.New(rand.NewPCG(23, 24))
			for i := range y {
				switch {
				case i < brk:
					y[i] = 50 + (c.end-50)*float64(i+1)/float64(brk)
				default:
					y[i] = 50 + (c.end-50)*float64(i-brk)/float64(brk)
					rc[i] = 1
				}
				y[i] = math.Min(y[i]+0.2*r.NormFloat64(), 100)
			}
			w := newTestWork(y)
			w.rc = rc
			an := w.analyze(true, 100-y[n-1], 7)
			require.True(t, an.youngRun)
			require.Equal(t, c.unproven, an.unproven)
		})
	}
}
