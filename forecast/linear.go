package forecast

import (
	"fmt"
	"math"

	"github.com/omenhq/omen/stats"
	"github.com/omenhq/omen/units"
)

// Linear is the ordinary least squares straight line y_t = a + b·t,
// t = 1..n, extrapolated:
//
//	ŷ_{n+h} = a + b(n+h),  σ_h = σ·sqrt(1 + 1/n + (n+h−t̄)²/Σ(t−t̄)²)
//
// with σ² = RSS/(n−2) (normal quantiles are used for the interval).
type Linear struct{}

// Name returns "linear".
func (Linear) Name() string { return "linear" }

// Fit fits the line; with fewer than 3 values it falls back to naive with a
// warning.
func (Linear) Fit(y []float64, cfg FitConfig) (Fitted, error) {
	p, err := prepare(y, cfg.firstPeriod())
	if err != nil {
		return nil, err
	}
	if len(p.y) < 3 {
		return p.naiveFallback("linear", 3), nil
	}
	a, b := olsLine(p.y)
	return newLineFit("linear", p.y, a, b, false, p.warnings), nil
}

// TheilSen is the robust Theil–Sen line (Theil 1950, Sen 1968): the slope is
// the median of the pairwise slopes (y_j − y_i)/(j − i), the intercept the
// median of y_t − b·t. Above 633 values the pairs are taken among 633
// equally spaced observations (about 200,000 pairs), which keeps the
// estimator deterministic and O(1) in memory. Intervals are those of Linear
// with σ estimated robustly as 1.4826·MAD of the residuals.
type TheilSen struct{}

// Name returns "theilsen".
func (TheilSen) Name() string { return "theilsen" }

// Fit fits the line; with fewer than 3 values it falls back to naive with a
// warning.
func (TheilSen) Fit(y []float64, cfg FitConfig) (Fitted, error) {
	p, err := prepare(y, cfg.firstPeriod())
	if err != nil {
		return nil, err
	}
	if len(p.y) < 3 {
		return p.naiveFallback("theilsen", 3), nil
	}
	a, b := TheilSenLine(p.y, nil)
	return newLineFit("theilsen", p.y, a, b, true, p.warnings), nil
}

// TheilSenLine returns the Theil–Sen intercept a and slope b of y against
// t = 1..n (see TheilSen), using work as scratch space for the pairwise
// slopes (allocated when short). y must be finite and hold 2 values or more.
func TheilSenLine(y, work []float64) (a, b float64) {
	const maxPoints = 633
	n := len(y)
	k := min(n, maxPoints)
	pos := func(i int) int { // i-th of k equally spaced indices
		if k == n {
			return i
		}
		return int(math.Round(float64(i) * float64(n-1) / float64(k-1)))
	}
	np := k * (k - 1) / 2
	if cap(work) < max(np, n) {
		work = make([]float64, max(np, n))
	}
	s := work[:0]
	for i := range k {
		ti := pos(i)
		for j := i + 1; j < k; j++ {
			tj := pos(j)
			s = append(s, (y[tj]-y[ti])/float64(tj-ti))
		}
	}
	b = median(s)
	r := work[:n]
	for t := range n {
		r[t] = y[t] - b*float64(t+1)
	}
	a = median(r)
	return a, b
}

// median returns the median of v, reordering v. It returns NaN for empty v.
func median(v []float64) float64 { return stats.Median(v) }

// olsLine returns the least squares intercept and slope of y against t = 1..n.
func olsLine(y []float64) (a, b float64) {
	n := float64(len(y))
	var sx, sy, sxx, sxy float64
	for t, v := range y {
		x := float64(t + 1)
		sx += x
		sy += v
		sxx += x * x
		sxy += x * v
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return sy / n, 0
	}
	b = (n*sxy - sx*sy) / den
	a = (sy - b*sx) / n
	return a, b
}

type lineFit struct {
	name      string
	a, b      float64
	n         float64
	tbar, sxx float64
	sigma     float64
	warnings  []string
}

func newLineFit(name string, y []float64, a, b float64, robust bool, warnings []string) *lineFit {
	n := len(y)
	f := &lineFit{name: name, a: a, b: b, n: float64(n), warnings: warnings}
	f.tbar = (f.n + 1) / 2
	for t := 1; t <= n; t++ {
		d := float64(t) - f.tbar
		f.sxx += d * d
	}
	res := make([]float64, n)
	rss := 0.0
	for t, v := range y {
		res[t] = v - a - b*float64(t+1)
		rss += res[t] * res[t]
	}
	if robust {
		for i := range res {
			res[i] = math.Abs(res[i])
		}
		f.sigma = 1.4826 * median(res)
	} else {
		f.sigma = math.Sqrt(rss / float64(max(n-2, 1)))
	}
	return f
}

func (f *lineFit) Forecast(dst *Forecast, h int, level float64) {
	level = normLevel(level)
	dst.reset(h, level)
	dst.Model = f.name
	dst.Reason = fmt.Sprintf("intercept %s, slope %s per step", units.SI(f.a), units.SI(f.b))
	dst.Warnings = append(dst.Warnings, f.warnings...)
	z := zQuantile(level)
	for i := range h {
		t := f.n + float64(i+1)
		m := f.a + f.b*t
		d := t - f.tbar
		s := f.sigma * math.Sqrt(1+1/f.n+d*d/f.sxx)
		dst.Mean[i], dst.Lower[i], dst.Upper[i] = m, m-z*s, m+z*s
	}
}
