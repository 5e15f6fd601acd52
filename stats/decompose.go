package stats

import "math"

// ClassicalSeasonal fills dst[0..m) (reallocated when its capacity is
// short) with the seasonal indices of y by classical decomposition, as R's
// decompose: the trend is the centred moving average of order m (2×m for
// even m: weights 1/(2m), 1/m, …, 1/m, 1/(2m)); index i is the mean of
// y_t/trend_t (multiplicative) or y_t − trend_t (additive) over the
// t ≡ i (mod m) where the trend exists, normalised to mean 1 (mean 0 for
// additive). Index i applies to y_i, y_{i+m}, …. y must hold at least m+1
// values (2m for a stable estimate); an index without a trend value is
// NaN; NaN in y propagates and a multiplicative decomposition of
// non-positive data gives NaN or ±Inf.
func ClassicalSeasonal(dst, y []float64, m int, multiplicative bool) []float64 {
	dst = Grow(dst, m)
	var cnt [64]int
	var counts []int
	if m <= len(cnt) {
		counts = cnt[:m]
	} else {
		counts = make([]int, m)
	}
	for i := range dst {
		dst[i] = 0
		counts[i] = 0
	}
	n := len(y)
	half := m / 2
	even := m%2 == 0
	inv := 1 / float64(m)
	// running sum over the full window y[t−half..t+half]
	sum := 0.0
	for j := 0; j <= 2*half && j < n; j++ {
		sum += y[j]
	}
	for t := half; t+half < n; t++ {
		if t > half {
			sum += y[t+half] - y[t-half-1]
		}
		var tr float64
		if even {
			tr = (sum - 0.5*y[t-half] - 0.5*y[t+half]) * inv
		} else {
			tr = sum * inv
		}
		if multiplicative {
			dst[t%m] += y[t] / tr
		} else {
			dst[t%m] += y[t] - tr
		}
		counts[t%m]++
	}
	mean := 0.0
	for i := range dst {
		if counts[i] == 0 {
			dst[i] = math.NaN()
		} else {
			dst[i] /= float64(counts[i])
		}
		mean += dst[i]
	}
	mean /= float64(m)
	for i := range dst {
		if multiplicative {
			dst[i] /= mean
		} else {
			dst[i] -= mean
		}
	}
	return dst
}

// Grow returns s resliced to length n, reallocating when its capacity is
// short: how the kernels reuse a destination slice (nil allocates).
func Grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
