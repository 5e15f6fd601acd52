package anomaly

import (
	"math"
	"sort"
)

// seasonalProfile remembers, for every phase of a cycle of period P, the
// last K values seen at that phase, and predicts the median of them.
// Memory 8·P·K bytes; Update and Expect are O(K log K).
type seasonalProfile struct {
	k      int
	vals   []float64 // P×K
	counts []int32   // values held per phase (≤ K)
	heads  []int32
	work   []float64
}

func newSeasonalProfile(period, k int) *seasonalProfile {
	return &seasonalProfile{
		k:      k,
		vals:   make([]float64, period*k),
		counts: make([]int32, period),
		heads:  make([]int32, period),
		work:   make([]float64, k),
	}
}

// expect returns the median of the values held at phase p, and how many
// there are; NaN with 0 when none.
func (s *seasonalProfile) expect(p int) (float64, int) {
	n := int(s.counts[p])
	if n == 0 {
		return math.NaN(), 0
	}
	w := s.work[:n]
	copy(w, s.vals[p*s.k:p*s.k+n])
	sort.Float64s(w)
	if n%2 == 1 {
		return w[n/2], n
	}
	return (w[n/2-1] + w[n/2]) / 2, n
}

// add records v at phase p, evicting the oldest value of that phase.
func (s *seasonalProfile) add(p int, v float64) {
	h := int(s.heads[p])
	s.vals[p*s.k+h] = v
	h++
	if h == s.k {
		h = 0
	}
	s.heads[p] = int32(h)
	if int(s.counts[p]) < s.k {
		s.counts[p]++
	}
}
