package capacity

import (
	"math"
	"slices"
)

// selectK rearranges v so that v[k] is the value a full ascending sort
// would put there (Hoare's quickselect with median-of-three pivots) and
// returns it. v must be non-empty, NaN-free and 0 ≤ k < len(v).
func selectK(v []float64, k int) float64 {
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

// quantile returns the q-quantile of v (0 ≤ q ≤ 1) with linear
// interpolation between order statistics (Hyndman & Fan type 7, the
// default of R and NumPy), reordering v. It returns NaN for an empty v;
// v must be NaN-free.
func quantile(v []float64, q float64) float64 {
	n := len(v)
	if n == 0 {
		return math.NaN()
	}
	h := q * float64(n-1)
	k := int(math.Floor(h))
	if k >= n-1 {
		return selectK(v, n-1)
	}
	lo := selectK(v, k)
	// The next order statistic is the minimum of the upper part.
	hi := v[k+1]
	for _, x := range v[k+2:] {
		hi = math.Min(hi, x)
	}
	return lo + (h-float64(k))*(hi-lo)
}

// median returns the median of v, reordering it; NaN when empty.
func median(v []float64) float64 { return quantile(v, 0.5) }

// grow returns s resliced to n, reallocating when its capacity is short.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// normQuantile80 is z such that Φ(z) = 0.9: the 80% central interval of a
// normal distribution is ±normQuantile80 standard deviations.
const normQuantile80 = 1.2815515655446004

// solveSym solves the symmetric positive definite system A·x = b of size
// m ≤ 4 by Gauss–Jordan elimination without pivoting (stable for SPD
// matrices), writing x to b and A⁻¹ to inv. It returns false when A is
// singular to working precision; a and b are not modified then.
func solveSym(a *[4][4]float64, b *[4]float64, m int, inv *[4][4]float64) bool {
	var aug [4][8]float64
	for i := range m {
		for j := range m {
			aug[i][j] = a[i][j]
		}
		aug[i][m+i] = 1
	}
	for c := range m {
		p := aug[c][c]
		if !(math.Abs(p) > 1e-12*(1+math.Abs(a[c][c]))) {
			return false
		}
		for j := range 2 * m {
			aug[c][j] /= p
		}
		for r := range m {
			if r == c {
				continue
			}
			f := aug[r][c]
			if f == 0 {
				continue
			}
			for j := range 2 * m {
				aug[r][j] -= f * aug[c][j]
			}
		}
	}
	var x [4]float64
	for i := range m {
		for j := range m {
			inv[i][j] = aug[i][m+j]
			x[i] += inv[i][j] * b[j]
		}
	}
	*b = x
	return true
}
