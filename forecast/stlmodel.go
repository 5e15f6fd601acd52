package forecast

import (
	"fmt"
	"math"
	"strings"
)

// ETS is non-seasonal exponential smoothing with the form chosen by AICc
// among simple (A,N,N), Holt (A,A,N) and damped Holt (A,Ad,N) — the choice R's
// ets makes for a seasonally adjusted series. AICc = n·log(SSE/n) + 2k +
// 2k(k+1)/(n−k−1), k counting the smoothing parameters, the initial states
// and the variance.
type ETS struct{}

// Name returns "ets".
func (ETS) Name() string { return "ets" }

// Fit fits the three forms and keeps the one with the smallest AICc.
func (ETS) Fit(y []float64, cfg FitConfig) (Fitted, error) {
	p, err := prepare(y, cfg.firstPeriod())
	if err != nil {
		return nil, err
	}
	f := selectETS(p.y)
	f.warnings = append(p.warnings, f.warnings...)
	return f, nil
}

func selectETS(y []float64) *etsFit {
	n := len(y)
	best := fitETS("ses", y, etsForm{}, []etsParams{{alpha: 0.2}}, 200)
	if n < 8 {
		return best
	}
	bestA := aicc(best.sse, n, 3)
	for _, c := range []struct {
		name string
		form etsForm
	}{
		{"holt", etsForm{trend: true}},
		{"holt-damped", etsForm{trend: true, damped: true}},
	} {
		f := fitETS(c.name, y, c.form, []etsParams{{alpha: 0.3, beta: 0.03, phi: 0.95}}, 400)
		if a := aicc(f.sse, n, c.form.nParams()+3); a < bestA {
			best, bestA = f, a
		}
	}
	return best
}

// aicc is the corrected Akaike criterion of a Gaussian model with k
// parameters and residual sum of squares sse over n values.
func aicc(sse float64, n, k int) float64 {
	if n-k-1 <= 0 {
		return math.Inf(1)
	}
	// a perfect fit would give −Inf for every model; floor the error so the
	// penalty still decides
	sse = math.Max(sse, 1e-300)
	return float64(n)*math.Log(sse/float64(n)) + 2*float64(k) + 2*float64(k*(k+1))/float64(n-k-1)
}

// MSTLModel forecasts by MSTL decomposition (see MSTL): each seasonal
// component continues its last season unchanged (seasonal naive), and the
// seasonally adjusted series (trend + remainder) is forecast by Adjusted;
// the intervals are those of Adjusted shifted by the seasonal forecast —
// the method of R's forecast::stlf / forecast.mstl (Hyndman &
// Athanasopoulos, FPP3 §13.1).
type MSTLModel struct {
	// Periods are the seasonal periods; default FitConfig.Periods. Periods
	// with fewer than two full seasons of history are dropped with a warning.
	Periods []int
	// Options tune the decomposition.
	Options MSTLOptions
	// Adjusted forecasts the seasonally adjusted series; default ETS{}.
	Adjusted Model
}

// Name returns "mstl".
func (MSTLModel) Name() string { return "mstl" }

// Fit decomposes y and fits Adjusted to the seasonally adjusted series.
func (m MSTLModel) Fit(y []float64, cfg FitConfig) (Fitted, error) {
	periods := m.Periods
	if len(periods) == 0 {
		periods = cfg.periods()
	}
	return fitDecomposed("mstl", y, periods, m.Options, m.Adjusted, cfg)
}

// STLModel is MSTLModel with a single period: STL with seasonal window 11
// (R's stlf default) and a model on the seasonally adjusted series.
type STLModel struct {
	// Period is the season in samples; 0 takes the first of FitConfig.Periods.
	Period int
	// SeasonalWindow overrides the seasonal loess window (default 11).
	SeasonalWindow int
	// Robust uses robust STL.
	Robust bool
	// Adjusted forecasts the seasonally adjusted series; default ETS{}.
	Adjusted Model
}

// Name returns "stl".
func (STLModel) Name() string { return "stl" }

// Fit decomposes y and fits Adjusted to the seasonally adjusted series.
func (m STLModel) Fit(y []float64, cfg FitConfig) (Fitted, error) {
	p := m.Period
	if p < 2 {
		p = cfg.firstPeriod()
	}
	o := MSTLOptions{Iterations: 1, Robust: m.Robust}
	if m.SeasonalWindow > 0 {
		o.SeasonalWindows = []int{m.SeasonalWindow}
	}
	return fitDecomposed("stl", y, []int{p}, o, m.Adjusted, cfg)
}

func fitDecomposed(name string, y []float64, periods []int, o MSTLOptions, adj Model, cfg FitConfig) (Fitted, error) {
	first := 0
	for _, p := range periods {
		if p >= 2 && (first == 0 || p < first) {
			first = p
		}
	}
	pr, err := prepare(y, first)
	if err != nil {
		return nil, err
	}
	if adj == nil {
		adj = ETS{}
	}
	n := len(pr.y)
	var ws mstlWork
	var d Decomposition
	mstlRun(&ws, pr.y, periods, o, &d)
	fit := &decompFit{name: name, n: n, periods: append([]int(nil), d.Periods...), warnings: pr.warnings}
	for _, p := range periods {
		if p >= 2 && 2*p >= n {
			fit.warnings = append(fit.warnings, fmt.Sprintf("%s: period %d dropped, %d values hold fewer than two seasons", name, p, n))
		}
	}
	fit.last = make([][]float64, len(d.Periods))
	adjusted := make([]float64, n)
	copy(adjusted, pr.y)
	for i, p := range d.Periods {
		fit.last[i] = append([]float64(nil), d.Seasonal[i][n-p:]...)
		for t := range n {
			adjusted[t] -= d.Seasonal[i][t]
		}
	}
	fa, err := adj.Fit(adjusted, FitConfig{Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("%s: cannot fit %s to the seasonally adjusted series: %w", name, adj.Name(), err)
	}
	fit.adjusted = fa
	return fit, nil
}

type decompFit struct {
	name     string
	n        int
	periods  []int
	last     [][]float64 // last season of each seasonal component
	adjusted Fitted
	warnings []string
}

func (f *decompFit) Forecast(dst *Forecast, h int, level float64) {
	f.adjusted.Forecast(dst, h, level)
	inner, reason := dst.Model, dst.Reason
	adjWarn := append([]string(nil), dst.Warnings...)
	dst.Warnings = append(append(dst.Warnings[:0], f.warnings...), adjWarn...)
	dst.Model = f.name
	var b strings.Builder
	fmt.Fprintf(&b, "periods %v; adjusted series by %s", f.periods, inner)
	if reason != "" {
		fmt.Fprintf(&b, " (%s)", reason)
	}
	dst.Reason = b.String()
	dst.Periods = append(dst.Periods[:0], f.periods...)
	for i := range h {
		s := 0.0
		for k, p := range f.periods {
			s += f.last[k][i%p]
		}
		dst.Mean[i] += s
		dst.Lower[i] += s
		dst.Upper[i] += s
	}
}
