package stats

import (
	"math"
	"slices"
)

// Select rearranges v so that v[k] is the value a full ascending sort
// would put there, with v[:k] ≤ v[k] ≤ v[k+1:], and returns it (Hoare's
// quickselect with median-of-three pivots, insertion by slices.Sort below 16
// elements; expected O(n)). v must be non-empty and NaN-free, and
// 0 ≤ k < len(v); otherwise Select panics or returns an unspecified value.
func Select(v []float64, k int) float64 {
	lo, hi := 0, len(v)-1
	for hi > lo {
		if hi-lo < 16 {
			slices.Sort(v[lo : hi+1])
			return v[k]
		}
		mid := lo + (hi-lo)/2
		if v[mid] < v[lo] {
			v[mid], v[lo] = v[lo], v[mid]
		}
		if v[hi] < v[lo] {
			v[hi], v[lo] = v[lo], v[hi]
		}
		if v[hi] < v[mid] {
			v[hi], v[mid] = v[mid], v[hi]
		}
		p := v[mid]
		i, j := lo, hi
		for i <= j {
			for v[i] < p {
				i++
			}
			for v[j] > p {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return v[k]
		}
	}
	return v[k]
}

// Quantile returns the q-quantile of v (0 ≤ q ≤ 1) with linear
// interpolation between order statistics — Hyndman & Fan (1996) type 7,
// the default of R and NumPy: h = q(n−1), Q = x₍⌊h⌋₎ + (h−⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎).
// It reorders v, returns NaN for an empty v, and needs a NaN-free v.
func Quantile(v []float64, q float64) float64 {
	n := len(v)
	if n == 0 {
		return math.NaN()
	}
	h := q * float64(n-1)
	k := int(math.Floor(h))
	if k >= n-1 {
		return Select(v, n-1)
	}
	lo := Select(v, k)
	// The next order statistic is the minimum of the upper part.
	hi := v[k+1]
	for _, x := range v[k+2:] {
		hi = math.Min(hi, x)
	}
	return lo + (h-float64(k))*(hi-lo)
}

// QuantileSorted returns the q-quantile of the ascending s by the same
// type-7 interpolation as Quantile, without reordering s or allocating:
// h = q(n−1), Q = s[⌊h⌋] + (h−⌊h⌋)(s[⌊h⌋+1] − s[⌊h⌋]). q below 0 is the
// minimum and above 1 the maximum; NaN for an empty s. s must be sorted
// and NaN-free.
func QuantileSorted(s []float64, q float64) float64 {
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	if q <= 0 {
		return s[0]
	}
	if q >= 1 {
		return s[n-1]
	}
	h := q * float64(n-1)
	i := int(h)
	if i+1 >= n {
		return s[n-1]
	}
	return s[i] + (h-float64(i))*(s[i+1]-s[i])
}

// Median returns the median of v: the middle value, or the mean of the two
// middle values for an even length. It reorders v, returns NaN for an
// empty v, and needs a NaN-free v.
func Median(v []float64) float64 {
	n := len(v)
	if n == 0 {
		return math.NaN()
	}
	hi := Select(v, n/2)
	if n%2 == 1 {
		return hi
	}
	lo := v[0]
	for _, x := range v[:n/2] {
		lo = math.Max(lo, x)
	}
	return (lo + hi) / 2
}
