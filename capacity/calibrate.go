package capacity

import (
	"math"

	"github.com/omenhq/omen/stats"
)

// Interval calibration by rolling-origin backtests.
//
// The model's own standard deviation of the path (parameter variance with
// an autocorrelation inflation) is right only when the model is the true
// shape of the data: a straight line fitted to a logistic curve, a leak
// that grows in steps, a growth rate that changed, noise that wanders for
// days are all far outside it, and 14 days of 5-minute data make the
// parameter variance tiny — "80% between 4.0d and 4.0d". So the interval is
// calibrated on the history itself, as split-conformal prediction does
// for regression (Lei, G'Sell, Rinaldo, Tibshirani & Wasserman 2018,
// "Distribution-free predictive inference for regression", JASA: the
// quantiles of the errors on data the fit did not see bound the next
// error) with the calibration set made by rolling-origin evaluation, as
// for time series (Tashman 2000, "Out-of-sample tests of forecasting
// accuracy: an analysis and review", IJF 16(4)):
//
//  1. Origins o inside the fitted data (calOrigins of them, from
//     calFirstFrac of the fitted span to its end, never with less than
//     calMinFit before them) refit the same model — the shape, the
//     segments and the daily profile chosen on the whole window — on the
//     rows before o only, with the level correction of its last days.
//  2. Each origin predicts the hourly means of the data after it, as far
//     as its run goes: where would the forecast have been, where did the
//     series go. The score is the error ȳ − ŷ in the series' unit.
//  3. The scores are grouped by horizon (calBins, doubling from 6 hours);
//     in each group the 10% and 90% quantiles give the distances below
//     and above the mean path, non-decreasing with the horizon
//     (uncertainty does not shrink as the forecast reaches further); the
//     band is the wider of these and the model's own ±1.2816 standard
//     deviations. A score is the error of an hourly mean of the observed
//     series, so it carries the measurement noise of that mean, which the
//     resource's path — what the ETA is about — does not. For a
//     continuous series whose residuals are not part of the signal (not
//     structured, no sawtooth envelope), each quantile's distance from
//     the group's median is reduced in quadrature (deconvolve) by 1.2816·s,
//     s the noise of an hourly mean: the quantiles are then nearer those
//     of the forecast error of the path, as for a sum of independent
//     Gaussians. s is the smaller of hourlyNoise (hour-to-hour differences
//     of the hourly mean residuals, which also count a staircase's steps)
//     and shortLagNoise (AR(1) noise fitted to the variogram at lags of
//     one and two samples, which also counts a random walk): each can
//     only take signal for noise, so the smaller errs least. Runs cut at
//     restarts keep the noise: their backtests see the current and earlier
//     runs only, and the next kill's error (a staircase's step at the
//     limit, a deploy after the as-of instant) is larger than they show —
//     with the noise left out, staircase leaks lost 4 to 21 points of
//     coverage on the development draws. Without it the band over-covers
//     wherever the model is right (steady fills, exact exponentials).
//  4. Beyond H, the mean horizon of the scores of the last group, the
//     band grows as (h/H)^γ, γ the growth of the mean absolute error
//     between the last two groups (on their mean horizons), clamped to
//     [1, 2]: a slope error grows as h, an unmodelled curvature as h².
//     That is also how a short window widens its interval: one day of
//     data backtests a few hours ahead, and a prediction days ahead is an
//     extrapolation far beyond what was checked. Without any backtest
//     (under 2·calMinFit of data) the model's band grows as h/H with H a
//     quarter of the fitted span.
//
// The P50 stays the model's crossing; only the band moves, and it is
// zero-width only when every backtest error is zero (noiseless data the
// model fits exactly).

// Calibration settings (global, documented above).
const (
	// calOrigins is the number of backtest origins.
	calOrigins = 8
	// calFirstFrac is where the first origin lies in the fitted span.
	calFirstFrac = 0.4
	// calMinFit is the least data (days) an origin is fitted on.
	calMinFit = 6.0 / 24
	// calLevelDays is the recent history whose median residual corrects
	// an origin's level (as envelopeDays does for the final fit).
	calLevelDays = envelopeDays
	// calMinScores is the fewest scores a horizon group needs.
	calMinScores = 6
)

// calBins are the upper edges (days) of the horizon groups.
var calBins = [...]float64{0.25, 0.5, 1, 2, 4, 8, math.Inf(1)}

