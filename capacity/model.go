package capacity

import (
	"math"
	"strconv"

	"github.com/omenhq/omen/stats"
)

// Model settings (global, documented in doc.go).
const (
	// curvatureT is the HAC t statistic of the quadratic term above which
	// growth is taken as accelerating (or decelerating below −curvatureT).
	curvatureT = 4.0
	// curvatureMaterial: the quadratic term must add at least this
	// fraction of the linear projection over the horizon to count.
	curvatureMaterial = 0.05
	// slopeT is the HAC t statistic a trend needs to count.
	slopeT = 3.0
	// materialFrac: a trend counts when it would cover this fraction of
	// the headroom (or of the range without a limit) over the horizon.
	materialFrac = 0.02
	// envelopeDays is the recent history whose residuals give the level
	// correction and the envelope of a fast sawtooth.
	envelopeDays = 3.0
	// envelopeMinRatio: the uniform part of the residuals counts as a fast
	// sawtooth only when its width is at least this many noise standard
	// deviations (otherwise sampling noise of the quantiles would make
	// every series look like a sawtooth and every ETA early).
	envelopeMinRatio = 3.0
	// envelopeMinPoints: fewer recent residuals than this are too few to
	// tell a sawtooth from noise by the shape of their distribution.
	envelopeMinPoints = 200
	// stepF and stepSigma: a level shift is accepted when adding it to a
	// quadratic trend of the hourly medians has an F statistic above stepF
	// and a size above stepSigma residual standard deviations.
	stepF     = 40.0
	stepSigma = 6.0
	// stepRefitDays: after a step, the trend is refitted on the data since
	// the step once there is this much of it; before that the slope of
	// the whole window is kept and only the level moves.
	stepRefitDays = 1.0
	// stepMinRefitDays: a new slope after the step that differs
	// significantly from the old one is used from this much data on.
	stepMinRefitDays = 0.5
	// kinkMinPostDays: a change of rate (detectKink) is looked for only
	// where it leaves this much data after it, which the trend is then
	// refitted on.
	kinkMinPostDays = 0.5
	// kinkVarRatio: the residuals after a change of rate may have at most
	// this many times the mean square of those before it.
	kinkVarRatio = 4.0
	// youngSegmentDays: a current segment younger than this with no
	// complete earlier segment takes its slope from the segment before.
	youngSegmentDays = 1.0
	// batchSpike: a daily profile with a sharp drop that spends less than
	// this fraction of the day above the middle of its range is a nightly
	// job (a sawtooth spends about half of it there, a smooth daily hump
	// about a quarter).
	batchSpike = 0.22
	// shortHistoryDays: under this much fitted history a bend is not
	// extrapolated as acceleration (the recent half's rate is used).
	shortHistoryDays = 3.0
	// plateauFrac: a saturating (warm-up) shape is accepted only when its
	// time constant is at most this fraction of the typical segment.
	plateauFrac = 1.0 / 3
	// youngKillSD: the run before a young run ran out when its peak (the
	// highest value of its last hour) came within this many residual
	// standard deviations of the limit.
	youngKillSD = 3.0
)

var (
	// levelWindows are the recent histories (days) whose median residual
	// may correct the level; the first is envelopeDays, the others are
	// chosen by the backtests (calibrate) when the residuals wander.
	levelWindows = [...]float64{envelopeDays, 1, 0.25}
	expRates     = []float64{0.02, 0.04, 0.07, 0.1, 0.14, 0.2, 0.28, 0.4, 0.55, 0.75, 1}
	powers       = []float64{1, 1.25, 1.5, 2, 2.5, 3}
	satTaus      = []float64{1.0 / 24, 2.0 / 24, 4.0 / 24, 8.0 / 24, 16.0 / 24, 32.0 / 24}
)

