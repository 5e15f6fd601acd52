package forecast

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/omenhq/omen/stats"
	"github.com/omenhq/omen/units"
)

type seasonKind int

const (
	noSeason seasonKind = iota
	addSeason
	mulSeason
)

// etsForm is the shape of an additive-error exponential smoothing model,
// ETS(A, trend, season) in the taxonomy of Hyndman et al. (2008).
type etsForm struct {
	trend  bool
	damped bool
	season seasonKind
	m      int
}

// etsParams are the smoothing parameters; beta, gamma and phi are unused
// when the form has no trend, no season or no damping.
type etsParams struct {
	alpha, beta, gamma, phi float64
}

// etsSSE runs the error-correction recursions of Hyndman et al. (2008,
// Table 2.1, additive errors) over y from the initial level l0, trend b0 and
// seasonal states s0 (s0[i] for the observations t ≡ i mod m), using ring
// (len m) as workspace, and returns the sum of squared one-step errors and
// the final level and trend; ring then holds the final seasonal states.
//
//	ŷ_t = (l + φb) + s   or (l + φb)·s,  e = y_t − ŷ_t
//	l ← l + φb + α e      (α e/s multiplicative)
//	b ← φb + β e          (β e/s multiplicative)
//	s ← s + γ e           (γ e/(l + φb) multiplicative)
//
// It returns +Inf when a multiplicative model reaches a non-positive level or
// seasonal state. It does not allocate.
func etsSSE(y []float64, f etsForm, p etsParams, l0, b0 float64, s0, ring []float64) (sse, l, b float64) {
	l, b = l0, b0
	phi := 1.0
	if f.damped {
		phi = p.phi
	}
	if !f.trend {
		b = 0
	}
	a, be, g := p.alpha, p.beta, p.gamma
	ca := 1 - a
	switch {
	case f.season == noSeason && !f.trend:
		// l ← (1−α)l + αy keeps the dependency chain to one multiply-add
		for _, yt := range y {
			e := yt - l
			sse += e * e
			l = ca*l + a*yt
		}
	case f.season == noSeason:
		for _, yt := range y {
			lb := l + phi*b
			e := yt - lb
			sse += e * e
			l = ca*lb + a*yt
			b = phi*b + be*e
		}
	case f.season == addSeason:
		copy(ring, s0)
		j := 0
		for _, yt := range y {
			lb := l + phi*b
			s := ring[j]
			e := yt - lb - s
			sse += e * e
			l = ca*lb + a*(yt-s)
			b = phi*b + be*e
			ring[j] = s + g*e
			j++
			if j == len(ring) {
				j = 0
			}
		}
	case f.season == mulSeason:
		copy(ring, s0)
		j := 0
		for _, yt := range y {
			lb := l + phi*b
			s := ring[j]
			if lb <= 0 || s <= 0 {
				return math.Inf(1), l, b
			}
			e := yt - lb*s
			sse += e * e
			l = lb + a*e/s
			b = phi*b + be*e/s
			ring[j] = s + g*e/lb
			j++
			if j == len(ring) {
				j = 0
			}
		}
	}
	if !f.trend {
		b = 0
	}
	return sse, l, b
}

// etsInit sets the initial states by the heuristic of Hyndman et al. (2008,
// §2.6.1) as R's ets does before optimisation: seasonal states from a
// classical decomposition of the first cycles (up to 4), then a straight
// line fitted to the first max(10, 2m) seasonally adjusted values gives the
// level (intercept at t = 0) and trend (slope); without trend the level is
// their mean. s0 must have length f.m when the form is seasonal.
func etsInit(y []float64, f etsForm, s0 []float64) (l0, b0 float64) {
	n := len(y)
	if f.season != noSeason {
		k := min(n, 4*f.m)
		stats.ClassicalSeasonal(s0, y[:k], f.m, f.season == mulSeason)
	}
	maxn := min(max(10, 2*f.m), n)
	var sx, sy, sxx, sxy float64
	for t := range maxn {
		v := y[t]
		switch f.season {
		case addSeason:
			v -= s0[t%f.m]
		case mulSeason:
			v /= s0[t%f.m]
		}
		x := float64(t + 1)
		sx += x
		sy += v
		sxx += x * x
		sxy += x * v
	}
	nn := float64(maxn)
	if !f.trend || maxn < 2 {
		return sy / nn, 0
	}
	b0 = (nn*sxy - sx*sy) / (nn*sxx - sx*sx)
	l0 = (sy - b0*sx) / nn
	return l0, b0
}

