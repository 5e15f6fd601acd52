package anomaly

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// ShiftConfig configures a RelativeEntropy detector. The zero value uses
// the documented defaults.
type ShiftConfig struct {
	// Recent is the number of latest samples whose distribution is tested;
	// default 52 (as NAB's relativeEntropy detector).
	Recent int
	// Reference is the number of samples the reference distribution is
	// taken from (the recent ones included); default 576.
	Reference int
	// Bins is the number of equal-width bins between the reference's 1%
	// and 99% quantiles; one open bin is added on each side. Default 8.
	Bins int
}

func (c ShiftConfig) withDefaults() ShiftConfig {
	if c.Recent <= 0 {
		c.Recent = 52
	}
	if c.Reference <= 0 {
		c.Reference = 576
	}
	if c.Bins <= 0 {
		c.Bins = 8
	}
	return c
}

// RelativeEntropy detects a change in the distribution of recent values
// (Wang et al. 2011, "Statistical techniques for online anomaly detection
// in data centers", IFIP/IEEE IM, the basis of NAB's relativeEntropy
// detector). With P the histogram of the last Recent values and Q the
// add-one-smoothed histogram of the last Reference values,
//
//	G = 2·n·KL(P ‖ Q) = 2·n·Σ_i P_i ln(P_i/Q_i)
//
// is asymptotically χ² with Bins+1 degrees of freedom when both samples
// come from the same distribution (the G-test). Update returns
// raw = min(1, −log10(p)/10) with p = P(χ² ≥ G), so 1 means p ≤ 1e−10.
// The bin edges and Q are refreshed every Recent samples. It assumes the
// values are exchangeable within the reference window; it reacts to a
// change of shape (spread, modes, plateaus, flat-lining) that leaves the
// mean in place as well as to a shift.
//
// Cost per sample: O(Recent + Bins) plus O(Reference) every Recent samples;
// memory 8·Recent + 16·Reference bytes.
type RelativeEntropy struct {
	cfg     ShiftConfig
	recent  []float64
	head, n int
	ref     *Rolling
	lo, hi  float64
	q, p    []float64
	since   int
	chi     distuv.ChiSquared
}

// NewRelativeEntropy returns a RelativeEntropy detector with cfg (zero
// fields take defaults).
func NewRelativeEntropy(cfg ShiftConfig) *RelativeEntropy {
	cfg = cfg.withDefaults()
	return &RelativeEntropy{
		cfg:    cfg,
		recent: make([]float64, cfg.Recent),
		ref:    NewRolling(cfg.Reference),
		q:      make([]float64, cfg.Bins+2),
		p:      make([]float64, cfg.Bins+2),
		chi:    distuv.ChiSquared{K: float64(cfg.Bins + 1)},
	}
}

func (r *RelativeEntropy) bin(v float64) int {
	if v < r.lo {
		return 0
	}
	if v >= r.hi {
		return r.cfg.Bins + 1
	}
	b := 1 + int(float64(r.cfg.Bins)*(v-r.lo)/(r.hi-r.lo))
	return min(b, r.cfg.Bins)
}

func (r *RelativeEntropy) refresh() {
	r.lo, r.hi = r.ref.Quantile(0.01), r.ref.Quantile(0.99)
	if !(r.hi > r.lo) {
		r.hi = r.lo + math.Max(1e-9, 1e-6*math.Abs(r.lo))
	}
	for i := range r.q {
		r.q[i] = 1
	}
	for _, v := range r.ref.sorted {
		r.q[r.bin(v)]++
	}
	tot := float64(r.ref.Len() + len(r.q))
	for i := range r.q {
		r.q[i] /= tot
	}
}

// Update implements Detector; it returns min(1, −log10(p)/10) for the
// G-test of the recent values against the reference, 0 until the
// reference holds 4·Recent values.
func (r *RelativeEntropy) Update(_ int64, v float64) float64 {
	if !finite(v) {
		return 0
	}
	r.recent[r.head] = v
	r.head++
	if r.head == len(r.recent) {
		r.head = 0
	}
	if r.n < len(r.recent) {
		r.n++
	}
	raw := 0.0
	if r.ref.Len() >= 4*len(r.recent) {
		if r.since <= 0 {
			r.refresh()
			r.since = len(r.recent)
		}
		r.since--
		for i := range r.p {
			r.p[i] = 0
		}
		for i := 0; i < r.n; i++ {
			r.p[r.bin(r.recent[i])]++
		}
		kl := 0.0
		for i, c := range r.p {
			if c > 0 {
				pi := c / float64(r.n)
				kl += pi * math.Log(pi/r.q[i])
			}
		}
		pv := r.chi.Survival(2 * float64(r.n) * kl)
		raw = math.Min(1, -math.Log10(math.Max(pv, 1e-300))/10)
	}
	r.ref.Push(v)
	return raw
}