// analysis is what analyze found: the fitted model of the current
// segment and the description of the history.
type analysis struct {
	fit      fitResult
	prof     profile
	offset   float64 // level correction + envelope half-width
	envA     float64 // width of the fast sawtooth
	levelVar float64 // variance of the level correction
	// structured is true when the residuals are part of the signal (a
	// sawtooth, day-to-day variation of daily peaks) rather than
	// measurement noise: the ETA is then simulated with them (simulate).
	structured bool
	// alt is the fit with the shape parameter moved by altDelta, and
	// pVar the variance of the parameter: the trend's uncertainty from
	// the parameter is ((alt − fit)/altDelta)²·pVar.
	alt      fitResult
	altDelta float64
	pVar     float64
	// For a power curve with a free origin (power.go) the origin a₀ is a
	// second shape parameter: alt2 is the fit with the ages moved by
	// alt2Delta, pCov the covariance of p and a₀ and aVar the variance of
	// a₀; the trend's uncertainty is then JΣJᵀ with J the two
	// differences.
	alt2      fitResult
	alt2Delta float64
	pCov      float64
	aVar      float64
	ageNow    float64 // age in days of the current segment at the last point
	pattern   Pattern
	model     string
	fitLo     int // first point of the data the model was fitted on
	segs      segmentation
	nseg      int // segments cut at restarts and deploys
	curStart  int // start of the current segment (0 when not cut)
	stepAt    int // point where a level shift was found, −1
	kinkAt    int // point where a change of rate was found, −1
	slope     float64
	slopeSE   float64
	frequent  bool
	sigma     float64
	rng       float64
	decelerat bool
	growing   bool // the trend towards the limit is material
	// weekly is set when the residuals repeat weekly (weekly.go): the
	// futures are then simulated with the same weekday's residuals.
	weekly bool
	// youngRun is set when the current run is younger than
	// youngSegmentDays with no complete run before it.
	youngRun bool
	// unproven is set for a young run when the run before it ended below
	// the limit by more than youngKillSD residual standard deviations (a
	// deploy or a clean-up, not a kill at the limit): no run in the window
	// was seen to run out, and a leak cannot be told from a warm-up yet.
	unproven bool
	// cal holds the interval band from the backtests (calibrate.go).
	cal calibration
	// bend is the quadratic of a short history whose significant bend
	// was not extrapolated (ok false otherwise): the upper path (the
	// early crossing) is at least the mean path with the line's increase
	// from now replaced by the quadratic's.
	bend fitResult
	// quad is the quadratic of an accelerating series fitted with a
	// steeper curve (exponential, power; ok false otherwise): the lower
	// path (the late crossing) is at most the mean path with the curve's
	// increase from now replaced by the quadratic's.
	quad fitResult
}

// analyze fits the history in w (oriented values on the grid).
func (w *work) analyze(hasCounter bool, scale float64, horizonDays float64) analysis {
	var an analysis
	w.scale, w.horizonDays = scale, horizonDays
	an.stepAt, an.kinkAt = -1, -1
	n := w.n
	an.sigma, an.rng = w.noiseAndRange()
	if !(scale > 0) {
		// No limit (or at it): material is relative to the range seen.
		scale = an.rng
		w.scale = scale
	}
	// The limit in the oriented values: the last value plus the headroom.
	limY := math.NaN()
	if scale > 0 && w.scale == scale {
		for i := n - 1; i >= 0; i-- {
			if !math.IsNaN(w.y[i]) {
				limY = w.y[i] + scale
				break
			}
		}
	}
	an.segs = w.segment(an.sigma, an.rng, hasCounter, limY)
	an.frequent = an.segs.frequent
	w.xs = stats.Grow(w.xs, n)
	w.age = stats.Grow(w.age, n)
	w.seg = stats.Grow(w.seg, n)
	w.prof = stats.Grow(w.prof, n)
	w.z = stats.Grow(w.z, n)
	w.res = stats.Grow(w.res, n)
	w.bin = stats.Grow(w.bin, n)
	w.we = stats.Grow(w.we, n)
	w.nb = w.bins()
	for i := range n {
		w.xs[i] = -float64(n-1-i) * w.stepD
		w.prof[i] = 0
		w.res[i] = math.NaN()
		b, we := w.binOf(w.timeOf(i), max(w.nb, 1))
		w.bin[i], w.we[i] = int32(b), we
	}
	an.nseg = len(w.bounds)
	if an.nseg > 1 {
		w.analyzeSegments(&an)
		if an.youngRun && !math.IsNaN(limY) {
			// A young run's rate is the run before's: evidence of a leak
			// only when that run ran out (was killed at the limit).
			pk := w.peakBefore(w.bounds[1])
			an.unproven = !math.IsInf(pk, -1) && limY-pk > youngKillSD*math.Sqrt(an.fit.sigma2)
		}
	} else {
		w.analyzeContinuous(&an, 0)
	}
	an.fit.lrv = w.longRunRatio(an.fit.lo)
	w.shapeUncertainty(&an)
	w.envelope(&an)
	if w.detectWeekly(&an) {
		an.weekly, an.structured = true, true
	}
	w.calibrate(&an)
	if an.quad.ok {
		w.calibrateFloor(&an)
	}
	f := &an.fit
	an.slope = f.slopeAt(0, an.ageNow)
	// Standard error of the current slope from the path variance.
	const h = 1.0
	g0a, g1a := f.sh.eval(h, an.ageNow+h)
	g0b, g1b := f.sh.eval(0, an.ageNow)
	d0, d1 := g0a-g0b, g1a-g1b
	var v float64
	switch f.sh.m() {
	case 1:
		v = d0 * d0 * f.winv[0][0]
	case 2:
		v = d0*d0*f.winv[0][0] + 2*d0*d1*f.winv[0][1] + d1*d1*f.winv[1][1]
	}
	an.slopeSE = math.Sqrt(f.hac() * f.sigma2 * v)
	an.pattern = w.classify(&an, scale, horizonDays)
	return an
}

// backfit alternates the trend fit on y − profile and the profile of
// y − trend, iters times, then fits once more.
func (w *work) backfit(sh shape, lo, nseg int, p *profile, iters int) fitResult {
	for it := 0; ; it++ {
		for i := lo; i < w.n; i++ {
			w.z[i] = w.y[i] - w.prof[i]
		}
		f := w.fit(sh, lo, nseg, true)
		if it >= iters || !f.ok {
			return f
		}
		*p = w.estimateProfile(lo)
	}
}

