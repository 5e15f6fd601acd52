package capacity

import (
	"math"

	"github.com/omenhq/omen/stats"
)

// Power curve of the time since an origin before the window.
//
// An accelerating fill is fitted with the quadratic a + b·x + c·x² and the
// exponential a + b·e^{ρx} (model.go). Neither follows a power of age of
// exponent above 2 — a disk filled by a workload whose rate grows as a
// power of the time since it began — far enough: the quadratic's rate
// grows linearly, so it is late near the crossing. The power curve
//
//	a + b·(x − x₀)^p,   x₀ < every fitted x (the origin before the window)
//
// has four parameters and contains both (p = 2 is any quadratic with a
// positive x² term; p → ∞ with −x₀ = p/ρ tends to the exponential; p = 1
// is a line). It is fitted by profiling: for fixed x₀ and p it is linear
// in (a, b); x₀ is searched on a grid of distances a₀ = x_first − x₀
// before the first fitted point (multiples of the fitted span), p by
// golden section on [1, powerMaxP], then a₀ by golden section on its
// logarithm within a factor of 4 of the best, p optimal for each (the two
// lie on a ridge: curves of the same local growth look alike, and a
// search by turns crawls along it). The search runs on the hourly medians
// of the deseasonalised series pooled into at most powerPoints means,
// whose logarithms ln(x_k − x₀) are computed once per origin. The final
// fit on every point is a power of age (shape shPow) with the ages
// counted from x₀ (setPowerOrigin).
//
// It replaces the better of the quadratic and the exponential only when
// its one more parameter pays for itself by the Schwarz criterion (BIC)
// with the effective sample size of autocorrelated residuals:
//
//	n_eff · ln(SSE₃ / SSE₄) > ln(n_eff),   n_eff = rows · (1 − φ)/(1 + φ),
//
// SSE₃ the residual sum of squares of the better three-parameter model,
// SSE₄ the power curve's, φ the lag-1 autocorrelation of its residuals
// (Schwarz 1978; the deflation is the one the curvature test uses).
//
// The same curve, fitted to the hourly medians, is the smooth alternative
// of a change of rate (detectKink): with as many parameters as the broken
// line, the one with the smaller sum of squares wins. Without it a convex
// curve under strongly autocorrelated noise was cut at a "change of rate"
// and the line after it was late.
//
// The shape variance of the chosen curve is that of p and a₀ together
// (originUncertainty): they lie on a ridge, and the variance of p given
// a₀ is far too small.

// Power curve settings (global, documented above).
const (
	// powerMaxP is the largest exponent searched; beyond it the
	// exponential is the better description of the same curve.
	powerMaxP = 8.0
	// powerGolden is the number of golden-section steps of each search
	// (the interval shrinks to 0.618^12 ≈ 0.3% of its width).
	powerGolden = 12
	// powerPoints caps the pooled medians the search runs on.
	powerPoints = 64
)

// powerOrigins are the distances a₀ of the origin before the first fitted
// point searched first, as fractions of the fitted span.
var powerOrigins = [...]float64{1.0 / 64, 1.0 / 16, 1.0 / 4, 1, 4, 16}

// powerCurveSSE returns the residual sum of squares of the least-squares
// fit of m_k = a + b·g_k, g_k = e^{p·lg_k} (lg_k = ln(x_k − x₀), so g_k =
// (x_k − x₀)^p), over the k with a finite m_k, and b; g is scratch space
// of len(m) and receives g_k. The sums are centred (two passes), so large
// powers keep their precision. NaN m_k are left out; ok is false with
// fewer than 3 values, when g does not vary (to 1e-12 of its scale), or
// when lg or p hold NaN or ±Inf that make g non-finite — then sse and b
// are 0.
func powerCurveSSE(lg, m, g []float64, p float64) (sse, b float64, ok bool) {
	var n, sg, sm float64
	for k, v := range m {
		gk := math.Exp(p * lg[k])
		g[k] = gk
		if math.IsNaN(v) {
			continue
		}
		n++
		sg += gk
		sm += v
	}
	if n < 3 || math.IsNaN(sg) || math.IsInf(sg, 0) {
		return 0, 0, false
	}
	gbar, mbar := sg/n, sm/n
	var sgg, sgm, smm float64
	for k, v := range m {
		if math.IsNaN(v) {
			continue
		}
		dg, dm := g[k]-gbar, v-mbar
		sgg += dg * dg
		sgm += dg * dm
		smm += dm * dm
	}
	if !(sgg > 1e-24*gbar*gbar*n) {
		return 0, 0, false
	}
	b = sgm / sgg
	return math.Max(smm-b*sgm, 0), b, true
}

