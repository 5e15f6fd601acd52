package forecast

import (
	"fmt"
	"math"

	"github.com/omenhq/omen/stats"
	"github.com/omenhq/omen/units"
)

// Theta is the Theta method of Assimakopoulos & Nikolopoulos (2000) in the
// equivalent form of Hyndman & Billah (2003), as R's forecast::thetaf and
// the M4 benchmark: when the series passes the 90% seasonality test at the
// period (see stats.SeasonalityTest) it is divided by classical multiplicative
// seasonal indices (subtracted for non-positive data); simple exponential
// smoothing with drift half the least squares slope b is applied:
//
//	ŷ_{n+h} = ℓ_n + (b/2)·((h − 1) + (1 − (1−α)^n)/α)
//
// and the forecast is reseasonalised. Intervals are those of SES,
// σ·sqrt(1 + (h−1)α²), reseasonalised likewise.
type Theta struct {
	// Period is the season in samples; 0 takes the first of FitConfig.Periods.
	Period int
}

// Name returns "theta".
func (Theta) Name() string { return "theta" }

// Fit fits the model; with fewer than 3 values it falls back to naive.
func (m Theta) Fit(y []float64, cfg FitConfig) (Fitted, error) {
	period := m.Period
	if period < 2 {
		period = cfg.firstPeriod()
	}
	p, err := prepare(y, period)
	if err != nil {
		return nil, err
	}
	n := len(p.y)
	if n < 3 {
		return p.naiveFallback("theta", 3), nil
	}
	fit := &thetaFit{n: n, warnings: p.warnings}
	x := p.y
	if period >= 2 && stats.SeasonalityTest(p.y, period) {
		fit.period = period
		fit.mult = true
		for _, v := range p.y {
			if v <= 0 {
				fit.mult = false
				break
			}
		}
		fit.idx = stats.ClassicalSeasonal(nil, p.y, period, fit.mult)
		x = make([]float64, n)
		for t, v := range p.y {
			if fit.mult {
				x[t] = v / fit.idx[t%period]
			} else {
				x[t] = v - fit.idx[t%period]
			}
		}
	}
	fit.ses = fitETS("ses", x, etsForm{}, []etsParams{{alpha: 0.2}}, 200)
	_, fit.b = olsLine(x)
	return fit, nil
}

type thetaFit struct {
	n        int
	period   int
	mult     bool
	idx      []float64
	ses      *etsFit
	b        float64
	warnings []string
}

func (f *thetaFit) Forecast(dst *Forecast, h int, level float64) {
	f.ses.Forecast(dst, h, level)
	dst.Model = "theta"
	dst.Warnings = append(dst.Warnings[:0], f.warnings...)
	a := math.Max(f.ses.p.alpha, 1e-10)
	c := (1 - math.Pow(1-a, float64(f.n))) / a
	dst.Reason = fmt.Sprintf("α=%s drift %s per step", fmtParam(f.ses.p.alpha), units.SI(f.b/2))
	if f.period > 0 {
		kind := "multiplicative"
		if !f.mult {
			kind = "additive"
		}
		dst.Reason += fmt.Sprintf(", %s classical seasonality m=%d", kind, f.period)
		dst.Periods = append(dst.Periods, f.period)
	} else {
		dst.Reason += ", not seasonal"
	}
	for i := range h {
		d := f.b / 2 * (float64(i) + c)
		dst.Mean[i] += d
		dst.Lower[i] += d
		dst.Upper[i] += d
		if f.period > 0 {
			s := f.idx[(f.n+i)%f.period]
			if f.mult {
				dst.Mean[i] *= s
				dst.Lower[i] *= s
				dst.Upper[i] *= s
			} else {
				dst.Mean[i] += s
				dst.Lower[i] += s
				dst.Upper[i] += s
			}
		}
	}
}