// setZ sets w.z = y − prof from lo.
func (w *work) setZ(lo int) {
	for i := lo; i < w.n; i++ {
		w.z[i] = w.y[i] - w.prof[i]
	}
}

// analyzeContinuous fits a series without restarts from point lo.
func (w *work) analyzeContinuous(an *analysis, lo int) {
	n := w.n
	for i := range n {
		w.seg[i] = 0
		if i < lo {
			w.seg[i] = -1
		}
		w.age[i] = float64(i-lo) * w.stepD
	}
	an.fitLo = lo
	lin := shape{kind: shLinear}
	an.fit = w.backfit(lin, lo, 1, &an.prof, 2)
	// A level shift inside the window.
	if st, ok := w.detectStep(lo); ok {
		s := st.at
		an.stepAt = s
		post := float64(n-1-s) * w.stepD
		if post >= stepRefitDays || (st.slopeChanged && post >= stepMinRefitDays) {
			// Leave out the hour after the break: a step takes minutes
			// (copying a file), which would tilt a short refit.
			s = min(s+int(hourMs/w.step), n-2)
			lo = s
			w.refitFrom(an, s)
		} else {
			// Too little since the shift: keep the slope of the window,
			// take the level after the shift.
			for i := s; i < n; i++ {
				w.seg[i] = 1
			}
			an.fit = w.backfit(lin, lo, 2, &an.prof, 2)
			an.model = "linear, level shift"
			return
		}
	}
	// A change of rate without a shift of level: the trend is refitted on
	// the data after it.
	lo0 := lo
	if an.stepAt < 0 {
		w.setZ(lo)
		if s, ok := w.detectKink(lo); ok {
			an.kinkAt = s
			lo = s
			w.refitFrom(an, s)
		}
	}
	// Curvature.
	w.setZ(lo)
	q := w.fit(shape{kind: shQuad}, lo, 1, false)
	if q.ok && float64(n-1-lo)*w.stepD >= 1 {
		c, vc := q.beta[1], q.hac()*q.sigma2*q.winv[1][1]
		t := c / math.Sqrt(vc)
		slopeEnd := q.beta[0] // derivative at x = 0
		// The history is short when the whole window is, not when a
		// change of rate left little data after it: a bend after a
		// lasting change of rate in a long window is acceleration.
		span := float64(n-1-lo0) * w.stepD
		accel := t > curvatureT && slopeEnd > 0 && c*w.horizonDays*w.horizonDays > curvatureMaterial*math.Max(slopeEnd*w.horizonDays, materialFrac*w.scale)
		switch {
		case accel && span < shortHistoryDays:
			// Under 3 days a bend cannot be told from a change of rate
			// (flat, then growth): extrapolating its curvature for days
			// would invent an early crossing. The recent half gives the
			// current rate; the backtests widen the band.
			mid := lo + (n-lo)/2
			for i := lo; i < mid; i++ {
				w.seg[i] = -1
			}
			an.fitLo = mid
			an.fit = w.backfit(lin, mid, 1, &an.prof, 1)
			an.model = "linear, recent half of a short history"
			// The bend may be real: the early side of the band reaches
			// the quadratic's path (paths).
			an.bend = q
			return
		case accel:
			// The exponential's fit is sharp in ρ: refine around the best
			// grid rate before comparing with the quadratic.
			bestR, bestSSE := 0.0, math.Inf(1)
			for _, r := range expRates {
				if sse, beta, ok := w.fitSSE(shape{kind: shExp, p: r}, lo, 1); ok && beta > 0 && sse < bestSSE {
					bestR, bestSSE = r, sse
				}
			}
			best := q
			if bestR > 0 {
				r, sse := w.refine(shExp, bestR, bestSSE, lo, 1, expRates[0]/2, 2*expRates[len(expRates)-1])
				if sse < q.sse {
					best = w.fit(shape{kind: shExp, p: r}, lo, 1, false)
				}
			}
			// A power of the time since an origin before the window, when
			// its fourth parameter pays for itself (power.go).
			if pf, ok := w.fitPowerCurve(lo, best, an.fit.sse); ok {
				best = pf
				an.ageNow = w.age[n-1]
			}
			// The data fit a steeper curve better, but it is an
			// extrapolation: the late side of the band reaches the
			// quadratic's path (paths).
			if best.sh.kind != shQuad {
				an.quad = q
			}
			an.fit = w.backfit(best.sh, lo, 1, &an.prof, 1)
			return
		case t < -curvatureT:
			// Decelerating: the recent half gives the current rate.
			mid := lo + (n-lo)/2
			if float64(n-1-mid)*w.stepD >= 1 {
				for i := lo; i < mid; i++ {
					w.seg[i] = -1
				}
				an.fitLo = mid
				an.decelerat = true
				an.fit = w.backfit(lin, mid, 1, &an.prof, 1)
				return
			}
		}
	}
	an.fit = w.backfit(lin, lo, 1, &an.prof, 1)
}

