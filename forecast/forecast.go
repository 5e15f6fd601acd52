package forecast

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/omenhq/omen/stats"
)

// ErrNoData is returned when a history holds no finite value.
var ErrNoData = errors.New("forecast: no finite values in the history")

// ErrUnknownModel is returned by ByName for a name it does not know.
var ErrUnknownModel = errors.New("forecast: unknown model")

// DefaultLevel is the prediction interval level used when none is given.
const DefaultLevel = 0.8

// Forecast is the result of a model: the mean path and the prediction
// interval [Lower, Upper] at Level for steps 1..len(Mean) after the last
// observation.
type Forecast struct {
	// Mean is the point forecast (the conditional mean, or the combination's
	// point forecast for Auto).
	Mean []float64
	// Lower and Upper bound the central prediction interval at Level.
	Lower, Upper []float64
	// Level is the nominal coverage of [Lower, Upper], in (0, 1).
	Level float64
	// Model names the model that produced the forecast.
	Model string
	// Reason says why this model was used (Auto) or how it was set up.
	Reason string
	// Periods lists the seasonal periods the model used, in samples.
	Periods []int
	// Warnings lists what the model had to work around: imputed values,
	// fallbacks to simpler models for short histories.
	Warnings []string
}

// Horizon returns the number of forecast steps.
func (f *Forecast) Horizon() int { return len(f.Mean) }

// reset sizes the slices of f for h steps, reusing their capacity, and
// clears the descriptive fields.
func (f *Forecast) reset(h int, level float64) {
	f.Mean = stats.Grow(f.Mean, h)
	f.Lower = stats.Grow(f.Lower, h)
	f.Upper = stats.Grow(f.Upper, h)
	f.Level = level
	f.Model, f.Reason = "", ""
	f.Periods = f.Periods[:0]
	f.Warnings = f.Warnings[:0]
}

// FitConfig is passed to Model.Fit. The zero value fits a non-seasonal model.
type FitConfig struct {
	// Periods lists the seasonal periods in samples. Single-season models use
	// the first one unless the model sets its own period; MSTL uses all.
	// Periods below 2 are ignored.
	Periods []int
	// Logger receives debug records about fitting; nil discards them.
	Logger *slog.Logger
}

// Model is a forecasting method with its settings. Fit estimates it on the
// history y (oldest first, NaN for missing samples) and never modifies y.
type Model interface {
	// Name returns a short name such as "snaive" or "hw".
	Name() string
	// Fit estimates the model on y.
	Fit(y []float64, cfg FitConfig) (Fitted, error)
}

// Fitted is a model estimated on a history. A Fitted is not safe for
// concurrent use; fit one per goroutine.
type Fitted interface {
	// Forecast fills dst with h steps and the central prediction interval at
	// level (DefaultLevel when level is not in (0, 1)), reusing dst's slices.
	Forecast(dst *Forecast, h int, level float64)
}

// Predict fits m to y and returns its h-step forecast at level, a
// convenience for one-off use.
//
// Values of any magnitude that float64 holds are forecast: a history whose
// largest value is beyond 2^±400, where sums of squares overflow or
// underflow, is scaled by a power of two (exactly) for the fit and the
// forecast scaled back, and ±Inf samples are taken as missing. A forecast
// that still does not fit in float64 (an interval beyond ±1.8e308) is an
// error wrapping ErrOverflow, never a NaN or infinite path.
func Predict(m Model, y []float64, cfg FitConfig, h int, level float64) (*Forecast, error) {
	ys, scale, warn := scaleIn(y)
	f, err := m.Fit(ys, cfg)
	if err != nil {
		return nil, err
	}
	var fc Forecast
	f.Forecast(&fc, h, level)
	return scaleOut(&fc, scale, warn)
}

// ErrOverflow is returned when a forecast does not fit in float64.
var ErrOverflow = errors.New("forecast: the forecast overflows float64")

// Scaling limits of scaleIn: beyond them sums of squares lose the values.
const (
	bigExp   = 400
	smallExp = -400
)

