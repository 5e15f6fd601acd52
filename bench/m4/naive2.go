package m4

import "math"

// ACF fills dst[k] with the sample autocorrelation of x at lag k for
// k = 0..len(dst)−1, as R's acf:
//
//	r_k = Σ_{t=1}^{n−k} (x_t − x̄)(x_{t+k} − x̄) / Σ_{t=1}^{n} (x_t − x̄)²
//
// dst must not be longer than len(x). A constant series gives NaN for every
// lag; NaN in x propagates.
func ACF(dst, x []float64) []float64 {
	n := len(x)
	if len(dst) > n {
		panic("m4: ACF: more lags than observations")
	}
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(n)
	den := 0.0
	for _, v := range x {
		den += (v - mean) * (v - mean)
	}
	for k := range dst {
		s := 0.0
		for t := 0; t+k < n; t++ {
			s += (x[t] - mean) * (x[t+k] - mean)
		}
		dst[k] = s / den
	}
	return dst
}

// SeasonalityTest reports whether x is seasonal with period m by the 90%
// autocorrelation test of the M4 benchmarks:
//
//	n ≥ 3m and |r_m| > 1.645·sqrt((1 + 2 Σ_{k=1}^{m−1} r_k²) / n)
//
// It is false for m ≤ 1 and for a constant series.
func SeasonalityTest(x []float64, m int) bool {
	n := len(x)
	if m <= 1 || n < 3*m {
		return false
	}
	r := ACF(make([]float64, m+1), x)
	s := 0.0
	for k := 1; k < m; k++ {
		s += r[k] * r[k]
	}
	limit := 1.645 * math.Sqrt((1+2*s)/float64(n))
	return math.Abs(r[m]) > limit
}

// SeasonalIndices returns the m multiplicative seasonal indices of x by
// classical decomposition exactly as R's decompose(type = "multiplicative"):
// a centred moving average of order m (2×m for even m) as the trend, the
// ratios x/trend averaged per position counted from the first observation,
// normalised to mean 1. Index i applies to observations i, i+m, i+2m, ….
// x must hold at least 2m values.
func SeasonalIndices(x []float64, m int) []float64 {
	n := len(x)
	// Centred moving average: R filter(x, w, sides = 2) with
	// w = c(0.5, rep(1, m−1), 0.5)/m for even m, rep(1, m)/m for odd m.
	var w []float64
	if m%2 == 0 {
		w = make([]float64, m+1)
		for i := range w {
			w[i] = 1 / float64(m)
		}
		w[0], w[m] = 0.5/float64(m), 0.5/float64(m)
	} else {
		w = make([]float64, m)
		for i := range w {
			w[i] = 1 / float64(m)
		}
	}
	half := len(w) / 2
	sum := make([]float64, m)
	cnt := make([]int, m)
	for t := half; t+half < n; t++ {
		tr := 0.0
		for j, wj := range w {
			tr += wj * x[t-half+j]
		}
		sum[t%m] += x[t] / tr
		cnt[t%m]++
	}
	idx := make([]float64, m)
	mean := 0.0
	for i := range idx {
		idx[i] = sum[i] / float64(cnt[i])
		mean += idx[i]
	}
	mean /= float64(m)
	for i := range idx {
		idx[i] /= mean
	}
	return idx
}

// Naive2 fills dst (allocated when nil) with the h-step Naive2 forecast of
// x with seasonal period m, the M4 benchmark: when SeasonalityTest(x, m)
// holds, x is seasonally adjusted with SeasonalIndices and the last adjusted
// value is carried forward and reseasonalised; otherwise the last value is
// repeated (naive). It reproduces the organisers' forecasts.
func Naive2(dst, x []float64, m, h int) []float64 {
	if dst == nil {
		dst = make([]float64, h)
	}
	dst = dst[:h]
	n := len(x)
	last := x[n-1]
	if !SeasonalityTest(x, m) {
		for i := range dst {
			dst[i] = last
		}
		return dst
	}
	idx := SeasonalIndices(x, m)
	level := last / idx[(n-1)%m]
	for i := range dst {
		dst[i] = level * idx[(n+i)%m]
	}
	return dst
}
