package capacity

import (
	"math"

	"github.com/omenhq/omen/stats"
)

// shapeKind is the family of a trend.
type shapeKind uint8

const (
	shLevel  shapeKind = iota // a level per segment, no trend
	shLinear                  // b·x
	shQuad                    // b·x + c·x²
	shExp                     // b·e^{ρx}
	shPow                     // b·age^p
	shSat                     // b·(1 − e^{−age/τ})
)

// shape is a trend family with its fixed parameter (ρ per day, p, or τ in
// days). x is the time in days from the last sample, age the time in days
// since the start of the segment.
type shape struct {
	kind shapeKind
	p    float64
}

// m returns the number of trend coefficients.
func (s shape) m() int {
	switch s.kind {
	case shLevel:
		return 0
	case shQuad:
		return 2
	}
	return 1
}

// eval returns the regressors of the shape at x and age.
func (s shape) eval(x, age float64) (g0, g1 float64) {
	switch s.kind {
	case shLinear:
		return x, 0
	case shQuad:
		return x, x * x
	case shExp:
		return math.Exp(s.p * x), 0
	case shPow:
		if age <= 0 {
			return 0, 0
		}
		if s.p == 1 {
			return age, 0
		}
		return math.Pow(age, s.p), 0
	case shSat:
		return -math.Expm1(-age / s.p), 0
	}
	return 0, 0
}

// fitResult is a least-squares fit of z = a_k + β·g (one intercept per
// segment k, a trend shape shared by all segments).
type fitResult struct {
	sh      shape
	ok      bool
	beta    [2]float64
	aCur    float64    // intercept of the current (last) segment
	gbarCur [2]float64 // mean regressors of the current segment
	nCur    float64    // rows of the current segment
	winv    [2][2]float64
	sse     float64
	rows    int
	nseg    int
	sigma2  float64 // residual variance
	phi     float64 // lag-1 autocorrelation of the residuals, in [0, 0.98]
	lo      int     // first row considered
	// lrv is the ratio of the long-run variance of the residuals (from
	// the means of blocks of hacBlock) to their variance; 0 when unknown.
	lrv float64
}

// hac returns the variance inflation (1+φ)/(1−φ) of a mean of AR(1)
// residuals: the ratio of the nominal to the effective sample size.
func (f *fitResult) hac() float64 { return (1 + f.phi) / (1 - f.phi) }

// pathHAC returns the variance inflation of the prediction interval:
// the larger of the AR(1) factor hac and the batch-means long-run
// variance ratio lrv, which also sees correlation beyond one lag — noise
// that wanders for hours, a curvature too weak to be modelled.
func (f *fitResult) pathHAC() float64 { return math.Max(f.hac(), f.lrv) }

// hacBlock is the block length of the batch-means long-run variance: a
// quarter of a day, many correlation times of short-range noise and
// enough blocks (56 in 14 days) for a stable estimate.
const hacBlock = 6 * hourMs

// hacMinBlocks is the number of blocks the batch-means estimate needs.
const hacMinBlocks = 8

// longRunRatio returns the batch-means estimate of the long-run variance
// ratio of the residuals w.res[i], i ≥ lo: with blocks of b consecutive
// rows ending at the last one, Σ c_k·m_k² / (K·γ₀), m_k the mean of the
// c_k valid residuals of block k (blocks with fewer than b/2 are skipped),
// K the number of blocks and γ₀ the mean squared residual (Flegal & Jones
// 2010, batch means; = 1 for white noise, (1+φ)/(1−φ) for AR(1) when b
// is many correlation times). NaN residuals are skipped; it returns 0
// with fewer than hacMinBlocks blocks or no residual variance.
func (w *work) longRunRatio(lo int) float64 {
	b := max(1, int(hacBlock/w.step))
	var g0, n, acc float64
	var k int
	for end := w.n; end-b >= lo; end -= b {
		var s, c float64
		for i := end - b; i < end; i++ {
			if r := w.res[i]; !math.IsNaN(r) {
				s += r
				c++
				g0 += r * r
				n++
			}
		}
		if 2*c < float64(b) {
			continue
		}
		acc += s * s / c
		k++
	}
	if k < hacMinBlocks || !(g0 > 0) {
		return 0
	}
	return acc / float64(k) / (g0 / n)
}

