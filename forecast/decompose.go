package forecast

import "math"

// ClassicalSeasonal fills dst[0..m) (allocated when nil) with the seasonal
// indices of y by classical decomposition, as R's decompose: the trend is
// the centred moving average of order m (2×m for even m); index i is the
// mean of y_t/trend_t (multiplicative) or y_t − trend_t (additive) over the
// t ≡ i (mod m) where the trend exists, normalised to mean 1 (mean 0 for
// additive). Index i applies to y_i, y_{i+m}, …. y must hold at least m+1
// values (2m for a stable estimate) and be finite; a multiplicative
// decomposition of non-positive data gives NaN.
func ClassicalSeasonal(dst, y []float64, m int, multiplicative bool) []float64 {
	if cap(dst) < m {
		dst = make([]float64, m)
	}
	dst = dst[:m]
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

// seasonalTest is the 90% autocorrelation test used by the M4 benchmarks:
// n ≥ 3m and |r_m| > 1.645·sqrt((1 + 2 Σ_{k<m} r_k²)/n).
func seasonalTest(y []float64, m int) bool {
	n := len(y)
	if m < 2 || n < 3*m {
		return false
	}
	r := acf(nil, y, m)
	if r == nil {
		return false
	}
	s := 0.0
	for k := 1; k < m; k++ {
		s += r[k] * r[k]
	}
	return math.Abs(r[m]) > 1.645*math.Sqrt((1+2*s)/float64(n))
}
