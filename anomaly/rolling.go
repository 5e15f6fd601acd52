package anomaly

import (
	"math"
	"slices"
	"sort"

	"github.com/omenhq/omen/stats"
)

// Rolling keeps the last n finite values pushed and answers order
// statistics over them: quantiles, the median and the median absolute
// deviation. It holds a ring buffer and a sorted copy; Push costs
// O(log n) comparisons plus a memmove of the values ranked between the
// evicted and the new one (O(n)), Quantile O(1) and MAD O(n).
// Memory is 16·n bytes. NaN and ±Inf values are ignored by Push.
// The zero value is unusable; use NewRolling.
type Rolling struct {
	ring   []float64
	sorted []float64
	head   int
	n      int
}

// NewRolling returns a window over the last n values; it panics if n < 1.
func NewRolling(n int) *Rolling {
	if n < 1 {
		panic("anomaly: NewRolling needs n >= 1")
	}
	return &Rolling{ring: make([]float64, n), sorted: make([]float64, 0, n)}
}

// Cap returns the window length n.
func (r *Rolling) Cap() int { return len(r.ring) }

// Len returns the number of values held (at most Cap).
func (r *Rolling) Len() int { return r.n }

// Reset empties the window.
func (r *Rolling) Reset() {
	r.head, r.n = 0, 0
	r.sorted = r.sorted[:0]
}

// Push adds v, evicting the oldest value when the window is full.
func (r *Rolling) Push(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	if r.n < len(r.ring) {
		r.n++
		i := sort.SearchFloat64s(r.sorted, v)
		r.sorted = slices.Insert(r.sorted, i, v)
	} else {
		// Replace the evicted value in place: only the values between its
		// position and the new value's move, by one.
		old := r.ring[r.head]
		s := r.sorted
		i := sort.SearchFloat64s(s, old)
		j := sort.SearchFloat64s(s, v)
		if j > i {
			copy(s[i:j-1], s[i+1:j])
			s[j-1] = v
		} else {
			copy(s[j+1:i+1], s[j:i])
			s[j] = v
		}
	}
	r.ring[r.head] = v
	r.head++
	if r.head == len(r.ring) {
		r.head = 0
	}
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) by linear interpolation
// between order statistics (type 7 of Hyndman and Fan, R's default), or
// NaN when the window is empty.
func (r *Rolling) Quantile(q float64) float64 {
	return stats.QuantileSorted(r.sorted, q)
}

// Median returns the median, or NaN when empty.
func (r *Rolling) Median() float64 { return stats.QuantileSorted(r.sorted, 0.5) }

// Min returns the smallest value held, or NaN when empty.
func (r *Rolling) Min() float64 {
	if len(r.sorted) == 0 {
		return math.NaN()
	}
	return r.sorted[0]
}

// Max returns the largest value held, or NaN when empty.
func (r *Rolling) Max() float64 {
	if len(r.sorted) == 0 {
		return math.NaN()
	}
	return r.sorted[len(r.sorted)-1]
}

// MAD returns the median absolute deviation from the median (unscaled:
// multiply by 1.4826 for a consistent estimate of a normal σ), or NaN when
// empty. It walks outward from the median merging the two sorted sides,
// O(n).
func (r *Rolling) MAD() float64 {
	return madSorted(r.sorted, stats.QuantileSorted(r.sorted, 0.5))
}

// madSorted returns the median of |s_i − m| for sorted s: the k-th
// smallest distance is found by merging the distances to the left of m
// (increasing as i goes down) with those to the right (increasing as j
// goes up).
func madSorted(s []float64, m float64) float64 {
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	j := sort.SearchFloat64s(s, m) // first index with s[j] >= m
	i := j - 1
	// We need the order statistics k1 = (n−1)/2 and k2 = n/2 of the
	// distances (equal when n is odd).
	k1, k2 := (n-1)/2, n/2
	var d1, d2 float64
	for c := 0; c <= k2; c++ {
		var d float64
		switch {
		case i < 0:
			d = s[j] - m
			j++
		case j >= n:
			d = m - s[i]
			i--
		case m-s[i] <= s[j]-m:
			d = m - s[i]
			i--
		default:
			d = s[j] - m
			j++
		}
		if c == k1 {
			d1 = d
		}
		if c == k2 {
			d2 = d
		}
	}
	return (d1 + d2) / 2
}
