package m4

import "math"

// SMAPE returns the symmetric mean absolute percentage error of forecast f
// against actual y, in percent, as defined by M4:
//
//	sMAPE = (200/h) Σ_t |y_t − f_t| / (|y_t| + |f_t|)
//
// over the h = min(len(y), len(f)) common steps. A step where both y_t and
// f_t are zero contributes 0 (the M4 data never has one). NaN in either
// input makes the result NaN.
func SMAPE(y, f []float64) float64 {
	h := min(len(y), len(f))
	if h == 0 {
		return math.NaN()
	}
	s := 0.0
	for t := range h {
		d := math.Abs(y[t]) + math.Abs(f[t])
		if d == 0 {
			continue
		}
		s += math.Abs(y[t]-f[t]) / d
	}
	return 200 * s / float64(h)
}

// MASEScale returns the in-sample scale of MASE for training values x and
// seasonal period m: (1/(n−m)) Σ_{i=m+1..n} |x_i − x_{i−m}|. NaN terms are
// skipped (and not counted). It returns NaN when fewer than m+1 values are
// given or no term is finite, and 0 for a series that repeats exactly.
func MASEScale(x []float64, m int) float64 {
	if m < 1 || len(x) <= m {
		return math.NaN()
	}
	s, k := 0.0, 0
	for i := m; i < len(x); i++ {
		d := math.Abs(x[i] - x[i-m])
		if math.IsNaN(d) {
			continue
		}
		s += d
		k++
	}
	if k == 0 {
		return math.NaN()
	}
	return s / float64(k)
}

// MASE returns the mean absolute scaled error of forecast f against actual
// y, scaled by MASEScale(train, m) (M4's definition). The result is +Inf
// when the scale is zero and NaN when it is undefined.
func MASE(train, y, f []float64, m int) float64 {
	h := min(len(y), len(f))
	if h == 0 {
		return math.NaN()
	}
	s := 0.0
	for t := range h {
		s += math.Abs(y[t] - f[t])
	}
	return s / float64(h) / MASEScale(train, m)
}

// OWA returns the overall weighted average of M4:
// ½ (smape/naive2SMAPE + mase/naive2MASE), each argument being the average
// over the same set of series.
func OWA(smape, mase, naive2SMAPE, naive2MASE float64) float64 {
	return (smape/naive2SMAPE + mase/naive2MASE) / 2
}

// Coverage returns the fraction of actual values y that lie inside the
// closed interval [lower, upper], over the common steps. NaN bounds count as
// not covering.
func Coverage(y, lower, upper []float64) float64 {
	h := min(len(y), len(lower), len(upper))
	if h == 0 {
		return math.NaN()
	}
	k := 0
	for t := range h {
		if y[t] >= lower[t] && y[t] <= upper[t] {
			k++
		}
	}
	return float64(k) / float64(h)
}

// MSIS returns the mean scaled interval score of M4 for an interval of
// nominal level 1−α (Gneiting & Raftery 2007, as used by M4):
//
//	(1/h) Σ_t [ (u_t − l_t) + (2/α)(l_t − y_t)·1{y_t < l_t} + (2/α)(y_t − u_t)·1{y_t > u_t} ]
//
// divided by MASEScale(train, m).
func MSIS(train, y, lower, upper []float64, m int, alpha float64) float64 {
	h := min(len(y), len(lower), len(upper))
	if h == 0 {
		return math.NaN()
	}
	s := 0.0
	for t := range h {
		s += upper[t] - lower[t]
		if y[t] < lower[t] {
			s += 2 / alpha * (lower[t] - y[t])
		}
		if y[t] > upper[t] {
			s += 2 / alpha * (y[t] - upper[t])
		}
	}
	return s / float64(h) / MASEScale(train, m)
}