// powerCurve is the result of powerCurveSearch: the origin's distance a0
// (days) before the first fitted point, the exponent p, the residual sum
// of squares on the medians and the coefficient b (> 0 for growth).
type powerCurve struct {
	a0, p, sse, b float64
	ok            bool
}

// powerCurveSearch fits the power curve a + b·(x − x₀)^p to the values m
// at times x (days, increasing; NaN values are left out) by profiling
// (see the comment at the top of the file): origins x₀ = first − a₀ (first
// ≤ x_0, the first fitted point) with a₀ in span·powerOrigins (span =
// x_last − first), p by golden section on
// [1, powerMaxP] for each, then a₀ (in its logarithm, within a factor of
// 4 of the best) on the profile of the sum of squares in p. Only
// fits with b > 0 count. lg and g are scratch space of len(m). It
// returns ok false when no fit with b > 0 was found, when span ≤ 0 or
// first > x_0 (NaN first included).
func powerCurveSearch(first float64, x, m, lg, g []float64) powerCurve {
	var best powerCurve
	if len(x) < 3 || !(first <= x[0]) {
		return best
	}
	span := x[len(x)-1] - first
	if !(span > 0) {
		return best
	}
	best.sse = math.Inf(1)
	setOrigin := func(a0 float64) {
		x0 := first - a0
		for k, v := range x {
			lg[k] = math.Log(v - x0)
		}
	}
	at := func(p float64) float64 {
		sse, b, ok := powerCurveSSE(lg, m, g, p)
		if !ok || !(b > 0) {
			return math.Inf(1)
		}
		return sse
	}
	try := func(a0, p, sse float64) {
		if sse < best.sse {
			best = powerCurve{a0: a0, p: p, sse: sse, ok: true}
		}
	}
	for _, f := range powerOrigins {
		a0 := f * span
		setOrigin(a0)
		p, sse := goldenMin(at, 1, powerMaxP, powerGolden)
		try(a0, p, sse)
	}
	if !best.ok {
		return powerCurve{}
	}
	// a₀ and p lie on a ridge (curves of the same local growth look
	// alike): the origin is refined on the profile, p optimal for each.
	la, _ := goldenMin(func(la float64) float64 {
		setOrigin(math.Exp(la))
		_, s := goldenMin(at, 1, powerMaxP, powerGolden)
		return s
	}, math.Log(best.a0/4), math.Log(best.a0*4), powerGolden)
	a0 := math.Exp(la)
	setOrigin(a0)
	pAt, sse := goldenMin(at, 1, powerMaxP, powerGolden)
	try(a0, pAt, sse)
	setOrigin(best.a0)
	_, best.b, _ = powerCurveSSE(lg, m, g, best.p)
	return best
}

// goldenMin returns the minimiser on [a, b] of f (assumed unimodal) after
// steps golden-section steps, and its value; the better of the two last
// interior points (d on a tie). f may return +Inf (no fit there).
func goldenMin(f func(float64) float64, a, b float64, steps int) (float64, float64) {
	const g = 0.6180339887498949
	c, d := b-g*(b-a), a+g*(b-a)
	fc, fd := f(c), f(d)
	for range steps {
		if fc < fd {
			b, d, fd = d, c, fc
			c = b - g*(b-a)
			fc = f(c)
		} else {
			a, c, fc = c, d, fd
			d = a + g*(b-a)
			fd = f(d)
		}
	}
	if fc < fd {
		return c, fc
	}
	return d, fd
}

