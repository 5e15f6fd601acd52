package anomaly

import (
	"math"
	"sort"
)

// TailConfig configures a Tail. The zero value uses the documented
// defaults.
type TailConfig struct {
	// History is the number of recent values the tails are estimated from;
	// default 4096.
	History int
	// Min is the number of values needed before any probability below 1 is
	// reported; default 100.
	Min int
	// Fraction is the share of the history in each tail that the
	// generalised Pareto distribution is fitted to; default 0.05 (and at
	// least 10 values).
	Fraction float64
	// MinScale is a floor on the fitted Pareto scale, in the units of the
	// values; default 0. The scale is also never below a tenth of the
	// distance from the median to the tail's threshold, so that a tail of
	// equal values (quantised data) does not make the smallest excess
	// beyond it impossible; only a history of equal values (a constant
	// stream) has a tail of scale MinScale.
	MinScale float64
	// Refit is how often, in values added, the tails are re-fitted;
	// default 16.
	Refit int
	// MaxShape caps the fitted shape ξ; default 0.5.
	MaxShape float64
}

func (c TailConfig) withDefaults() TailConfig {
	if c.History <= 0 {
		c.History = 4096
	}
	if c.Min <= 0 {
		c.Min = 100
	}
	if c.Fraction <= 0 || c.Fraction >= 0.5 {
		c.Fraction = 0.05
	}
	if c.MinScale < 0 {
		c.MinScale = 0
	}
	if c.Refit <= 0 {
		c.Refit = 16
	}
	if c.MaxShape == 0 {
		c.MaxShape = 0.5
	}
	if c.MaxShape < 0 {
		c.MaxShape = 0
	}
	return c
}

// Tail estimates how unusual a value is against the recent values of the
// same stream: the probability, under the stream's own recent distribution,
// of a value at least as extreme. Inside the body of the distribution it is
// the empirical frequency; in each tail (the Fraction most extreme values)
// it is a generalised Pareto distribution fitted to the excesses over the
// tail's threshold, the peaks-over-threshold method of extreme value theory
// (Pickands 1975; Balkema and de Haan 1974; used for streams by Siffer et
// al. 2017, "Anomaly detection in streams with extreme value theory", KDD):
//
//	P(X ≥ x) = (k+1)/(n+1)                      x ≤ u, k = #{past ≥ x}
//	P(X ≥ x) = q · (1 + ξ(x−u)/σ)^(−1/ξ)        x > u  (q·e^{−(x−u)/σ} at ξ = 0)
//
// where u is the threshold of the upper tail, q = m/n the share of the
// history above it, and σ, ξ are fitted to the m excesses by matching two
// of their quantiles (robust to the anomalies the history itself holds),
// with ξ clamped to [0, 1/2]: the tail is never assumed to be lighter than
// exponential, so extrapolated probabilities err on the large
// (unsurprising) side. Lower tails are the same on −x.
//
// The history is a window of the last History values; the tails are
// re-fitted every Refit values. NaN and ±Inf values are ignored by Add; an
// infinite x has probability 0 in its tail. Cost: Add O(log History) plus
// a memmove of up to History values (the sorted window), Upper and Lower
// O(log History), a refit O(Fraction·History); memory 16·History bytes.
type Tail struct {
	cfg    TailConfig
	hist   *Rolling
	since  int
	up, lo paretoFit
}

// paretoFit is a fitted tail: threshold u, share q, scale σ, shape ξ.
type paretoFit struct {
	u, q, sigma, xi float64
	ok              bool
}

// NewTail returns a Tail with cfg (zero fields take defaults).
func NewTail(cfg TailConfig) *Tail {
	cfg = cfg.withDefaults()
	return &Tail{cfg: cfg, hist: NewRolling(cfg.History)}
}

// Len returns the number of values in the history.
func (t *Tail) Len() int { return t.hist.Len() }

// Ready reports whether the history holds at least Min values.
func (t *Tail) Ready() bool { return t.hist.Len() >= t.cfg.Min }

// Add adds x to the history (ignored when not finite).
func (t *Tail) Add(x float64) {
	if !finite(x) {
		return
	}
	t.hist.Push(x)
	t.since--
}

// Upper returns P(X ≥ x) under the history, 1 until the history is Ready.
func (t *Tail) Upper(x float64) float64 {
	if !t.Ready() || math.IsNaN(x) {
		return 1
	}
	s := t.hist.sorted
	n := len(s)
	if x <= s[n-1] {
		return (above(s, x) + 1) / float64(n+1)
	}
	t.refit()
	return t.up.extrapolate(s[n-1]-t.up.u, x-t.up.u, n)
}

// Lower returns P(X ≤ x) under the history, 1 until the history is Ready.
func (t *Tail) Lower(x float64) float64 {
	if !t.Ready() || math.IsNaN(x) {
		return 1
	}
	s := t.hist.sorted
	n := len(s)
	if x >= s[0] {
		return (below(s, x) + 1) / float64(n+1)
	}
	t.refit()
	return t.lo.extrapolate(t.lo.u-s[0], t.lo.u-x, n)
}