// calibration holds the band's distances below and above the mean path
// per horizon group (oriented units) and how they grow beyond the last.
type calibration struct {
	ok       bool
	lo, hi   [len(calBins)]float64 // distances (≥ 0) below and above the mean
	reach    float64               // mean horizon of the last group's scores, days
	growth   float64               // exponent of the error growth beyond reach
	fallback float64               // H without backtests, days
}

// band returns the distances below and above the mean path at horizon x
// days, given the model's standard deviation sd there.
func (c *calibration) band(x, sd float64) (lo, hi float64) {
	lo, hi = normQuantile80*sd, normQuantile80*sd
	reach := c.fallback
	var blo, bhi float64
	if c.ok {
		k := 0
		for k < len(calBins)-1 && x > calBins[k] {
			k++
		}
		blo, bhi, reach = c.lo[k], c.hi[k], c.reach
	}
	if reach > 0 && x > reach {
		g := x / reach
		if c.ok {
			g = math.Pow(g, c.growth)
		}
		if !c.ok {
			// No backtest: the model's own band, extrapolated.
			return lo * g, hi * g
		}
		blo, bhi = blo*g, bhi*g
	}
	return math.Max(lo, blo), math.Max(hi, bhi)
}

// calibrate runs the backtests of the fitted model of an (see the comment
// above) and sets an.cal.
func (w *work) calibrate(an *analysis) {
	f := &an.fit
	an.cal = calibration{}
	if !f.ok {
		return
	}
	lo, n := f.lo, w.n
	span := float64(n-1-lo) * w.stepD
	an.cal.fallback = span / 4
	if span < 2*calMinFit {
		return
	}
	w.setZ(lo)
	blk := max(1, int(hourMs/w.step))
	first := lo + max(int(calFirstFrac*float64(n-lo)), int(calMinFit/w.stepD))
	if first >= n-blk {
		return
	}
	// Scores per level window (levelWindows): the level correction of an
	// origin is the median residual of its last levelWindows[v] days.
	var zsv [len(levelWindows)][len(calBins)][]float64
	for v := range zsv {
		for k := range zsv[v] {
			zsv[v][k] = w.calZ[v][k][:0]
		}
	}
	var hsum [len(calBins)]float64
	var abse [len(levelWindows)]float64
	lvlRows := int(calLevelDays / w.stepD)
	for k := range calOrigins {
		o := first + (n-blk-first)*k/calOrigins
		if o <= lo || w.seg[o-1] < 0 {
			continue
		}
		w.n = o
		fo := w.fit(f.sh, lo, f.nseg, false)
		w.n = n
		if !fo.ok {
			continue
		}
		fo.lrv = f.lrv
		cur := w.seg[o-1]
		// The level correction: the median residual of the last days.
		w.bt = w.bt[:0]
		for i := max(lo, o-lvlRows); i < o; i++ {
			if w.seg[i] == cur && !math.IsNaN(w.z[i]) {
				w.bt = append(w.bt, w.z[i]-fo.value(w.xs[i], w.age[i]))
			}
		}
		// w.bt runs forward in time, so the last k of it are the last
		// rows before the origin.
		var off [len(levelWindows)]float64
		for v, d := range levelWindows {
			k := min(len(w.bt), int(d/w.stepD))
			if k >= 12 {
				w.tmp2 = append(w.tmp2[:0], w.bt[len(w.bt)-k:]...)
				off[v] = median(w.tmp2)
			} else {
				off[v] = off[max(v-1, 0)]
			}
		}
		for j := o; j+blk <= n; j += blk {
			var se, c float64
			stop := false
			for i := j; i < j+blk; i++ {
				if w.seg[i] != cur {
					stop = true
					break
				}
				if z := w.z[i]; !math.IsNaN(z) {
					se += z - fo.value(w.xs[i], w.age[i])
					c++
				}
			}
			if stop {
				break
			}
			if 2*c < float64(blk) {
				continue
			}
			mid := j + blk/2
			h := float64(mid-(o-1)) * w.stepD
			b := 0
			for b < len(calBins)-1 && h > calBins[b] {
				b++
			}
			for v := range levelWindows {
				e := se/c - off[v]
				zsv[v][b] = append(zsv[v][b], e)
				abse[v] += math.Abs(e)
			}
			hsum[b] += h
		}
	}
	w.calZ = zsv // keep the buffers
	// The level window: envelopeDays when the residuals are part of the
	// signal, else the one whose backtests erred least.
	lv := 0
	if !an.structured && an.envA == 0 {
		for v := range levelWindows {
			if abse[v] < abse[lv] {
				lv = v
			}
		}
		if lv > 0 {
			w.levelCorrection(an, levelWindows[lv])
		}
	}
	zs := zsv[lv]
	// The measurement noise of an hourly mean, which the scores carry and
	// the path does not — unless the residuals are the signal, or the
	// series is cut into runs (see above).
	noise := 0.0
	if !an.structured && an.envA == 0 && an.nseg <= 1 {
		noise = normQuantile80 * math.Min(w.hourlyNoise(f, lo, blk), w.shortLagNoise(lo, blk))
	}
	c := &an.cal
	prevLo, prevHi := 0.0, 0.0
	found := false
	// The growth of the error with the horizon between the last two
	// groups with scores: the mean absolute error against the horizon's
	// logarithm, clamped to [1, 2] (a slope error grows as h, an
	// unmodelled curvature as h²).
	var hPrev, hLast, ePrev, eLast float64
	for b := range calBins {
		if len(zs[b]) >= calMinScores {
			med := median(zs[b])
			q10 := deconvolve(med-stats.Quantile(zs[b], 0.1), noise) - med
			q90 := med + deconvolve(stats.Quantile(zs[b], 0.9)-med, noise)
			prevLo = math.Max(prevLo, q10)
			prevHi = math.Max(prevHi, q90)
			found = true
			hPrev, ePrev = hLast, eLast
			hLast, eLast = 0, 0
			for _, e := range zs[b] {
				eLast += math.Abs(e)
			}
			eLast /= float64(len(zs[b]))
			hLast = hsum[b] / float64(len(zs[b]))
		}
		c.lo[b], c.hi[b] = prevLo, prevHi
	}
	if !found {
		return
	}
	c.ok = true
	// The last group's distances hold at its scores' mean horizon.
	c.reach = hLast
	c.growth = 1
	if hPrev > 0 && ePrev > 0 && eLast > 0 {
		c.growth = math.Min(math.Max(math.Log(eLast/ePrev)/math.Log(hLast/hPrev), 1), 2)
	}
}

