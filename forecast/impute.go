package forecast

import (
	"fmt"
	"math"
)

// Impute copies y into dst (allocated when nil or short) with every NaN or
// ±Inf replaced, keeping the seasonal phase: a missing y_t takes the linear
// interpolation between the nearest finite values at the same phase,
// y_{t−kp} and y_{t+jp} (weights j/(k+j) and k/(k+j)); with only one of them
// it takes that one; with neither (or period < 2) it takes the linear
// interpolation in time between the nearest finite neighbours, or the
// nearest finite value at either end. It returns dst and the number of
// values replaced. With no finite value at all it returns ErrNoData.
func Impute(dst, y []float64, period int) ([]float64, int, error) {
	n := len(y)
	if cap(dst) < n {
		dst = make([]float64, n)
	}
	dst = dst[:n]
	copy(dst, y)
	missing := 0
	for _, v := range y {
		if !finite(v) {
			missing++
		}
	}
	if missing == 0 {
		return dst, 0, nil
	}
	if missing == n {
		return dst, 0, ErrNoData
	}
	for t := range n {
		if finite(y[t]) {
			continue
		}
		if period >= 2 {
			k := t - period
			for k >= 0 && !finite(y[k]) {
				k -= period
			}
			j := t + period
			for j < n && !finite(y[j]) {
				j += period
			}
			switch {
			case k >= 0 && j < n:
				w := float64(t-k) / float64(j-k)
				dst[t] = (1-w)*y[k] + w*y[j]
				continue
			case k >= 0:
				dst[t] = y[k]
				continue
			case j < n:
				dst[t] = y[j]
				continue
			}
		}
		k := t - 1
		for k >= 0 && !finite(y[k]) {
			k--
		}
		j := t + 1
		for j < n && !finite(y[j]) {
			j++
		}
		switch {
		case k >= 0 && j < n:
			w := float64(t-k) / float64(j-k)
			dst[t] = (1-w)*y[k] + w*y[j]
		case k >= 0:
			dst[t] = y[k]
		default:
			dst[t] = y[j]
		}
	}
	return dst, missing, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// prepared is a history made ready for fitting: leading missing values
// dropped, the rest imputed.
type prepared struct {
	y        []float64
	warnings []string
}

// naiveFallback fits Naive to the prepared history of a model that needs
// more values than it has, keeping the preparation's warnings and adding
// one that says which model fell back and why.
func (p prepared) naiveFallback(model string, need int) Fitted {
	f, _ := Naive{}.Fit(p.y, FitConfig{})
	nf := f.(*naiveFit)
	nf.warnings = append(p.warnings, fmt.Sprintf("%s: %d values, fewer than %d; fell back to naive", model, len(p.y), need))
	return nf
}

// prepare drops leading non-finite values of y and imputes the others with
// Impute at period, recording what it did. y is not modified.
func prepare(y []float64, period int) (prepared, error) {
	start := 0
	for start < len(y) && !finite(y[start]) {
		start++
	}
	if start == len(y) {
		return prepared{}, ErrNoData
	}
	var p prepared
	if start > 0 {
		p.warnings = append(p.warnings, fmt.Sprintf("dropped %d leading missing values", start))
	}
	clean, k, err := Impute(nil, y[start:], period)
	if err != nil {
		return prepared{}, err
	}
	if k > 0 {
		p.warnings = append(p.warnings, fmt.Sprintf("imputed %d of %d values by seasonal interpolation (period %d)", k, len(clean), period))
	}
	p.y = clean
	return p, nil
}