// scaleIn returns y with ±Inf taken as missing and, when its largest
// magnitude is beyond 2^±400, scaled by a power of two so that it is near
// 1; y itself is never modified. scale is what the forecast is multiplied
// by afterwards (1 when nothing was scaled).
func scaleIn(y []float64) (out []float64, scale float64, warn string) {
	maxAbs, inf := 0.0, 0
	for _, v := range y {
		switch {
		case math.IsInf(v, 0):
			inf++
		case !math.IsNaN(v):
			maxAbs = max(maxAbs, math.Abs(v))
		}
	}
	_, exp := math.Frexp(maxAbs)
	if inf == 0 && (maxAbs == 0 || (exp < bigExp && exp > smallExp)) {
		return y, 1, ""
	}
	out = make([]float64, len(y))
	scale = 1.0
	var warns []string
	if maxAbs > 0 && (exp >= bigExp || exp <= smallExp) {
		scale = math.Ldexp(1, exp-1) // exp−1 ≤ 1023: 2^1024 is not a float64
		warns = append(warns, fmt.Sprintf("values fitted divided by 2^%d, as their magnitude overflows or underflows sums of squares; the reason's parameters are in those units", exp-1))
	}
	for i, v := range y {
		if math.IsInf(v, 0) {
			v = math.NaN()
		}
		out[i] = v / scale
	}
	if inf > 0 {
		warns = append(warns, fmt.Sprintf("%d infinite values taken as missing", inf))
	}
	return out, scale, strings.Join(warns, "; ")
}

// scaleOut scales a forecast back and refuses one that is not finite.
func scaleOut(fc *Forecast, scale float64, warn string) (*Forecast, error) {
	if warn != "" {
		fc.Warnings = append(fc.Warnings, warn)
	}
	for _, path := range [][]float64{fc.Mean, fc.Lower, fc.Upper} {
		for i := range path {
			path[i] *= scale
		}
	}
	for i := range fc.Mean {
		for _, v := range [3]float64{fc.Mean[i], fc.Lower[i], fc.Upper[i]} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: step %d of %s is mean %g in [%g, %g]; the values (up to ±1.8e308) leave no room for the interval: divide the series by a large factor first",
					ErrOverflow, i+1, fc.Model, fc.Mean[i], fc.Lower[i], fc.Upper[i])
			}
		}
	}
	return fc, nil
}

// ByName returns the model with the given name with default settings:
// naive, snaive, drift, linear, theilsen, ses, ets (SES or Holt by AICc),
// holt (damped), hw and hwm (damped Holt-Winters, additive and
// multiplicative), stl, mstl, theta and auto.
func ByName(name string) (Model, error) {
	switch name {
	case "naive":
		return Naive{}, nil
	case "snaive":
		return SeasonalNaive{}, nil
	case "drift":
		return Drift{}, nil
	case "linear":
		return Linear{}, nil
	case "theilsen":
		return TheilSen{}, nil
	case "ses":
		return SES{}, nil
	case "holt":
		return Holt{Damped: true}, nil
	case "hw":
		return HoltWinters{Damped: true}, nil
	case "hwm":
		return HoltWinters{Damped: true, Multiplicative: true}, nil
	case "stl":
		return STLModel{}, nil
	case "mstl":
		return MSTLModel{}, nil
	case "theta":
		return Theta{}, nil
	case "ets":
		return ETS{}, nil
	case "auto":
		return AutoModel{}, nil
	}
	return nil, fmt.Errorf("%w %q (known: %v)", ErrUnknownModel, name, ModelNames())
}

// ModelNames lists the names ByName accepts.
func ModelNames() []string {
	return []string{"auto", "naive", "snaive", "drift", "linear", "theilsen", "ses", "ets", "holt", "hw", "hwm", "stl", "mstl", "theta"}
}

// ForStep returns the model called name (see ByName) set up for series
// sampled every step and forecast horizon steps ahead, and the FitConfig to
// fit it with: the candidate periods of the step (CandidatePeriods, the day
// first) for every model, and for "auto" the step and the horizon as its
// validation horizon. It is what a command line needs from a --model name.
func ForStep(name string, step time.Duration, horizon int) (Model, FitConfig, error) {
	m, err := ByName(name)
	if err != nil {
		return nil, FitConfig{}, err
	}
	if a, ok := m.(AutoModel); ok {
		a.Options.Step = step
		a.Options.Horizon = horizon
		m = a
	}
	return m, FitConfig{Periods: CandidatePeriods(step)}, nil
}

// normLevel returns level, or DefaultLevel when level is not in (0, 1).
func normLevel(level float64) float64 {
	if !(level > 0 && level < 1) {
		return DefaultLevel
	}
	return level
}

// zQuantile returns the standard normal quantile z with P(|Z| ≤ z) = level.
func zQuantile(level float64) float64 {
	return math.Sqrt2 * math.Erfinv(level)
}

// firstPeriod returns the first usable period of cfg (≥ 2), or 0.
func (c FitConfig) firstPeriod() int {
	for _, p := range c.Periods {
		if p >= 2 {
			return p
		}
	}
	return 0
}

// periods returns the usable periods of cfg, sorted ascending, deduplicated.
func (c FitConfig) periods() []int {
	var out []int
	for _, p := range c.Periods {
		if p >= 2 {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
