package anomaly

import (
	"math"
	"sort"

	"github.com/omenhq/omen/stats"
)

// TailConfig configures a Tail. The zero value uses the documented
// defaults.
type TailConfig struct {
	// History is the number of recent values kept; default 4096 (two weeks
	// of 5-minute samples).
	History int
	// Min is the number of values needed before any probability below 1 is
	// reported; default 100.
	Min int
	// Fraction is the share of the history, at each end, whose excesses
	// give the scale of the tail beyond the most extreme value; default
	// 0.05 (and at least 10 values).
	Fraction float64
	// MinScale is a floor on that scale, in the units of the values;
	// default 0. The scale is also never below a tenth of the distance from
	// the median to the tail's threshold, so that a tail of equal values
	// (quantised data) does not make the smallest step beyond it
	// impossible; only a constant history has a tail of scale MinScale.
	MinScale float64
	// Refit is how often, in values added, the scales are re-estimated;
	// default 16.
	Refit int
	// Anchor is the rank, from either end, of the value the extrapolation
	// starts from; default 1 (the most extreme value). With Anchor k the
	// k−1 most extreme values of the history do not widen its range: a
	// value beyond the k-th most extreme one has probability
	// k/(n+1)·(1 + (x − x_(k))/(m·σ))^{−m}.
	Anchor int
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
	if c.Anchor <= 0 {
		c.Anchor = 1
	}
	return c
}

// Tail estimates how unusual a value is against the recent values of the
// same stream: the probability of a value at least as extreme. Within the
// range of the history it is the empirical frequency, interpolated between
// order statistics so that it varies continuously; beyond the most extreme
// value it is the chance of beating all n values, 1/(n+1), times how much
// rarer an exponential tail of uncertain scale makes beating them by that
// much:
//
//	P(X ≥ x) = (k(x) + 1)/(n + 1)                     x ≤ max,  k(x) ≈ #{past > x}
//	P(X ≥ x) = (1 + (x − max)/(m·σ))^{−m} / (n + 1)   x > max
//
// and the same on −x for the lower tail. σ is the scale of the excesses
// over the tail's threshold u (the value with a share Fraction of the
// history beyond it), estimated from their median as the exponential's
// σ = median/ln 2 — a quantile, so the few extreme values a past anomaly
// left in the history do not move it (peaks over threshold; Pickands 1975,
// Balkema and de Haan 1974; Siffer et al. 2017, "Anomaly detection in
// streams with extreme value theory", KDD). m = m_exc·(ln 2)² is the
// information of that median of m_exc excesses (its relative standard
// error is 1/(ln 2·√m_exc)), and the power law is the exponential's
// posterior predictive given it: e^{−(x − max)/σ} for a long history,
// heavier for a young one, whose scale may be too small. An exponential
// tail is the Gumbel domain of attraction of the normal, gamma, log-normal
// and most metrics; on heavier tails it makes distant values look rarer
// than they are.
//
// The empirical part is a conformal p-value: for exchangeable values it is
// never too small. The history is a window of the last History values; the
// scales are re-estimated every Refit values. NaN and ±Inf values are
// ignored by Add; an infinite x has probability 0. Cost: Add O(log History)
// plus a memmove of the values ranked between the evicted and the new one,
// Upper and Lower O(log History), a refit O(Fraction·History); memory
// 16·History bytes.
type Tail struct {
	cfg    TailConfig
	hist   *Rolling
	since  int
	up, lo float64 // scales of the upper and lower tails
	m      float64 // the information of those scales, in excesses
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
	k := min(t.cfg.Anchor, n)
	if x <= s[n-k] {
		return (above(s, x) + 1) / float64(n+1)
	}
	t.refit()
	return float64(k) * beyond(x-s[n-k], t.up, t.m, n)
}

// Lower returns P(X ≤ x) under the history, 1 until the history is Ready.
func (t *Tail) Lower(x float64) float64 {
	if !t.Ready() || math.IsNaN(x) {
		return 1
	}
	s := t.hist.sorted
	n := len(s)
	k := min(t.cfg.Anchor, n)
	if x >= s[k-1] {
		return (below(s, x) + 1) / float64(n+1)
	}
	t.refit()
	return float64(k) * beyond(s[k-1]-x, t.lo, t.m, n)
}

// beyond is the probability of exceeding all n values of the history by
// d > 0 under an exponential tail whose scale sigma was estimated with the
// information of m excesses: the posterior predictive under the
// scale-invariant prior on the exponential's rate, the Lomax
//
//	P(excess ≥ d) = (1 + d/(m·σ))^(−m)
//
// which is e^(−d/σ) as m grows and heavier for a young tail, whose scale
// may be taken too small: with the rate's posterior Gamma(m, m·σ), the
// exponential–gamma mixture. A non-positive sigma or an infinite d gives 0.
func beyond(d, sigma, m float64, n int) float64 {
	if sigma <= 0 || math.IsInf(d, 1) {
		return 0
	}
	return math.Exp(-m*math.Log1p(d/(m*sigma))) / float64(n+1)
}

// above returns the number of values of sorted s above x, interpolated
// linearly between the order statistics around x so that it varies
// continuously with x: n − 1 − i − (x − s_i)/(s_{i+1} − s_i) for
// s_i < x < s_{i+1}, n − 1 − j at a value whose first copy is s_j (so the
// largest value has 0), n below the smallest. s must not be empty.
func above(s []float64, x float64) float64 {
	n := len(s)
	j := sort.SearchFloat64s(s, x) // first ≥ x
	if j < n && s[j] == x {
		return float64(n - j - 1)
	}
	if j == 0 {
		return float64(n)
	}
	i := j - 1 // s[i] < x < s[j]
	return float64(n-1-i) - (x-s[i])/(s[j]-s[i])
}

// below mirrors above for the lower tail: the smallest value has 0.
func below(s []float64, x float64) float64 {
	n := len(s)
	j := sort.Search(n, func(i int) bool { return s[i] > x }) // first > x
	if j > 0 && s[j-1] == x {
		return float64(j - 1)
	}
	if j == n {
		return float64(n)
	}
	if j == 0 {
		return 0
	}
	// s[j-1] < x < s[j]
	return float64(j) - (s[j]-x)/(s[j]-s[j-1])
}

// refit re-estimates both scales when Refit values were added since the
// last estimate.
func (t *Tail) refit() {
	if t.since > 0 {
		return
	}
	t.since = t.cfg.Refit
	s := t.hist.sorted
	n := len(s)
	m := min(n-1, max(10, int(math.Ceil(t.cfg.Fraction*float64(n)))))
	med := stats.QuantileSorted(s, 0.5)
	u, l := s[n-1-m], s[m] // the (m+1)-th largest and smallest
	// The median of the m excesses over u is the excess of the value
	// ranked m/2 from the top. It has a relative standard error of
	// 1/(ln 2·√m), the information of m·(ln 2)² excesses whose mean gave
	// the scale: beyond counts that uncertainty in its predictive tail, so
	// that a scale taken too small does not make every value beyond the
	// extreme look impossible.
	t.m = float64(m) * math.Ln2 * math.Ln2
	t.up = math.Max(t.cfg.MinScale, math.Max((u-med)/10, (stats.QuantileSorted(s[n-m:], 0.5)-u)/math.Ln2))
	t.lo = math.Max(t.cfg.MinScale, math.Max((med-l)/10, (l-stats.QuantileSorted(s[:m], 0.5))/math.Ln2))
}