// etsNParams returns the number of smoothing parameters of f.
func (f etsForm) nParams() int {
	k := 1
	if f.trend {
		k++
	}
	if f.season != noSeason {
		k++
	}
	if f.damped {
		k++
	}
	return k
}

// decode maps unconstrained coordinates u onto the admissible region
// 1e-4 ≤ α ≤ 0.9999, 0 < β < α, 0 < γ < 1 − α, 0.8 ≤ φ ≤ 0.98.
func (f etsForm) decode(u []float64) etsParams {
	var p etsParams
	p.alpha = logistic(u[0], 1e-4, 0.9999)
	i := 1
	if f.trend {
		p.beta = logistic(u[i], 0, p.alpha)
		i++
	}
	if f.season != noSeason {
		p.gamma = logistic(u[i], 0, 1-p.alpha)
		i++
	}
	p.phi = 1
	if f.damped {
		p.phi = logistic(u[i], 0.8, 0.98)
	}
	return p
}

// encode is the inverse of decode.
func (f etsForm) encode(dst []float64, p etsParams) []float64 {
	dst = append(dst[:0], logit(p.alpha, 1e-4, 0.9999))
	if f.trend {
		dst = append(dst, logit(p.beta, 0, p.alpha))
	}
	if f.season != noSeason {
		dst = append(dst, logit(p.gamma, 0, 1-p.alpha))
	}
	if f.damped {
		dst = append(dst, logit(p.phi, 0.8, 0.98))
	}
	return dst
}

// etsFit is a fitted exponential smoothing model.
type etsFit struct {
	name     string
	form     etsForm
	p        etsParams
	l, b     float64
	s        []float64 // final seasonal states by phase
	n        int       // observations fitted
	sigma    float64
	sse      float64
	warnings []string
}

// fitETS estimates the smoothing parameters of form f on y by least squares
// (equivalently Gaussian likelihood, the errors being additive) with
// Nelder-Mead, from each start in starts, keeping the best.
func fitETS(name string, y []float64, f etsForm, starts []etsParams, maxEval int) *etsFit {
	fit := &etsFit{name: name, form: f, n: len(y)}
	var s0, ring []float64
	if f.season != noSeason {
		s0 = make([]float64, f.m)
		ring = make([]float64, f.m)
	}
	l0, b0 := etsInit(y, f, s0)
	obj := func(u []float64) float64 {
		sse, _, _ := etsSSE(y, f, f.decode(u), l0, b0, s0, ring)
		return sse
	}
	best := math.Inf(1)
	var u0 []float64
	for _, st := range starts {
		u0 = f.encode(u0, st)
		u, v := minimizeNM(obj, u0, maxEval, 0.5, 1e-6)
		if v < best {
			best = v
			fit.p = f.decode(u)
		}
	}
	fit.sse, fit.l, fit.b = etsSSE(y, f, fit.p, l0, b0, s0, ring)
	if ring != nil {
		fit.s = append([]float64(nil), ring...)
	}
	dof := len(y) - f.nParams()
	if dof < 1 {
		dof = 1
	}
	fit.sigma = math.Sqrt(fit.sse / float64(dof))
	return fit
}

// fitETSWith is fitETS from a single start with the given evaluation budget,
// simplex size and relative tolerance, reusing the seasonal buffers of ws.
func fitETSWith(ws *autoWork, y []float64, f etsForm, start etsParams, maxEval int, simplex, tol float64) *etsFit {
	fit := &etsFit{name: "ets", form: f, n: len(y)}
	var s0, ring []float64
	if f.season != noSeason {
		ws.s0 = stats.Grow(ws.s0, f.m)
		ws.ring = stats.Grow(ws.ring, f.m)
		s0, ring = ws.s0, ws.ring
	}
	l0, b0 := etsInit(y, f, s0)
	obj := func(u []float64) float64 {
		sse, _, _ := etsSSE(y, f, f.decode(u), l0, b0, s0, ring)
		return sse
	}
	u, _ := minimizeNM(obj, f.encode(nil, start), maxEval, simplex, tol)
	fit.p = f.decode(u)
	fit.sse, fit.l, fit.b = etsSSE(y, f, fit.p, l0, b0, s0, ring)
	return fit
}