// pathVar returns the variance of the fitted trend of the current segment
// at regressors g: HAC·σ²·(1/n + (g−ḡ)ᵀ W⁻¹ (g−ḡ)), HAC = pathHAC, W the within-segment
// cross-product matrix of the regressors.
func (f *fitResult) pathVar(g0, g1 float64) float64 {
	d0, d1 := g0-f.gbarCur[0], g1-f.gbarCur[1]
	q := 1 / math.Max(f.nCur, 1)
	switch f.sh.m() {
	case 1:
		q += d0 * d0 * f.winv[0][0]
	case 2:
		q += d0*d0*f.winv[0][0] + 2*d0*d1*f.winv[0][1] + d1*d1*f.winv[1][1]
	}
	return f.pathHAC() * f.sigma2 * q
}

// fit regresses w.z on the shape over rows i ≥ lo with w.seg[i] ≥ 0 and a
// valid w.z[i], one intercept per segment id (ids 0..nseg−1), the current
// segment being the id of the last row. With writeRes it stores the
// residuals in w.res (NaN for rows not fitted).
func (w *work) fit(sh shape, lo, nseg int, writeRes bool) fitResult {
	f := fitResult{sh: sh, lo: lo, nseg: nseg}
	m := sh.m()
	w.segN = stats.Grow(w.segN, nseg)
	w.segSum = stats.Grow(w.segSum, nseg)
	for k := range nseg {
		w.segN[k] = 0
		w.segSum[k] = [3]float64{}
	}
	w.g0 = stats.Grow(w.g0, w.n)
	w.g1 = stats.Grow(w.g1, w.n)
	for i := lo; i < w.n; i++ {
		k := w.seg[i]
		zi := w.z[i]
		if k < 0 || math.IsNaN(zi) {
			continue
		}
		g0, g1 := sh.eval(w.xs[i], w.age[i])
		w.g0[i], w.g1[i] = g0, g1
		w.segN[k]++
		s := &w.segSum[k]
		s[0] += zi
		s[1] += g0
		s[2] += g1
	}
	cur := int(w.seg[w.n-1])
	for k := range nseg {
		if n := w.segN[k]; n > 0 {
			w.segSum[k][0] /= n
			w.segSum[k][1] /= n
			w.segSum[k][2] /= n
			f.rows += int(n)
		}
	}
	if cur < 0 || w.segN[cur] == 0 {
		return f
	}
	var a [4][4]float64
	var b [4]float64
	if m > 0 {
		for i := lo; i < w.n; i++ {
			k := w.seg[i]
			zi := w.z[i]
			if k < 0 || math.IsNaN(zi) {
				continue
			}
			s := &w.segSum[k]
			d0, d1, dz := w.g0[i]-s[1], w.g1[i]-s[2], zi-s[0]
			a[0][0] += d0 * d0
			b[0] += d0 * dz
			if m == 2 {
				a[0][1] += d0 * d1
				a[1][1] += d1 * d1
				b[1] += d1 * dz
			}
		}
		a[1][0] = a[0][1]
		var inv [4][4]float64
		if !solveSym(&a, &b, m, &inv) {
			return f
		}
		f.beta = [2]float64{b[0], b[1]}
		f.winv = [2][2]float64{{inv[0][0], inv[0][1]}, {inv[1][0], inv[1][1]}}
	}
	sc := w.segSum[cur]
	f.gbarCur = [2]float64{sc[1], sc[2]}
	f.nCur = w.segN[cur]
	f.aCur = sc[0] - f.beta[0]*sc[1] - f.beta[1]*sc[2]
	// Residuals.
	var sse, lag float64
	prevR, prevI, prevK := 0.0, -2, int32(-1)
	for i := lo; i < w.n; i++ {
		k := w.seg[i]
		zi := w.z[i]
		if k < 0 || math.IsNaN(zi) {
			if writeRes {
				w.res[i] = math.NaN()
			}
			continue
		}
		s := &w.segSum[k]
		r := zi - s[0] - f.beta[0]*(w.g0[i]-s[1]) - f.beta[1]*(w.g1[i]-s[2])
		if writeRes {
			w.res[i] = r
		}
		sse += r * r
		if prevI == i-1 && prevK == k {
			lag += r * prevR
		}
		prevR, prevI, prevK = r, i, k
	}
	f.sse = sse
	df := f.rows - nseg - m
	if df < 1 {
		df = 1
	}
	f.sigma2 = sse / float64(df)
	if sse > 0 {
		f.phi = math.Min(math.Max(lag/sse, 0), 0.98)
	}
	f.ok = true
	return f
}

