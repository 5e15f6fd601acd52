package anomaly

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// relEntropy compares the histogram of the last w values with the
// histogram of a longer reference window (Wang et al. 2011, "Statistical
// techniques for online anomaly detection in data centers", the basis of
// NAB's relativeEntropy detector): G = 2·w·KL(P_recent ‖ Q_ref) is
// asymptotically χ² with bins−1 degrees of freedom when both come from the
// same distribution. The bin edges are equal-width over the reference's
// [1%, 99%] quantiles plus one open bin on each side; edges and reference
// counts are refreshed every w samples. raw = min(1, −log10(p)/10).
type relEntropy struct {
	w, bins int
	recent  []float64
	head, n int
	ref     *Rolling
	lo, hi  float64
	q       []float64 // reference probabilities (smoothed)
	p       []float64
	since   int
	chi     distuv.ChiSquared
}

func newRelEntropy(w, bins, refLen int) *relEntropy {
	return &relEntropy{
		w: w, bins: bins,
		recent: make([]float64, w),
		ref:    NewRolling(refLen),
		q:      make([]float64, bins+2),
		p:      make([]float64, bins+2),
		chi:    distuv.ChiSquared{K: float64(bins + 1)},
	}
}

func (r *relEntropy) bin(v float64) int {
	if v < r.lo {
		return 0
	}
	if v >= r.hi {
		return r.bins + 1
	}
	b := 1 + int(float64(r.bins)*(v-r.lo)/(r.hi-r.lo))
	return min(b, r.bins)
}

func (r *relEntropy) refresh() {
	r.lo, r.hi = r.ref.Quantile(0.01), r.ref.Quantile(0.99)
	if !(r.hi > r.lo) {
		r.hi = r.lo + math.Max(1e-9, 1e-6*math.Abs(r.lo))
	}
	for i := range r.q {
		r.q[i] = 1 // add-one smoothing
	}
	for _, v := range r.ref.sorted {
		r.q[r.bin(v)]++
	}
	tot := float64(r.ref.Len() + len(r.q))
	for i := range r.q {
		r.q[i] /= tot
	}
}

func (r *relEntropy) update(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	r.recent[r.head] = v
	r.head = (r.head + 1) % r.w
	if r.n < r.w {
		r.n++
	}
	raw := 0.0
	if r.ref.Len() >= 4*r.w {
		if r.since <= 0 {
			r.refresh()
			r.since = r.w
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
		g := 2 * float64(r.n) * kl
		pv := r.chi.Survival(g)
		raw = math.Min(1, -math.Log10(math.Max(pv, 1e-300))/10)
	}
	r.ref.Push(v)
	return raw
}
