package capacity

import (
	"math"
)

// The envelope of a residual: a sawtooth too fast to model (a garbage
// collector every few minutes, sampled every five) looks like noise, yet
// the resource runs out when the top of the sawtooth — not its middle —
// reaches the limit. The residual is modelled as the sum of a uniform
// variable of width A (the values of a linear ramp, sampled at random
// phases, are uniform) and Gaussian noise of scale σ. Only the sawtooth is
// part of the signal that exhausts the resource; the noise is measurement.
// The shape of the residual distribution tells them apart: the ratio of
// its central 95% range to its interquartile range is 3.92/1.349 = 2.906
// for a Gaussian and 0.95/0.5 = 1.9 for a uniform distribution, and
// decreases monotonically with A/σ in between.

// envTable holds, for s = A/σ on a grid, the quantile ratio
// (q97.5−q2.5)/(q75−q25) and the interquartile range in units of σ of
// U(−s/2, s/2) + N(0, 1).
type envTable struct {
	s, ratio, iqr []float64
}

// uniformGaussCDF returns P(U + Z ≤ x) for U uniform on (−s/2, s/2) and Z
// standard normal: (G(x+s/2) − G(x−s/2))/s with G(z) = zΦ(z) + φ(z), the
// antiderivative of Φ; Φ(x) when s is 0.
func uniformGaussCDF(x, s float64) float64 {
	if s < 1e-9 {
		return 0.5 * math.Erfc(-x/math.Sqrt2)
	}
	g := func(z float64) float64 {
		return z*0.5*math.Erfc(-z/math.Sqrt2) + math.Exp(-z*z/2)/math.Sqrt(2*math.Pi)
	}
	return (g(x+s/2) - g(x-s/2)) / s
}

// uniformGaussQuantile returns x with uniformGaussCDF(x, s) = p for p > 1/2,
// by bisection.
func uniformGaussQuantile(p, s float64) float64 {
	lo, hi := 0.0, s/2+10
	for range 80 {
		mid := (lo + hi) / 2
		if uniformGaussCDF(mid, s) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

func newEnvTable() envTable {
	var t envTable
	for k := 0; k <= 120; k++ {
		s := 0.0
		if k > 0 {
			s = 0.05 * math.Pow(10, float64(k-1)/30) // 0.05 … 500
		}
		q975 := uniformGaussQuantile(0.975, s)
		q75 := uniformGaussQuantile(0.75, s)
		t.s = append(t.s, s)
		t.ratio = append(t.ratio, q975/q75)
		t.iqr = append(t.iqr, 2*q75)
	}
	return t
}

// envelopeTable is computed once; it is a constant of the method.
var envelopeTable = newEnvTable()

// envelopeSplit returns the width A of the uniform part and the scale σ of
// the Gaussian part of a residual distribution with the given central 95%
// range r95 = q97.5−q2.5 and interquartile range iqr. A distribution with
// heavier tails than a Gaussian (ratio above 2.906) is all noise (A = 0);
// one flatter than a uniform (ratio below 1.9) all sawtooth (σ = 0).
// Non-positive or NaN inputs give 0, 0.
func envelopeSplit(r95, iqr float64) (a, sigma float64) {
	if !(iqr > 0) || !(r95 > 0) {
		return 0, 0
	}
	t := envelopeTable
	ratio := r95 / iqr
	if ratio >= t.ratio[0] {
		return 0, iqr / t.iqr[0]
	}
	last := len(t.s) - 1
	if ratio <= t.ratio[last] {
		return 2 * iqr, 0
	}
	// t.ratio decreases with k.
	k := 1
	for k < last && t.ratio[k] > ratio {
		k++
	}
	f := (t.ratio[k-1] - ratio) / (t.ratio[k-1] - t.ratio[k])
	s := t.s[k-1] + f*(t.s[k]-t.s[k-1])
	w := t.iqr[k-1] + f*(t.iqr[k]-t.iqr[k-1])
	sigma = iqr / w
	return s * sigma, sigma
}