// deconvolve returns the distance d of a quantile from the median of
// scores that are a forecast error plus independent noise whose distance
// of the same quantile is e, as for Gaussians, whose quantile distances
// add in quadrature: √max(d² − e², 0). The scores' quantile is then that
// of the forecast error alone. NaN in, NaN out.
func deconvolve(d, e float64) float64 {
	return math.Sqrt(math.Max(d*d-e*e, 0))
}

// hourlyNoise returns the scale of the hour-to-hour innovations of the
// hourly means of the residuals of f from row lo, √(½·Var(r̄ₖ₊₁ − r̄ₖ))
// (robustVar) over consecutive blocks of blk rows within one run
// (blocks with fewer than half their rows valid are skipped and break
// the sequence): the part of an hourly mean's measurement noise that the
// hours before it do not predict — all of it for short-range noise, a
// fraction for noise that wanders for hours (conservative), one hour's
// steps for a random walk. 0 with fewer than calMinScores differences.
// It uses w.bt as scratch.
func (w *work) hourlyNoise(f *fitResult, lo, blk int) float64 {
	w.bt = w.bt[:0]
	prev, prevSeg := math.NaN(), int32(-1)
	for j := lo; j+blk <= w.n; j += blk {
		sg := w.seg[j]
		var s, c float64
		for i := j; i < j+blk; i++ {
			if w.seg[i] != sg {
				sg = -1
				break
			}
			if z := w.z[i]; !math.IsNaN(z) {
				s += z - f.value(w.xs[i], w.age[i])
				c++
			}
		}
		if sg < 0 || 2*c < float64(blk) {
			prev = math.NaN()
			continue
		}
		m := s / c
		if sg == prevSeg && !math.IsNaN(prev) {
			w.bt = append(w.bt, m-prev)
		}
		prev, prevSeg = m, sg
	}
	if len(w.bt) < calMinScores {
		return 0
	}
	return math.Sqrt(robustVar(w.bt) / 2)
}

