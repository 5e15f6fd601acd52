package capacity

import (
	"math"

	"github.com/omenhq/omen/stats"
)

// quantile returns the q-quantile of v (Hyndman & Fan type 7), reordering
// v; NaN when empty. See stats.Quantile.
func quantile(v []float64, q float64) float64 { return stats.Quantile(v, q) }

// median returns the median of v, reordering it; NaN when empty.
func median(v []float64) float64 { return stats.Quantile(v, 0.5) }

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