// setPowerOrigin counts the ages of the points from lo from an origin a0
// days before point lo (age_i = a0 + (i − lo)·step) and stores their
// logarithms, so that the power shape shPow is (x − x₀)^p.
func (w *work) setPowerOrigin(lo int, a0 float64) {
	for i := range w.n {
		w.age[i] = a0 + float64(i-lo)*w.stepD
	}
	w.setLnAge()
}

// bicPrefers reports whether a model with one more parameter and residual
// sum of squares sse1 beats one with sse0 by the Schwarz criterion on
// nEff effective observations: nEff·ln(sse0/sse1) > ln(nEff). It is false
// when sse1 ≥ sse0, when the gain is rounding (sse0 − sse1 at most 1e-9
// of scale, the total sum of squares), or for NaN arguments.
func bicPrefers(sse0, sse1, nEff, scale float64) bool {
	if !(sse1 < sse0) || !(nEff > 1) || !(sse0-sse1 > 1e-9*scale) {
		return false
	}
	if sse1 <= 0 {
		return true
	}
	return nEff*math.Log(sse0/sse1) > math.Log(nEff)
}

// fitPowerCurve fits the power curve to w.z from lo (the hourly medians
// for the search, every point for the fit) and returns its fit when it
// beats best, the better three-parameter model, by bicPrefers with the
// effective sample size of its residuals; scale is the sum of squares
// against which a gain is rounding (the line's). The ages are then
// counted from the curve's origin (setPowerOrigin); otherwise they are
// left as they were, from lo.
func (w *work) fitPowerCurve(lo int, best fitResult, scale float64) (fitResult, bool) {
	m, xk, _, _ := w.hourlyMedians(lo)
	if len(m) == 0 || !best.ok {
		return fitResult{}, false
	}
	pc := w.powerCurveOf(w.xs[lo], m, xk)
	if !pc.ok {
		return fitResult{}, false
	}
	w.setPowerOrigin(lo, pc.a0)
	pf := w.fit(shape{kind: shPow, p: pc.p}, lo, 1, false)
	if pf.ok && pf.beta[0] > 0 && bicPrefers(best.sse, pf.sse, float64(pf.rows)/pf.hac(), scale) {
		return pf, true
	}
	for i := range w.n {
		w.age[i] = float64(i-lo) * w.stepD
	}
	return fitResult{}, false
}

// powerCurveOf runs powerCurveSearch (origin before first) on the hourly
// medians m at times xk pooled into at most powerPoints means of
// consecutive blocks (NaN medians left out), in scratch space of w.
func (w *work) powerCurveOf(first float64, m, xk []float64) powerCurve {
	k := (len(m) + powerPoints - 1) / powerPoints
	np := (len(m) + k - 1) / k
	w.pwX = stats.Grow(w.pwX, np)
	w.pwM = stats.Grow(w.pwM, np)
	w.pwLg = stats.Grow(w.pwLg, max(np, len(m)))
	w.pwG = stats.Grow(w.pwG, max(np, len(m)))
	px, pm := w.pwX[:0], w.pwM[:0]
	for j := 0; j < len(m); j += k {
		var sx, sm, c float64
		for i := j; i < min(j+k, len(m)); i++ {
			if !math.IsNaN(m[i]) {
				sx += xk[i]
				sm += m[i]
				c++
			}
		}
		if c > 0 {
			px, pm = append(px, sx/c), append(pm, sm/c)
		}
	}
	w.pwX, w.pwM = px, pm
	return powerCurveSearch(first, px, pm, w.pwLg[:len(px)], w.pwG[:len(px)])
}

// powerCurveSSEAt returns the residual sum of squares of the power curve
// with origin a0 before first and exponent p, refitted (a, b) on the
// hourly medians m at times xk; +Inf when it does not fit or b ≤ 0.
func (w *work) powerCurveSSEAt(first, a0, p float64, m, xk []float64) float64 {
	w.pwLg = stats.Grow(w.pwLg, len(m))
	w.pwG = stats.Grow(w.pwG, len(m))
	lg := w.pwLg[:len(m)]
	for k, x := range xk {
		lg[k] = math.Log(x - (first - a0))
	}
	sse, b, ok := powerCurveSSE(lg, m, w.pwG[:len(m)], p)
	if !ok || !(b > 0) {
		return math.Inf(1)
	}
	return sse
}