// value returns the fitted trend of the current segment at x (days from
// the last sample) and age (days since the current segment started).
func (f *fitResult) value(x, age float64) float64 {
	g0, g1 := f.sh.eval(x, age)
	return f.aCur + f.beta[0]*g0 + f.beta[1]*g1
}

// slopeAt returns the derivative of the fitted trend per day at x, age.
func (f *fitResult) slopeAt(x, age float64) float64 {
	const h = 1e-3
	return (f.value(x+h, age+h) - f.value(x-h, age-h)) / (2 * h)
}

// fitSSE returns the residual sum of squares and the first trend
// coefficient of the fit of w.z on a one-regressor shape (see fit) in a
// single pass over the data, from raw sums; ok is false when the
// regressor does not vary within segments. It is the fast path of the
// searches over shape parameters.
func (w *work) fitSSE(sh shape, lo, nseg int) (sse, beta float64, ok bool) {
	w.segN = stats.Grow(w.segN, nseg)
	w.segSum = stats.Grow(w.segSum, 2*nseg)
	w.segRef = stats.Grow(w.segRef, nseg)
	for k := range nseg {
		w.segN[k] = 0
		w.segSum[2*k] = [3]float64{}
		w.segSum[2*k+1] = [3]float64{}
	}
	// e^{ρx} on the regular grid is a geometric sequence: one product per
	// point instead of an exponential (relative drift below 1e-12).
	var eg, ratio float64
	if sh.kind == shExp {
		eg, ratio = math.Exp(sh.p*w.xs[lo]), math.Exp(sh.p*w.stepD)
	}
	for i := lo; i < w.n; i++ {
		var g float64
		switch sh.kind {
		case shExp:
			g = eg
			eg *= ratio
		case shPow:
			if a := w.age[i]; a > 0 {
				g = math.Exp(sh.p * w.lnAge[i])
			}
		}
		k := w.seg[i]
		zi := w.z[i]
		if k < 0 || math.IsNaN(zi) {
			continue
		}
		// Values relative to the segment's first one keep the raw sums
		// of squares accurate.
		if w.segN[k] == 0 {
			w.segRef[k] = zi
		}
		zi -= w.segRef[k]
		if sh.kind != shExp && sh.kind != shPow {
			g, _ = sh.eval(w.xs[i], w.age[i])
		}
		w.segN[k]++
		a, b := &w.segSum[2*k], &w.segSum[2*k+1]
		a[0] += zi
		a[1] += g
		a[2] += zi * zi
		b[0] += g * g
		b[1] += g * zi
	}
	var sgg, sgz, szz float64
	for k := range nseg {
		n := w.segN[k]
		if n == 0 {
			continue
		}
		a, b := w.segSum[2*k], w.segSum[2*k+1]
		sgg += b[0] - a[1]*a[1]/n
		sgz += b[1] - a[1]*a[0]/n
		szz += a[2] - a[0]*a[0]/n
	}
	if !(sgg > 1e-12*(1+math.Abs(sgg))) {
		return 0, 0, false
	}
	beta = sgz / sgg
	return math.Max(szz-beta*sgz, 0), beta, true
}