// above returns the number of values of sorted s above x, interpolated
// linearly between the order statistics around x (so that it varies
// continuously with x): n − (i + (x − s_i)/(s_{i+1} − s_i)) − 1 with s_i
// the largest value ≤ x, n when x < s_0, and the count of values equal to
// x when x is one of them. s must not be empty.
func above(s []float64, x float64) float64 {
	n := len(s)
	j := sort.SearchFloat64s(s, x) // first ≥ x
	if j < n && s[j] == x {
		return float64(n - j - 1)
	}
	if j == 0 {
		return float64(n)
	}
	i := j - 1 // s[i] < x ≤ s[j]
	f := (x - s[i]) / (s[j] - s[i])
	return float64(n-1-i) - f
}

// below mirrors above for the lower tail.
func below(s []float64, x float64) float64 {
	n := len(s)
	j := sort.Search(n, func(i int) bool { return s[i] > x }) // first > x
	if j > 0 && s[j-1] == x {
		return float64(j - 1)
	}
	if j == n {
		return float64(n)
	}
	i := j // s[i-1] < x < s[i]
	if i == 0 {
		return 0
	}
	f := (s[i] - x) / (s[i] - s[i-1])
	return float64(i) - f
}

// refit re-fits both tails when Refit values were added since the last fit.
func (t *Tail) refit() {
	if t.since > 0 {
		return
	}
	t.since = t.cfg.Refit
	s := t.hist.sorted
	n := len(s)
	m := max(10, int(math.Ceil(t.cfg.Fraction*float64(n))))
	if m >= n {
		t.up.ok, t.lo.ok = false, false
		return
	}
	// Upper tail: the m largest values above u, the (m+1)-th largest.
	u := s[n-m-1]
	med := quantileSorted(s, 0.5)
	t.up = fitPareto(u, float64(m)/float64(n), math.Max(t.cfg.MinScale, (u-med)/10), t.cfg.MaxShape, func(i int) float64 { return s[n-m+i] - u }, m)
	l := s[m]
	t.lo = fitPareto(l, float64(m)/float64(n), math.Max(t.cfg.MinScale, (med-l)/10), t.cfg.MaxShape, func(i int) float64 { return l - s[i] }, m)
}

// fitPareto fits σ, ξ to m sorted excesses y(0) ≤ … ≤ y(m−1) by matching
// the median and the 90th percentile of the excesses to those of the
// generalised Pareto distribution, Q(F) = σ((1−F)^−ξ − 1)/ξ: their ratio
// R = (10^ξ − 1)/(2^ξ − 1) is increasing in ξ (ln 10/ln 2 at ξ = 0), so ξ
// follows by bisection, clamped to [0, 1/2] (ξ = 0 is the exponential),
// and σ = Q(0.5)·ξ/(2^ξ − 1). Quantiles, unlike moments, are not moved by
// the few extreme values an anomaly adds to the history. σ is floored at
// minScale.
func fitPareto(u, q, minScale, maxXi float64, y func(int) float64, m int) paretoFit {
	at := func(f float64) float64 { // type-7 quantile of the excesses
		h := f * float64(m-1)
		i := int(h)
		if i+1 >= m {
			return y(m - 1)
		}
		return y(i) + (h-float64(i))*(y(i+1)-y(i))
	}
	med, q90 := at(0.5), at(0.9)
	xi := 0.0
	if med > 0 {
		r := q90 / med
		ratio := func(x float64) float64 {
			if x < 1e-9 {
				return math.Ln10 / math.Ln2
			}
			return math.Expm1(x*math.Ln10) / math.Expm1(x*math.Ln2)
		}
		if r >= ratio(maxXi) {
			xi = maxXi
		} else if r > ratio(0) {
			lo, hi := 0.0, maxXi
			for range 40 {
				mid := (lo + hi) / 2
				if ratio(mid) < r {
					lo = mid
				} else {
					hi = mid
				}
			}
			xi = (lo + hi) / 2
		}
	}
	sigma := med / math.Ln2
	if xi > 0 {
		sigma = med * xi / math.Expm1(xi*math.Ln2)
	}
	return paretoFit{u: u, q: q, sigma: math.Max(sigma, minScale), xi: xi, ok: true}
}

// extrapolate returns P(X ≥ x) for a value with excess y beyond the
// largest excess ya of the history (both over the tail's threshold) in a
// history of n: 1/(n+1), the chance that a new value beats all n, times
// S(y)/S(ya), how much rarer the fitted tail makes beating them by that
// much.
func (f paretoFit) extrapolate(ya, y float64, n int) float64 {
	p := 1 / float64(n+1)
	if !f.ok || y <= ya {
		return p
	}
	s0 := f.survival(math.Max(ya, 0))
	if s0 <= 0 {
		return 0
	}
	return p * math.Min(1, f.survival(y)/s0)
}

// survival returns P(Y ≥ y) for an excess y ≥ 0 (1 at y = 0).
func (f paretoFit) survival(y float64) float64 {
	switch {
	case math.IsInf(y, 1):
		return 0
	case f.sigma <= 0:
		if y > 0 {
			return 0
		}
		return 1
	case f.xi == 0:
		return math.Exp(-y / f.sigma)
	}
	return math.Pow(1+f.xi*y/f.sigma, -1/f.xi)
}
