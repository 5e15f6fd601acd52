package forecast

import (
	"fmt"
	"math"
)

// Naive forecasts the last observation for every step (FPP3 §5.2):
//
//	ŷ_{n+h} = y_n,  σ_h = σ·√h
//
// with σ² the mean squared one-step difference.
type Naive struct{}

// Name returns "naive".
func (Naive) Name() string { return "naive" }

// Fit fits the naive model; it needs one finite value.
func (Naive) Fit(y []float64, cfg FitConfig) (Fitted, error) {
	p, err := prepare(y, cfg.firstPeriod())
	if err != nil {
		return nil, err
	}
	return &naiveFit{name: "naive", last: p.y[len(p.y)-1], sigma: lagRMS(p.y, 1, 0), warnings: p.warnings}, nil
}

// Drift forecasts the last observation plus the average change per step
// (FPP3 §5.2):
//
//	ŷ_{n+h} = y_n + h·(y_n − y_1)/(n−1),  σ_h = σ·√(h(1 + h/(n−1)))
//
// with σ² the mean squared deviation of the one-step differences from the
// drift.
type Drift struct{}

// Name returns "drift".
func (Drift) Name() string { return "drift" }

// Fit fits the drift model; with a single observation it falls back to
// naive with a warning.
func (Drift) Fit(y []float64, cfg FitConfig) (Fitted, error) {
	p, err := prepare(y, cfg.firstPeriod())
	if err != nil {
		return nil, err
	}
	n := len(p.y)
	f := &naiveFit{name: "drift", last: p.y[n-1], warnings: p.warnings}
	if n < 2 {
		f.warnings = append(f.warnings, "drift: one observation, forecasting it unchanged")
		return f, nil
	}
	f.drift = (p.y[n-1] - p.y[0]) / float64(n-1)
	f.driftN = float64(n - 1)
	f.sigma = lagRMS(p.y, 1, f.drift)
	return f, nil
}

type naiveFit struct {
	name     string
	last     float64
	drift    float64
	driftN   float64
	sigma    float64
	warnings []string
}

func (f *naiveFit) Forecast(dst *Forecast, h int, level float64) {
	level = normLevel(level)
	dst.reset(h, level)
	dst.Model = f.name
	dst.Warnings = append(dst.Warnings, f.warnings...)
	z := zQuantile(level)
	for i := range h {
		k := float64(i + 1)
		m := f.last + k*f.drift
		s := f.sigma * math.Sqrt(k)
		if f.driftN > 0 {
			s = f.sigma * math.Sqrt(k*(1+k/f.driftN))
		}
		dst.Mean[i], dst.Lower[i], dst.Upper[i] = m, m-z*s, m+z*s
	}
}

// SeasonalNaive forecasts the value one season earlier (FPP3 §5.2):
//
//	ŷ_{n+h} = y_{n+h−m(k+1)},  k = ⌊(h−1)/m⌋,  σ_h = σ·√(k+1)
//
// with σ² the mean squared lag-m difference.
type SeasonalNaive struct {
	// Period is the season in samples; 0 takes the first of FitConfig.Periods.
	Period int
}

// Name returns "snaive".
func (SeasonalNaive) Name() string { return "snaive" }

// Fit fits the model. Without a period, or with less than one full season
// plus one value, it falls back to naive with a warning.
func (m SeasonalNaive) Fit(y []float64, cfg FitConfig) (Fitted, error) {
	period := m.Period
	if period < 2 {
		period = cfg.firstPeriod()
	}
	p, err := prepare(y, period)
	if err != nil {
		return nil, err
	}
	n := len(p.y)
	if period < 2 || n <= period {
		f := &naiveFit{name: "naive", last: p.y[n-1], sigma: lagRMS(p.y, 1, 0), warnings: p.warnings}
		if period >= 2 {
			f.warnings = append(f.warnings, fmt.Sprintf("snaive: %d values, fewer than one season of %d plus one; fell back to naive", n, period))
		} else {
			f.warnings = append(f.warnings, "snaive: no seasonal period; fell back to naive")
		}
		return f, nil
	}
	return &snaiveFit{period: period, last: p.y[n-period:], sigma: lagRMS(p.y, period, 0), warnings: p.warnings}, nil
}

type snaiveFit struct {
	period   int
	last     []float64
	sigma    float64
	warnings []string
}

func (f *snaiveFit) Forecast(dst *Forecast, h int, level float64) {
	level = normLevel(level)
	dst.reset(h, level)
	dst.Model = "snaive"
	dst.Periods = append(dst.Periods, f.period)
	dst.Warnings = append(dst.Warnings, f.warnings...)
	z := zQuantile(level)
	for i := range h {
		m := f.last[i%f.period]
		s := f.sigma * math.Sqrt(float64(i/f.period+1))
		dst.Mean[i], dst.Lower[i], dst.Upper[i] = m, m-z*s, m+z*s
	}
}

// lagRMS returns sqrt(mean((y_t − y_{t−lag} − c)²)), 0 when y is too short.
func lagRMS(y []float64, lag int, c float64) float64 {
	if len(y) <= lag {
		return 0
	}
	s := 0.0
	for t := lag; t < len(y); t++ {
		d := y[t] - y[t-lag] - c
		s += d * d
	}
	return math.Sqrt(s / float64(len(y)-lag))
}