// stepResult is what detectStep found.
// refitFrom restarts the trend at point s (after a break): the points
// before it leave the fit, ages count from it, and the line is refitted on
// the rest.
func (w *work) refitFrom(an *analysis, s int) {
	an.fitLo = s
	for i := range w.n {
		if i < s {
			w.seg[i] = -1
			w.prof[i] = 0
		}
		w.age[i] = float64(i-s) * w.stepD
	}
	an.fit = w.backfit(shape{kind: shLinear}, s, 1, &an.prof, 2)
}

type stepResult struct {
	at           int  // first point after the break
	slopeChanged bool // the slopes before and after differ significantly
}

// hourlyMedians sets m and xk (in w.tmp) to the medians of w.z and the
// centre times of the hourly blocks from lo that end at the last point,
// the values less the first median (for accurate sums of squares); a block
// with less than half its points is NaN. It returns the first point of the
// first block and the block length in points; nb < 12 blocks is not
// enough for either test and returns nb 0.
func (w *work) hourlyMedians(lo int) (m, xk []float64, start, bl int) {
	bl = max(1, int(hourMs/w.step))
	nb := (w.n - lo) / bl
	if nb < 12 {
		return nil, nil, 0, bl
	}
	start = w.n - nb*bl // blocks end at the last point
	w.tmp = stats.Grow(w.tmp, 2*nb)
	m, xk = w.tmp[:nb], w.tmp[nb:2*nb]
	w.tmp2 = stats.Grow(w.tmp2, bl)
	for k := range nb {
		buf := w.tmp2[:0]
		for i := start + k*bl; i < start+(k+1)*bl; i++ {
			if v := w.z[i]; !math.IsNaN(v) {
				buf = append(buf, v)
			}
		}
		xk[k] = w.xs[start+k*bl+bl/2]
		if 2*len(buf) < bl {
			m[k] = math.NaN()
			continue
		}
		m[k] = median(buf)
	}
	// Centre values for accurate sums of squares.
	ref := math.NaN()
	for k := range nb {
		if !math.IsNaN(m[k]) {
			if math.IsNaN(ref) {
				ref = m[k]
			}
			m[k] -= ref
		}
	}
	return m, xk, start, bl
}

// quadratic holds the sums of the hourly medians m_k at times x_k that the
// step and change-of-rate tests share — s[e] = Σx^e (e ≤ 4, s[0] the count
// of finite medians), sy[e] = Σx^e·m, syy = Σm² — and the residual sum of
// squares sse of the least-squares quadratic a + b·x + c·x² (ok false when
// its normal equations are singular). NaN medians are left out.
type quadratic struct {
	s   [5]float64
	sy  [3]float64
	syy float64
	sse float64
	ok  bool
}

func quadraticOf(m, xk []float64) quadratic {
	var q quadratic
	for k := range m {
		if math.IsNaN(m[k]) {
			continue
		}
		x := xk[k]
		p := 1.0
		for e := range 5 {
			q.s[e] += p
			if e < 3 {
				q.sy[e] += p * m[k]
			}
			p *= x
		}
		q.syy += m[k] * m[k]
	}
	var a, inv [4][4]float64
	var b [4]float64
	for i := range 3 {
		for j := range 3 {
			a[i][j] = q.s[i+j]
		}
		b[i] = q.sy[i]
	}
	beta := b
	if solveSym(&a, &beta, 3, &inv) {
		q.sse, q.ok = q.syy-(beta[0]*b[0]+beta[1]*b[1]+beta[2]*b[2]), true
	}
	return q
}