// Forecast implements Fitted with the analytical prediction variance of the
// additive-error models (Hyndman et al. 2008, Table 6.1, class 1):
//
//	v_h = σ² (1 + Σ_{j=1}^{h−1} c_j²),  c_j = α + β φ_j + γ·1{j ≡ 0 mod m}
//
// with φ_j = φ + … + φ^j (j without damping). For the multiplicative season
// the level and trend terms are scaled by the target step's seasonal state
// (an approximation; calibration is measured in bench/m4).
func (f *etsFit) Forecast(dst *Forecast, h int, level float64) {
	level = normLevel(level)
	dst.reset(h, level)
	dst.Model = f.name
	dst.Reason = f.describe()
	if f.form.season != noSeason {
		dst.Periods = append(dst.Periods, f.form.m)
	}
	dst.Warnings = append(dst.Warnings, f.warnings...)
	z := zQuantile(level)
	phi := 1.0
	if f.form.damped {
		phi = f.p.phi
	}
	phiSum, phiPow := 0.0, 1.0 // φ_h accumulates φ + … + φ^h
	sumC2 := 0.0
	for i := range h {
		phiPow *= phi
		phiSum += phiPow
		lb := f.l + phiSum*f.b
		mean, scale := lb, 1.0
		if f.form.season != noSeason {
			s := f.s[(f.n+i)%f.form.m]
			if f.form.season == addSeason {
				mean = lb + s
			} else {
				mean = lb * s
				scale = s
			}
		}
		v := f.sigma * f.sigma * (1 + sumC2*scale*scale)
		sd := math.Sqrt(v)
		dst.Mean[i], dst.Lower[i], dst.Upper[i] = mean, mean-z*sd, mean+z*sd
		// c_{i+1} for the next step's variance
		j := i + 1
		c := f.p.alpha
		if f.form.trend {
			c += f.p.beta * phiSum
		}
		if f.form.season != noSeason && j%f.form.m == 0 {
			c += f.p.gamma
		}
		sumC2 += c * c
	}
}

func (f *etsFit) describe() string {
	s := "α=" + fmtParam(f.p.alpha)
	if f.form.trend {
		s += " β=" + fmtParam(f.p.beta)
	}
	if f.form.season != noSeason {
		s += fmt.Sprintf(" γ=%s m=%d", fmtParam(f.p.gamma), f.form.m)
	}
	if f.form.damped {
		s += " φ=" + fmtParam(f.p.phi)
	}
	return s + " σ=" + units.SI(f.sigma)
}

