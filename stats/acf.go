package stats

import "math"

// ACF fills dst (reallocated when its capacity is short of maxLag+1) with
// the sample autocorrelations r_0..r_maxLag of x, as R's acf defines them:
//
//	r_k = Σ_{t=0}^{n−1−k} (x_t − x̄)(x_{t+k} − x̄) / Σ_{t=0}^{n−1} (x_t − x̄)²
//
// Small problems are summed directly; larger ones go through the power
// spectrum of the zero-padded series (Wiener–Khinchin), O(n log n). A
// constant series has no autocorrelation: every r_k is NaN. NaN or ±Inf in
// x propagate (NaN results). It panics when maxLag is negative or not
// below len(x), which is a programmer error.
func ACF(dst, x []float64, maxLag int) []float64 {
	n := len(x)
	if maxLag < 0 || maxLag >= n {
		panic("stats.ACF: maxLag must be in [0, len(x))")
	}
	dst = Grow(dst, maxLag+1)
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(n)
	den := 0.0
	for _, v := range x {
		den += (v - mean) * (v - mean)
	}
	if !(den > 0) || math.IsInf(den, 0) {
		for k := range dst {
			dst[k] = math.NaN()
		}
		return dst
	}
	if maxLag <= 32 {
		for k := range dst {
			s := 0.0
			for t := 0; t+k < n; t++ {
				s += (x[t] - mean) * (x[t+k] - mean)
			}
			dst[k] = s / den
		}
		return dst
	}
	// Zero padding to n+maxLag avoids circular wrap-around for the lags
	// needed.
	size := 1
	for size < n+maxLag {
		size <<= 1
	}
	a := make([]complex128, size)
	for i, v := range x {
		a[i] = complex(v-mean, 0)
	}
	tw := twiddles(size)
	fft(a, tw, false)
	for i, v := range a {
		a[i] = complex(real(v)*real(v)+imag(v)*imag(v), 0)
	}
	fft(a, tw, true)
	c0 := real(a[0])
	for k := range dst {
		dst[k] = real(a[k]) / c0
	}
	return dst
}

// SeasonalityTest reports whether x is seasonal with period m by the 90%
// autocorrelation test of the M4 competition's benchmarks (Makridakis et
// al., "Benchmarks and Evaluation.R"):
//
//	n ≥ 3m and |r_m| > 1.645·sqrt((1 + 2 Σ_{k=1}^{m−1} r_k²) / n)
//
// with r the ACF of x. It is false for m < 2, for a series shorter than 3m
// and for a constant series; NaN in x makes it false.
func SeasonalityTest(x []float64, m int) bool {
	n := len(x)
	if m < 2 || n < 3*m {
		return false
	}
	r := ACF(nil, x, m)
	s := 0.0
	for k := 1; k < m; k++ {
		s += r[k] * r[k]
	}
	return math.Abs(r[m]) > 1.645*math.Sqrt((1+2*s)/float64(n))
}

// twiddles returns e^{−2πik/size} for k < size/2.
func twiddles(size int) []complex128 {
	tw := make([]complex128, size/2)
	for k := range tw {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(size))
		tw[k] = complex(c, s)
	}
	return tw
}

// fft transforms a (its length a power of two) in place: the discrete
// Fourier transform, or with inverse its inverse without the 1/n factor
// (iterative radix-2 Cooley–Tukey; tw from twiddles(len(a))).
func fft(a, tw []complex128, inverse bool) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for length := 2; length <= n; length <<= 1 {
		half, stride := length/2, n/length
		for i := 0; i < n; i += length {
			for j := range half {
				w := tw[j*stride]
				if inverse {
					w = complex(real(w), -imag(w))
				}
				u, v := a[i+j], a[i+j+half]*w
				a[i+j], a[i+j+half] = u+v, u-v
			}
		}
	}
}