// detectStep looks for one lasting shift of level in w.z from lo: the
// hourly medians are fitted with two independent lines broken at block j
// (for every j leaving at least 3 blocks on each side), and the best break
// is accepted when it beats a single quadratic (F statistic above stepF)
// and the lines are apart at the break by stepSigma residual standard
// deviations. A curved trend is absorbed by the quadratic; a shift of
// level, with or without a new slope, is not.
func (w *work) detectStep(lo int) (stepResult, bool) {
	var st stepResult
	m, xk, start, bl := w.hourlyMedians(lo)
	nb := len(m)
	if nb < 12 {
		return st, false
	}
	// The quadratic null model.
	q := quadraticOf(m, xk)
	s, sy, syy, cnt := q.s, q.sy, q.syy, q.s[0]
	if cnt < 12 || !q.ok {
		return st, false
	}
	sse0 := q.sse
	if !(sse0 > 0) {
		return st, false
	}
	// line fits the sums (n, Σx, Σx², Σy, Σxy, Σy²) of one piece.
	type sums struct{ n, x, xx, y, xy, yy float64 }
	line := func(p sums) (a, b, sse, sxx float64) {
		sxx = p.xx - p.x*p.x/p.n
		sxy := p.xy - p.x*p.y/p.n
		syy := p.yy - p.y*p.y/p.n
		if sxx <= 0 {
			return p.y / p.n, 0, math.Max(syy, 0), 0
		}
		b = sxy / sxx
		a = (p.y - b*p.x) / p.n
		return a, b, math.Max(syy-b*sxy, 0), sxx
	}
	total := sums{n: s[0], x: s[1], xx: s[2], y: sy[0], xy: sy[1], yy: syy}
	var right sums
	bestJ, bestSSE := -1, sse0
	var bestJump, bestT float64
	for j := nb - 1; j >= 3; j-- {
		if y := m[j]; !math.IsNaN(y) {
			x := xk[j]
			right.n++
			right.x += x
			right.xx += x * x
			right.y += y
			right.xy += x * y
			right.yy += y * y
		}
		left := sums{total.n - right.n, total.x - right.x, total.xx - right.xx, total.y - right.y, total.xy - right.xy, total.yy - right.yy}
		if right.n < 3 || left.n < 3 {
			continue
		}
		aL, bL, sseL, sxxL := line(left)
		aR, bR, sseR, sxxR := line(right)
		if sse := sseL + sseR; sse < bestSSE {
			bestJ, bestSSE = j, sse
			x := xk[j]
			bestJump = (aR + bR*x) - (aL + bL*x)
			v := sse / math.Max(cnt-4, 1)
			if sxxL > 0 && sxxR > 0 {
				bestT = math.Abs(bR-bL) / math.Sqrt(v/sxxL+v/sxxR)
			} else {
				bestT = 0
			}
		}
	}
	if bestJ < 0 || bestSSE <= 0 {
		return st, false
	}
	df := cnt - 4
	sd := math.Sqrt(bestSSE / df)
	f := (sse0 - bestSSE) / (bestSSE / df)
	if f < stepF || math.Abs(bestJump) < stepSigma*sd {
		return st, false
	}
	st.at = start + bestJ*bl
	st.slopeChanged = bestT > slopeT
	return st, true
}

// detectKink looks for one lasting change of rate without a shift of level
// in w.z from lo: the hourly medians m_k at times x_k are fitted with the
// broken line (a hinge at x_j)
//
//	m_k = a + b·x_k + c·max(0, x_k − x_j)
//
// for every j leaving at least 3 blocks before the break and
// kinkMinPostDays of blocks after it, by least squares on running sums of
// the blocks after the break (Σh = Σx − n·x_j, Σh² = Σx² − 2x_jΣx + n·x_j²,
// Σxh = Σx² − x_jΣx, Σhy = Σxy − x_jΣy). The best break is accepted when
// it beats the straight line with an F statistic
// (SSE_line − SSE_kink)/(SSE_kink/(n − 4)) above stepF and fits better
// than the quadratic a + b·x + q·x², which has as many parameters: a
// smooth bend of the whole window (an accelerating fill) is the
// quadratic's, a rate that changed at one instant (a new workload, a
// retention change) the broken line's. A convex bend steeper than the
// quadratic is the power curve's (power.go): the break is refused when
// the power curve, fitted to the same medians, has a residual sum of
// squares at most the broken line's (both have four parameters). It
// returns the first point after the break.
func (w *work) detectKink(lo int) (int, bool) {
	m, xk, start, bl := w.hourlyMedians(lo)
	nb := len(m)
	minPost := int(kinkMinPostDays * 24)
	if nb < 12 || nb < minPost+3 {
		return 0, false
	}
	q := quadraticOf(m, xk)
	s, sy, syy, cnt := q.s, q.sy, q.syy, q.s[0]
	if cnt < 12 || !q.ok {
		return 0, false
	}
	sseQuad := q.sse
	var a [4][4]float64
	var b [4]float64
	var inv [4][4]float64
	// The straight line.
	sxx := s[2] - s[1]*s[1]/cnt
	sxy := sy[1] - s[1]*sy[0]/cnt
	if !(sxx > 0) {
		return 0, false
	}
	sseLine := syy - sy[0]*sy[0]/cnt - sxy*sxy/sxx
	bestJ, bestSSE := -1, math.Inf(1)
	var best [4]float64
	var rn, rx, rxx, ry, rxy float64 // sums over the blocks after the break
	for j := nb - 1; j >= 3; j-- {
		if y := m[j]; !math.IsNaN(y) {
			x := xk[j]
			rn++
			rx += x
			rxx += x * x
			ry += y
			rxy += x * y
		}
		if nb-1-j < minPost || rn < 3 || cnt-rn < 3 {
			continue
		}
		xj := xk[j]
		sh := rx - rn*xj
		shh := rxx - 2*xj*rx + rn*xj*xj
		sxh := rxx - xj*rx
		shy := rxy - xj*ry
		a = [4][4]float64{{s[0], s[1], sh}, {s[1], s[2], sxh}, {sh, sxh, shh}}
		b = [4]float64{sy[0], sy[1], shy}
		bk := b
		if !solveSym(&a, &bk, 3, &inv) {
			continue
		}
		if sse := syy - (bk[0]*b[0] + bk[1]*b[1] + bk[2]*b[2]); sse < bestSSE {
			bestJ, bestSSE, best = j, sse, bk
		}
	}
	if bestJ < 0 || !(bestSSE > 0) || bestSSE >= sseQuad {
		return 0, false
	}
	// Residuals of the broken line: their lag-1 autocorrelation ρ deflates
	// the F statistic by (1+ρ)/(1−ρ) (wandering noise makes many breaks
	// look significant), and the mean square after the break must not
	// exceed kinkVarRatio times the one before it (a lasting new rate
	// leaves noise as before; a weekly import written and deleted after
	// the break does not).
	xj := xk[bestJ]
	var r0, r1, pre, post, npre, npost float64
	prev := math.NaN()
	for k := range nb {
		if math.IsNaN(m[k]) {
			prev = math.NaN()
			continue
		}
		fit := best[0] + best[1]*xk[k]
		if k > bestJ {
			fit += best[2] * (xk[k] - xj)
		}
		e := m[k] - fit
		r0 += e * e
		if !math.IsNaN(prev) {
			r1 += e * prev
		}
		prev = e
		if k > bestJ {
			post += e * e
			npost++
		} else {
			pre += e * e
			npre++
		}
	}
	rho := max(0, min(r1/r0, 0.95))
	f := (sseLine - bestSSE) / (bestSSE / (cnt - 4)) * (1 - rho) / (1 + rho)
	if f < stepF || post/npost > kinkVarRatio*pre/npre {
		return 0, false
	}
	// A smooth bend steeper than the quadratic (a power of the time since
	// an origin, as many parameters as the broken line) that fits better
	// is acceleration, not a change of rate.
	if pc := w.powerCurveOf(w.xs[lo], m, xk); pc.ok {
		// m and xk are the medians less the first; the intercept takes it.
		if w.powerCurveSSEAt(w.xs[lo], pc.a0, pc.p, m, xk) <= bestSSE {
			return 0, false
		}
	}
	return start + bestJ*bl, true
}