// shortLagNoise returns the standard deviation of the mean of m
// consecutive samples of AR(1) noise whose variogram at lags 1 and 2 is
// that of w.y from row lo (arMeanSD), the differences of consecutive
// valid rows of the grid. A trend moves a difference of one or two steps
// by next to nothing and a rare step is an outlier the robust scales
// ignore, so this sees the measurement noise and not the signal's
// structure — except a random walk, whose variogram grows like AR(1)
// noise with φ → 1 (then the estimate is large, and hourlyNoise the
// smaller). It uses w.bt and w.tmp2 as scratch.
func (w *work) shortLagNoise(lo, m int) float64 {
	w.bt, w.tmp2 = w.bt[:0], w.tmp2[:0]
	for i := lo + 1; i < w.n; i++ {
		v := w.y[i]
		if math.IsNaN(v) {
			continue
		}
		if u := w.y[i-1]; !math.IsNaN(u) {
			w.bt = append(w.bt, v-u)
		}
		if i-2 >= lo {
			if u := w.y[i-2]; !math.IsNaN(u) {
				w.tmp2 = append(w.tmp2, v-u)
			}
		}
	}
	return arMeanSD(w.bt, w.tmp2, m)
}

// arMeanSD returns the standard deviation of the mean of m consecutive
// values of AR(1) noise x (stationary variance σ², lag-1 correlation φ),
// given its differences d1 = x_{t+1} − x_t and d2 = x_{t+2} − x_t: with v_k
// the robust variance (1.4826·MAD)² of d_k, v1 = 2σ²(1−φ) and
// v2 = 2σ²(1−φ²), so φ = v2/v1 − 1 (clamped to [0, 0.98], as fitResult.phi
// is) and σ² = v1/(2(1−φ)); then
// Var(x̄) = σ²/m·[(1+φ)/(1−φ) − 2φ(1−φᵐ)/(m(1−φ)²)] (the variance of the
// mean of an AR(1) process, e.g. Box, Jenkins & Reinsel, Time Series
// Analysis, §2.1). It reorders d1 and d2; 0 when either has fewer than
// calMinScores values or no spread. NaN must not be in d1 or d2.
func arMeanSD(d1, d2 []float64, m int) float64 {
	if len(d1) < calMinScores || len(d2) < calMinScores || m < 1 {
		return 0
	}
	v1, v2 := robustVar(d1), robustVar(d2)
	if !(v1 > 0) {
		return 0
	}
	phi := math.Min(math.Max(v2/v1-1, 0), 0.98)
	s2 := v1 / (2 * (1 - phi))
	fm := float64(m)
	f := (1+phi)/(1-phi) - 2*phi*(1-math.Pow(phi, fm))/(fm*(1-phi)*(1-phi))
	return math.Sqrt(math.Max(s2*f/fm, 0))
}

// robustVar returns (1.4826·median|d − median d|)², the variance of a
// Gaussian with the median absolute deviation of d (madScale), reordering
// d in place.
func robustVar(d []float64) float64 {
	_, s := madScale(d)
	return s * s
}

// madScale returns the median of d and 1.4826·median|d − median d|, the
// standard deviation of a Gaussian with that median absolute deviation,
// reordering d in place (it holds |d − median d| on return). NaN must
// not be in d.
func madScale(d []float64) (center, scale float64) {
	center = median(d)
	for i, v := range d {
		d[i] = math.Abs(v - center)
	}
	return center, 1.4826 * median(d)
}

// calibrateFloor widens the band of a curve steeper than the quadratic
// (an.quad set, analyzeContinuous) to the quadratic's backtest errors: the
// backtests refit a model's linear coefficients at every origin but keep
// its shape parameters (ρ, or p and x₀) from the whole window, which makes
// a non-linear curve's errors look smaller than a model refitted in full
// would have made them. The distances per horizon group are the larger of
// the two, the growth beyond the last group the faster, from the earlier
// reach; the level correction stays the chosen model's.
func (w *work) calibrateFloor(an *analysis) {
	keep := *an
	q := an.quad
	q.lrv = an.fit.lrv
	an.fit = q
	w.calibrate(an)
	qc := an.cal
	*an = keep
	c := &an.cal
	switch {
	case !qc.ok:
		return
	case !c.ok:
		*c = qc
		return
	}
	for b := range calBins {
		c.lo[b] = math.Max(c.lo[b], qc.lo[b])
		c.hi[b] = math.Max(c.hi[b], qc.hi[b])
	}
	c.reach = math.Min(c.reach, qc.reach)
	c.growth = math.Max(c.growth, qc.growth)
}
