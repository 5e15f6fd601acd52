package forecast

import (
	"fmt"
	"math"
	"sort"
)

// Conformal replaces the intervals of a model by empirical ones from
// rolling-origin validation, as Auto does for its combination: the model is
// refitted at Origins origins, each Horizon steps before the next, on the
// history before the origin; its errors over the following Horizon steps
// give a per-step scale s_j (mean |error| over origins, smoothed over ±h/8
// steps, floored at half the overall mean) and scores |e|/s_j; the interval
// at level is mean ± q·s_j with q the ⌈(N+1)·level⌉-th smallest of the N
// scores (split-conformal quantile). Steps beyond Horizon use
// s_H·sqrt(j/H). The point forecast is the model's.
type Conformal struct {
	// Model is the model whose intervals are replaced.
	Model Model
	// Horizon is the validation horizon; default 24.
	Horizon int
	// Origins is the number of validation origins; default 5. Fewer are used
	// when the history is short; with none possible the model's own
	// interval is kept, with a warning.
	Origins int
}

// Name returns the model's name with "+conformal".
func (c Conformal) Name() string { return c.Model.Name() + "+conformal" }

// Fit fits the model at every origin and on the whole history.
func (c Conformal) Fit(y []float64, cfg FitConfig) (Fitted, error) {
	h, k := c.Horizon, c.Origins
	if h <= 0 {
		h = 24
	}
	if k <= 0 {
		k = autoOrigins
	}
	pr, err := prepare(y, cfg.firstPeriod())
	if err != nil {
		return nil, err
	}
	full, err := c.Model.Fit(pr.y, cfg)
	if err != nil {
		return nil, err
	}
	n := len(pr.y)
	minTrain := max(2*h, 2*cfg.firstPeriod()+1)
	for k > 0 && n-k*h < minTrain {
		k--
	}
	cf := &conformalFit{inner: full, warnings: pr.warnings}
	if k == 0 {
		cf.warnings = append(cf.warnings, fmt.Sprintf("conformal: %d values are too few to validate over %d steps; kept the model's interval", n, h))
		return cf, nil
	}
	errs := make([]float64, k*h)
	var fc Forecast
	for o := range k {
		cut := n - (k-o)*h
		f, err := c.Model.Fit(pr.y[:cut], cfg)
		if err != nil {
			return nil, fmt.Errorf("conformal: cannot fit %s at origin %d: %w", c.Model.Name(), cut, err)
		}
		f.Forecast(&fc, h, DefaultLevel)
		for j := range h {
			errs[o*h+j] = pr.y[cut+j] - fc.Mean[j]
		}
	}
	var a autoFit
	a.setScale(errs, k, h)
	cf.scale, cf.scores, cf.origins = a.scale, a.scores, k
	return cf, nil
}

type conformalFit struct {
	inner    Fitted
	scale    []float64
	scores   []float64
	origins  int
	warnings []string
}

func (c *conformalFit) Forecast(dst *Forecast, h int, level float64) {
	level = normLevel(level)
	c.inner.Forecast(dst, h, level)
	inner := append([]string(nil), dst.Warnings...)
	dst.Warnings = append(append(dst.Warnings[:0], c.warnings...), inner...)
	if c.scores == nil {
		return
	}
	dst.Model += "+conformal"
	if dst.Reason != "" {
		dst.Reason += "; "
	}
	dst.Reason += fmt.Sprintf("interval from %d-origin validation errors", c.origins)
	q := conformalQuantile(c.scores, level)
	H := len(c.scale)
	for j := range h {
		s := 0.0
		if j < H {
			s = c.scale[j]
		} else {
			s = c.scale[H-1] * math.Sqrt(float64(j+1)/float64(H))
		}
		dst.Lower[j] = dst.Mean[j] - q*s
		dst.Upper[j] = dst.Mean[j] + q*s
	}
}

// conformalQuantile returns the ⌈(N+1)·level⌉-th smallest of the sorted
// scores, extrapolated linearly past the largest.
func conformalQuantile(sorted []float64, level float64) float64 {
	N := len(sorted)
	if N == 0 {
		return 0
	}
	if !sort.Float64sAreSorted(sorted) {
		panic("forecast: conformal scores not sorted")
	}
	r := int(math.Ceil(float64(N+1)*level)) - 1
	q := sorted[min(max(r, 0), N-1)]
	if r >= N {
		q *= float64(r+1) / float64(N)
	}
	return q
}