// analyzeSegments fits a series cut at restarts or deploys.
func (w *work) analyzeSegments(an *analysis) {
	n := w.n
	nb := len(w.bounds)
	minRows := max(6, int(hourMs/w.step))
	cur := nb - 1
	an.curStart = w.bounds[cur]
	an.ageNow = float64(n-1-an.curStart) * w.stepD
	// Segment ids: the first (truncated, its age unknown) and short ones
	// are left out.
	id := int32(0)
	complete := 0
	var lens []float64
	for k := range nb {
		s := w.bounds[k]
		e := n
		if k+1 < nb {
			e = w.bounds[k+1]
		}
		valid := 0
		for i := s; i < e; i++ {
			if !math.IsNaN(w.y[i]) {
				valid++
			}
		}
		sid := int32(-1)
		if k == cur || (k > 0 && valid >= minRows) {
			sid = id
			id++
			if k != cur {
				complete++
				lens = append(lens, float64(e-s)*w.stepD)
			}
		}
		for i := s; i < e; i++ {
			w.seg[i] = sid
			w.age[i] = float64(i-s) * w.stepD
		}
	}
	if complete == 0 && an.ageNow < youngSegmentDays {
		// Only the truncated first segment before a young current one:
		// the slope of the end of the first segment, from the current level.
		// Only the last hour of the current run gives its level: its
		// ramp would otherwise set the shared slope, and a warm-up seen
		// for a few hours is not a leak.
		first := w.bounds[1]
		from := max(0, first-int(2*float64(dayMs)/float64(w.step)))
		recent := max(first, n-max(minRows, int(hourMs/w.step)))
		for i := range n {
			switch {
			case i < from:
				w.seg[i] = -1
			case i < first:
				w.seg[i] = 0
			case i < recent:
				w.seg[i] = -1
			default:
				w.seg[i] = 1
			}
		}
		an.fitLo = from
		an.youngRun = true
		// The run before levelled off when a warm-up b·(1−e^{−age/τ})
		// (age from the window's start), τ at most plateauFrac of its
		// visible part, fits it better than a line: its end slope is then
		// that of the data after 3τ, within 5% of the plateau, when at
		// least 2 hours of them are left — not the rate of its ramp.
		w.setZ(from)
		bestTau, bestSSE := 0.0, math.Inf(1)
		if sse, _, ok := w.fitSSE(shape{kind: shLinear}, from, 2); ok {
			bestSSE = sse
		}
		for _, tau := range satTaus {
			if tau > plateauFrac*float64(first-from)*w.stepD {
				break
			}
			if sse, beta, ok := w.fitSSE(shape{kind: shSat, p: tau}, from, 2); ok && beta > 0 && sse < bestSSE {
				bestTau, bestSSE = tau, sse
			}
		}
		if bestTau > 0 {
			if lv := int(3 * bestTau / w.stepD); lv > from && first-lv >= max(minRows, int(2*hourMs/w.step)) {
				for i := from; i < lv; i++ {
					w.seg[i] = -1
				}
				from = lv
				an.fitLo = from
			}
		}
		an.fit = w.backfit(shape{kind: shLinear}, from, 2, &an.prof, 0)
		an.model = "linear, previous run"
		an.ageNow = 0
		return
	}
	lo := w.bounds[1]
	if complete == 0 {
		lo = an.curStart
	}
	an.fitLo = lo
	nid := int(id)
	w.setLnAge()
	base := w.backfit(shape{kind: shPow, p: 1}, lo, nid, &an.prof, 2)
	best := base.sh
	bestSSE := base.sse
	w.setZ(lo)
	for _, p := range powers[1:] {
		if sse, _, ok := w.fitSSE(shape{kind: shPow, p: p}, lo, nid); ok && sse < bestSSE {
			best, bestSSE = shape{kind: shPow, p: p}, sse
		}
	}
	if best.p > 1 {
		best.p, bestSSE = w.refine(shPow, best.p, bestSSE, lo, nid, 1, powers[len(powers)-1])
	}
	// A warm-up that levels off: only when the data show the plateau.
	typ := an.ageNow
	if len(lens) > 0 {
		typ = medianCopy(lens)
	}
	for _, tau := range satTaus {
		if tau > plateauFrac*typ {
			break
		}
		if sse, beta, ok := w.fitSSE(shape{kind: shSat, p: tau}, lo, nid); ok && beta > 0 && sse < bestSSE {
			best, bestSSE = shape{kind: shSat, p: tau}, sse
		}
	}
	an.fit = w.backfit(best, lo, nid, &an.prof, 1)
}