// fmtParam writes a smoothing parameter in [0, 1] to three decimals,
// trailing zeros dropped: 0.972, 1, 0 (never 2.16e-25).
func fmtParam(x float64) string {
	s := strconv.FormatFloat(x, 'f', 3, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// SES is simple exponential smoothing, ETS(A,N,N): ŷ_{n+h} = l_n with
// l_t = l_{t−1} + α(y_t − l_{t−1}); α fitted by least squares.
type SES struct{}

// Name returns "ses".
func (SES) Name() string { return "ses" }

// Fit fits SES; it needs one finite value (α is then 0.5 by convention).
func (SES) Fit(y []float64, cfg FitConfig) (Fitted, error) {
	p, err := prepare(y, cfg.firstPeriod())
	if err != nil {
		return nil, err
	}
	f := fitETS("ses", p.y, etsForm{}, []etsParams{{alpha: 0.2}}, 200)
	f.warnings = append(p.warnings, f.warnings...)
	return f, nil
}

// Holt is Holt's linear trend method, ETS(A,A,N), optionally damped,
// ETS(A,Ad,N) (Gardner & McKenzie 1985):
//
//	ŷ_{n+h} = l_n + (φ + … + φ^h) b_n
//
// with α, β (and φ ∈ [0.8, 0.98]) fitted by least squares.
type Holt struct {
	// Damped adds the damping parameter φ.
	Damped bool
}

// Name returns "holt" or "holt-damped".
func (m Holt) Name() string {
	if m.Damped {
		return "holt-damped"
	}
	return "holt"
}

// Fit fits the model; with fewer than 4 values it falls back to SES with a
// warning.
func (m Holt) Fit(y []float64, cfg FitConfig) (Fitted, error) {
	p, err := prepare(y, cfg.firstPeriod())
	if err != nil {
		return nil, err
	}
	if len(p.y) < 4 {
		f := fitETS("ses", p.y, etsForm{}, []etsParams{{alpha: 0.2}}, 200)
		f.warnings = append(p.warnings, fmt.Sprintf("holt: %d values, fewer than 4; fell back to ses", len(p.y)))
		return f, nil
	}
	form := etsForm{trend: true, damped: m.Damped}
	f := fitETS(m.Name(), p.y, form, []etsParams{{alpha: 0.3, beta: 0.03, phi: 0.95}}, 400)
	f.warnings = append(p.warnings, f.warnings...)
	return f, nil
}

// HoltWinters is the Holt-Winters seasonal method in its additive-error state
// space form: ETS(A,A,A) / ETS(A,Ad,A) with additive seasonality, ETS(A,A,M) /
// ETS(A,Ad,M) with multiplicative seasonality, or without trend ETS(A,N,A) /
// ETS(A,N,M). Smoothing parameters are fitted by least squares (the
// Gaussian likelihood with the variance concentrated out) with Nelder-Mead
// from two starts, a fast-adapting and a slow one; initial states follow
// Hyndman et al. (2008, §2.6.1).
type HoltWinters struct {
	// Period is the season in samples; 0 takes the first of FitConfig.Periods.
	Period int
	// Multiplicative selects multiplicative seasonality (positive data only;
	// otherwise it falls back to additive with a warning).
	Multiplicative bool
	// Damped damps the trend (φ ∈ [0.8, 0.98]).
	Damped bool
	// NoTrend drops the trend component.
	NoTrend bool
}

// Name returns "hw" (additive) or "hwm" (multiplicative), with "-damped" or
// "-notrend" when set.
func (m HoltWinters) Name() string {
	s := "hw"
	if m.Multiplicative {
		s = "hwm"
	}
	if m.NoTrend {
		return s + "-notrend"
	}
	if m.Damped {
		s += "-damped"
	}
	return s
}

// Fit fits the model. Without a period, or with fewer than two seasons of
// history, it falls back to Holt (damped as configured) with a warning.
func (m HoltWinters) Fit(y []float64, cfg FitConfig) (Fitted, error) {
	period := m.Period
	if period < 2 {
		period = cfg.firstPeriod()
	}
	p, err := prepare(y, period)
	if err != nil {
		return nil, err
	}
	if period < 2 || len(p.y) < 2*period {
		fb, err := Holt{Damped: m.Damped}.Fit(p.y, FitConfig{})
		if err != nil {
			return nil, err
		}
		f := fb.(*etsFit)
		msg := "no seasonal period"
		if period >= 2 {
			msg = fmt.Sprintf("%d values, fewer than two seasons of %d", len(p.y), period)
		}
		f.warnings = append(append(p.warnings, m.Name()+": "+msg+"; fell back to "+f.name), f.warnings...)
		return f, nil
	}
	form := etsForm{trend: !m.NoTrend, damped: m.Damped && !m.NoTrend, season: addSeason, m: period}
	var warn []string
	if m.Multiplicative {
		form.season = mulSeason
		for _, v := range p.y {
			if v <= 0 {
				form.season = addSeason
				warn = append(warn, m.Name()+": non-positive values; fell back to additive seasonality")
				break
			}
		}
	}
	starts := []etsParams{
		{alpha: 0.5, beta: 0.01, gamma: 0.1, phi: 0.95},
		{alpha: 0.05, beta: 0.001, gamma: 0.02, phi: 0.95},
	}
	f := fitETS(m.Name(), p.y, form, starts, 300)
	if form.season == mulSeason && !finite(f.sse) {
		form.season = addSeason
		f = fitETS(m.Name(), p.y, form, starts, 300)
		warn = append(warn, m.Name()+": multiplicative recursions reached a non-positive level; fell back to additive seasonality")
	}
	f.warnings = append(append(p.warnings, warn...), f.warnings...)
	return f, nil
}