// refine searches the parameter p of a one-regressor shape of the given
// kind around its value (from p/1.5 to 1.5·p, within [lo, hi]) for the
// smallest residual sum of squares on the current w.z, by golden-section
// search; sse is the sum of squares at p. It returns the best parameter and
// its sum of squares. Exponential and saturating shapes must keep a
// positive coefficient.
func (w *work) refine(kind shapeKind, p, sse float64, from, nseg int, lo, hi float64) (float64, float64) {
	a, b := math.Max(lo, p/1.5), math.Min(hi, p*1.5)
	at := func(x float64) float64 {
		s, beta, ok := w.fitSSE(shape{kind: kind, p: x}, from, nseg)
		if !ok || (kind != shPow && beta <= 0) {
			return math.Inf(1)
		}
		return s
	}
	if q, s := goldenMin(at, a, b, 10); s < sse {
		p, sse = q, s
	}
	return p, sse
}

func medianCopy(v []float64) float64 {
	c := append([]float64(nil), v...)
	return median(c)
}

// shapeUncertainty estimates the variance of the shape parameter of a
// non-linear trend (ρ, p or τ) from the curvature of the residual sum of
// squares: var(θ) ≈ 2·σ²·HAC / (d²SSE/dθ²), and keeps the fit at θ+δ to
// propagate it to the path.
func (w *work) shapeUncertainty(an *analysis) {
	f := &an.fit
	switch f.sh.kind {
	case shExp, shPow, shSat:
	default:
		return
	}
	p := f.sh.p
	d := 0.02 * p
	nseg := f.nseg
	up := w.fit(shape{kind: f.sh.kind, p: p + d}, f.lo, nseg, false)
	dn := w.fit(shape{kind: f.sh.kind, p: p - d}, f.lo, nseg, false)
	if !up.ok || !dn.ok {
		return
	}
	curv := (up.sse - 2*f.sse + dn.sse) / (d * d)
	if !(curv > 0) {
		return
	}
	an.alt, an.altDelta = up, d
	an.pVar = 2 * f.sigma2 * f.pathHAC() / curv
	if f.sh.kind == shPow && an.nseg <= 1 && an.ageNow > 0 {
		w.originUncertainty(an, d, curv, up.sse, dn.sse)
	}
}

// originUncertainty sets the joint variance of the exponent p and the
// origin a₀ of a power curve with a free origin (power.go): the Hessian H
// of the residual sum of squares in (p, a₀) by central differences (steps
// d in p, e = 2% of a₀ in the ages), Σ = 2·σ²·HAC·H⁻¹. The two lie on a
// ridge, so the variance of p alone, given a₀, is far too small. It
// leaves the one-parameter variance when H is not positive definite.
func (w *work) originUncertainty(an *analysis, d, hpp, sseUp, sseDn float64) {
	f := &an.fit
	a0 := w.age[f.lo]
	e := 0.02 * a0
	if !(e > 0) {
		return
	}
	shift := func(by float64) {
		for i := f.lo; i < w.n; i++ {
			w.age[i] += by
		}
	}
	sh := f.sh
	up := shape{kind: shPow, p: sh.p + d}
	dn := shape{kind: shPow, p: sh.p - d}
	shift(e)
	fa := w.fit(sh, f.lo, f.nseg, false)
	fpa := w.fit(up, f.lo, f.nseg, false)
	shift(-2 * e)
	fb := w.fit(sh, f.lo, f.nseg, false)
	fmm := w.fit(dn, f.lo, f.nseg, false)
	shift(e)
	if !fa.ok || !fb.ok || !fpa.ok || !fmm.ok {
		return
	}
	haa := (fa.sse - 2*f.sse + fb.sse) / (e * e)
	hpa := (fpa.sse + fmm.sse - sseUp - sseDn - fa.sse - fb.sse + 2*f.sse) / (2 * d * e)
	det := hpp*haa - hpa*hpa
	if !(haa > 0) || !(det > 0) {
		return
	}
	k := 2 * f.sigma2 * f.pathHAC() / det
	an.pVar, an.pCov, an.aVar = k*haa, -k*hpa, k*hpp
	an.alt2, an.alt2Delta = fa, e
}

// levelCorrection sets an.offset to the median residual of the fitted
// rows of the current segment in the last days, and an.levelVar to its
// variance; it leaves w.tmp holding those residuals and reports false
// (changing nothing) when there are fewer than 20.
func (w *work) levelCorrection(an *analysis, days float64) bool {
	from := max(an.fitLo, an.curStart, w.n-1-int(days/w.stepD))
	w.tmp = w.tmp[:0]
	for i := from; i < w.n; i++ {
		if r := w.res[i]; !math.IsNaN(r) && w.seg[i] >= 0 && w.seg[i] == w.seg[w.n-1] {
			w.tmp = append(w.tmp, r)
		}
	}
	if len(w.tmp) < 20 {
		return false
	}
	q50 := median(w.tmp)
	var ss float64
	for _, r := range w.tmp {
		ss += (r - q50) * (r - q50)
	}
	// Variance of a median of AR(1) values: π/2 · σ² · HAC / n.
	an.offset = q50
	an.levelVar = math.Pi / 2 * ss / float64(len(w.tmp)) * an.fit.pathHAC() / float64(len(w.tmp))
	return true
}

// envelope sets the level correction and the envelope of a fast sawtooth
// from the residuals of the last envelopeDays of the current segment.
func (w *work) envelope(an *analysis) {
	if !w.levelCorrection(an, envelopeDays) {
		return
	}
	// The quantile ratio needs independent residuals: without frequent
	// drops (the falls of a slow sawtooth, whose ramps are correlated by
	// nature) count them with the effective sample size n·(1−φ)/(1+φ) of
	// AR(1) residuals, or wandering correlated noise passes for a sawtooth.
	nEff := float64(len(w.tmp))
	if !an.frequent {
		nEff /= an.fit.hac()
	}
	if nEff < envelopeMinPoints {
		return
	}
	// Rounding noise of an exact line is no sawtooth.
	if iqr := quantile(w.tmp, 0.75) - quantile(w.tmp, 0.25); iqr <= 1e-9*(math.Abs(w.y[w.n-1])+an.rng) {
		return
	}
	r95 := quantile(w.tmp, 0.975) - quantile(w.tmp, 0.025)
	iqr := quantile(w.tmp, 0.75) - quantile(w.tmp, 0.25)
	a, sigma := envelopeSplit(r95, iqr)
	if a >= envelopeMinRatio*sigma {
		an.envA = a
	}
	an.structured = an.envA > 0 || (an.frequent && an.prof.on)
}

// classify names the pattern.
func (w *work) classify(an *analysis, scale, horizonDays float64) Pattern {
	f := &an.fit
	material := func(slope float64) bool {
		return math.Abs(slope)*horizonDays >= materialFrac*scale &&
			(an.slopeSE == 0 || math.Abs(slope) >= slopeT*an.slopeSE)
	}
	growing := an.slope > 0 && material(an.slope)
	an.growing = growing
	shrinking := an.slope < 0 && material(an.slope)
	if an.nseg > 1 {
		switch {
		case f.sh.kind == shSat:
			an.model = "warm-up since restart"
			return PatternRampPlateau
		case growing:
			if an.model == "" {
				an.model = "growth since restart"
				if f.sh.p > 1 {
					an.model = "accelerating growth since restart"
				}
			}
			return PatternLeak
		case shrinking:
			if an.model == "" {
				an.model = "trend since restart"
			}
			return PatternDecreasing
		}
		if an.model == "" {
			an.model = "level since restart"
		}
		return PatternFlat
	}
	structure := func() Pattern {
		sharp := an.prof.on && an.prof.drop > 0.5*an.prof.amp
		switch {
		case sharp && an.prof.spike < batchSpike:
			return PatternDailyBatch
		case an.frequent || an.envA > 0 || sharp:
			return PatternSawtooth
		case an.prof.on:
			return PatternSeasonal
		}
		return ""
	}
	name := "linear"
	switch f.sh.kind {
	case shQuad:
		name = "quadratic"
	case shExp:
		name = "exponential"
	case shPow:
		name = "power " + strconv.FormatFloat(f.sh.p, 'g', 2, 64)
	}
	if an.prof.on {
		name += "+daily"
		if an.prof.split {
			name += "/weekend"
		}
	}
	if an.envA > 0 {
		name += "+envelope"
	}
	if an.kinkAt >= 0 {
		name += " since a change of rate"
	}
	if an.model == "" {
		an.model = name
	}
	switch {
	case an.stepAt >= 0:
		return PatternStep
	case f.sh.kind == shQuad || f.sh.kind == shExp || f.sh.kind == shPow:
		return PatternAccelerating
	case shrinking:
		return PatternDecreasing
	case growing:
		if s := structure(); s == PatternSawtooth {
			return s
		}
		return PatternSteadyGrowth
	}
	if s := structure(); s != "" {
		return s
	}
	return PatternFlat
}
