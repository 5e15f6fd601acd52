package capacity

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/stats"
)

// Data requirements.
const (
	// minSamples and minSpan: less history than this is insufficient data.
	minSamples = 12
	minSpan    = 2 * time.Hour
	// maxPathSteps caps the steps of the forecast paths over the horizon.
	maxPathSteps = 4096
	// StaleAfter (or two steps of the data, when longer): a target whose
	// last sample is older than this before the as-of instant is stale.
	staleAfter = StaleAfter
)

// StaleAfter is how old the last usage sample may be at the as-of instant
// before a prediction is marked stale (Prediction.Stale), unless two steps
// of the data are longer: a pod deleted, an exporter down, a volume
// detached. A stale prediction is made from the data up to its last sample
// and says so; it is never silently "ok".
const StaleAfter = time.Hour

// Predict predicts when target t runs out, as of asOf, from the samples at
// or before asOf within cfg.Window. See the package documentation for the
// method. It returns an error only for series that break the series
// invariants (ErrInvalidSeries); data problems (no samples, no limit, too
// short a history, a last sample long before asOf) give a prediction with
// the corresponding pattern, flag and warning.
func Predict(t Target, asOf time.Time, cfg Config) (Prediction, error) {
	p, err := predict(t, asOf, cfg)
	if err != nil || p.LastSample.IsZero() {
		return p, err
	}
	if d := asOf.Sub(p.LastSample); d > max(staleAfter, 2*recentStep(t.Usage, asOf.UnixMilli())) {
		p.Stale = true
		p.Warnings = append(p.Warnings, fmt.Sprintf("last sample is %s old", fmtDur(d)))
		p.Reason = fmt.Sprintf("Stale: last sample %s ago (%s); the series stopped reporting and this is from its data up to then. %s", fmtDur(d), p.LastSample.UTC().Format("2006-01-02 15:04 MST"), p.Reason)
	}
	return p, nil
}

// MaxMagnitude is the largest absolute value of usage, limit or capacity
// Predict analyses: squares of larger values overflow float64, so beyond
// it the prediction says so (pattern insufficient-data) instead of
// returning NaN or infinite figures.
const MaxMagnitude = 1e150

// largest returns the finite value of largest magnitude among the usage
// samples, the limit and the capacity, and which of them it is.
func largest(usage series.Series, limit, capacity float64) (float64, string) {
	big, what := 0.0, ""
	take := func(v float64, w string) {
		if math.Abs(v) > math.Abs(big) && !math.IsInf(v, 0) {
			big, what = v, w
		}
	}
	for _, v := range usage.Values {
		take(v, "usage")
	}
	take(limit, "limit")
	take(capacity, "capacity")
	return big, what
}

// recentStep is the median of the last steps of s at or before at, 0 when
// it has fewer than two samples.
func recentStep(s series.Series, at int64) time.Duration {
	s = s.AsOf(at)
	var d [8]int64
	n := 0
	for i := s.Len() - 1; i > 0 && n < len(d); i-- {
		d[n] = s.Timestamps[i] - s.Timestamps[i-1]
		n++
	}
	if n == 0 {
		return 0
	}
	slices.Sort(d[:n])
	return time.Duration(d[n/2]) * time.Millisecond
}

func predict(t Target, asOf time.Time, cfg Config) (Prediction, error) {
	cfg = cfg.withDefaults()
	for _, s := range []struct {
		name string
		s    interface{ Validate() error }
	}{{"usage", t.Usage}, {"limit", t.Limit}, {"restarts", t.Restarts}, {"capacity", t.Capacity}} {
		if err := s.s.Validate(); err != nil {
			return Prediction{}, fmt.Errorf("%w: %s series of %s: %w", ErrInvalidSeries, s.name, t.Labels, err)
		}
	}
	if t.Direction != series.Up && t.Direction != series.Down {
		return Prediction{}, fmt.Errorf("capacity: target %s: direction %d is neither up nor down", t.Labels, t.Direction)
	}
	at := asOf.UnixMilli()
	p := Prediction{
		Labels: t.Labels, AsOf: asOf, Direction: t.Direction,
		Current: math.NaN(), Limit: math.NaN(), Capacity: math.NaN(), Segments: 1,
	}
	cur, curT := lastValid(t.Usage, at)
	p.Current = cur
	if !math.IsNaN(cur) {
		p.LastSample = time.UnixMilli(curT).UTC()
	}
	p.Capacity, _ = lastValid(t.Capacity, at)
	limit, _ := lastValid(t.Limit, at)
	if math.IsNaN(limit) {
		limit = t.LimitValue
	}
	noLimit := math.IsNaN(limit) || math.IsInf(limit, 0) || (t.Direction == series.Up && limit <= 0)
	if !noLimit {
		p.Limit = limit
	}
	if math.IsNaN(cur) {
		p.Pattern = PatternInsufficientData
		p.Model = "none"
		p.Warnings = append(p.Warnings, "no usage sample at or before the as-of instant")
		p.Reason = "No usage data at or before " + asOf.UTC().Format(time.RFC3339) + "."
		return p, nil
	}
	if big, what := largest(t.Usage.Slice(at-cfg.Window.Milliseconds(), at), limit, p.Capacity); math.Abs(big) > MaxMagnitude {
		p.Pattern = PatternInsufficientData
		p.Model = "none"
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s %g is beyond ±%g, where the fit overflows float64", what, big, MaxMagnitude))
		p.Reason = fmt.Sprintf("Cannot predict: the %s reaches %g, beyond the ±%g the arithmetic holds; record the metric in larger units.", what, big, MaxMagnitude)
		return p, nil
	}
	sign := 1.0
	if t.Direction == series.Down {
		sign = -1
	}
	lim := sign * limit
	exhausted := !noLimit && sign*cur >= lim

	w := getWork()
	defer putWork(w)
	lo := at - cfg.Window.Milliseconds()
	placed := w.buildGrid(t.Usage, lo, at, cfg.MaxPoints, sign)
	span := time.Duration(0)
	if placed > 0 {
		span = time.Duration(w.n-1) * time.Duration(w.step) * time.Millisecond
	}
	if placed < minSamples || span < minSpan {
		p.Pattern = PatternInsufficientData
		p.Model = "none"
		p.Warnings = append(p.Warnings, fmt.Sprintf("only %d samples over %s in the %s window: at least %d over %s are needed",
			placed, fmtDur(span), fmtDur(cfg.Window), minSamples, fmtDur(minSpan)))
		p.Reason = fmt.Sprintf("Too little history (%d samples over %s) to predict.", placed, fmtDur(span))
		if exhausted {
			zero := time.Duration(0)
			p.ETA = &ETA{P10: &zero, P50: &zero, P90: &zero}
			p.Risk = RiskCritical
			p.Reason = "Already at or beyond the limit; " + strings.ToLower(p.Reason[:1]) + p.Reason[1:]
		}
		if noLimit {
			p.Pattern = PatternNoLimit
		}
		return p, nil
	}
	if span < 3*day {
		p.Warnings = append(p.Warnings, fmt.Sprintf("short history (%s): a daily cycle cannot be told from growth before 2 days, nor steps from trends", fmtDur(span)))
	}
	if w.nonFinite > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%d infinite samples ignored", w.nonFinite))
	}
	if gaps := w.gapWarning(); gaps != "" {
		p.Warnings = append(p.Warnings, gaps)
	}
	hasCounter := t.Restarts.Len() > 0
	if hasCounter {
		w.alignCounter(t.Restarts, at)
	}
	scale := math.Abs(lim - sign*cur)
	horizonDays := float64(cfg.Horizon) / float64(day)
	if noLimit {
		scale = math.NaN()
	}
	an := w.analyze(hasCounter, scale, horizonDays)
	p.Pattern, p.Model = an.pattern, an.model
	if an.nseg > 1 {
		p.Segments = an.nseg
		p.LastRestart = time.UnixMilli(w.timeOf(an.curStart)).UTC()
	}
	cfg.Logger.Debug("capacity: analysed", "labels", t.Labels.String(), "pattern", an.pattern, "model", an.model,
		"points", w.n, "step", time.Duration(w.step)*time.Millisecond, "segments", an.nseg, "slope_per_day", an.slope,
		"offset", an.offset, "envelope", an.envA, "structured", an.structured,
		"phi", an.fit.phi, "lrv", an.fit.lrv, "drops", an.segs.drops, "frequent", an.frequent, "profile", an.prof.on, "fit_from", w.timeOf(an.fitLo))

	// Paths over the horizon from the last sample.
	end := at + cfg.Horizon.Milliseconds()
	// The paths step at the data step, coarsened to at most maxPathSteps
	// steps over the horizon.
	w.pstep = w.step
	if k := (end - w.tEnd) / (w.step * maxPathSteps); k >= 1 {
		w.pstep = w.step * (k + 1)
	}
	w.pstepD = float64(w.pstep) / float64(dayMs)
	steps := int((end - w.tEnd + w.pstep - 1) / w.pstep)
	if steps < 1 {
		steps = 1
	}
	w.paths(&an, steps)
	if noLimit {
		p.Pattern = PatternNoLimit
		p.Reason = w.reasonNoLimit(&an, t)
		p.Forecast = w.forecastPoints(cfg, steps, sign)
		return p, nil
	}
	eta := w.crossings(&an, lim, steps, at, cfg.Seed^t.Labels.Fingerprint())
	if an.youngRun && (!an.growing || an.unproven) {
		// A run of a few hours with none complete before it, from a slope
		// that is not material, or from a run that did not run out (a
		// warm-up cut by a deploy looks like a leak): only the early
		// crossing is plausible; the late side is unbounded and the
		// median undetermined until the run shows its shape.
		eta.P50, eta.P90 = nil, nil
	}
	switch {
	case exhausted:
		zero := time.Duration(0)
		p.ETA = &ETA{P10: &zero, P50: &zero, P90: &zero}
	case eta.P10 != nil:
		p.ETA = &eta
	}
	p.Risk = risk(p.ETA, cfg)
	p.Reason = w.reason(&an, t, p, cfg, lim, sign)
	p.Forecast = w.forecastPoints(cfg, steps, sign)
	return p, nil
}

// risk maps an ETA to a risk level (see Risk).
func risk(e *ETA, cfg Config) Risk {
	switch {
	case e == nil || e.P10 == nil:
		return RiskOK
	case e.P50 != nil && *e.P50 < cfg.Critical:
		return RiskCritical
	case e.P50 != nil && *e.P50 < cfg.Warning:
		return RiskWarning
	}
	return RiskInfo
}

// paths computes the mean, lower and upper oriented paths for steps
// 1..steps after the last point.
func (w *work) paths(an *analysis, steps int) {
	w.mean = stats.Grow(w.mean, steps+1)
	w.lo = stats.Grow(w.lo, steps+1)
	w.hi = stats.Grow(w.hi, steps+1)
	f := &an.fit
	for h := 0; h <= steps; h++ {
		x := float64(h) * w.pstepD
		age := an.ageNow + x
		g0, g1 := f.sh.eval(x, age)
		t := w.tEnd + int64(h)*w.pstep
		m := f.aCur + f.beta[0]*g0 + f.beta[1]*g1 + w.profileAt(&an.prof, t) + an.offset
		v := f.pathVar(g0, g1) + w.profileVar(&an.prof, t) + an.levelVar
		if an.pVar > 0 {
			d := (an.alt.value(x, age) - f.value(x, age)) / an.altDelta
			v += d * d * an.pVar
			if an.aVar > 0 {
				// The origin of a power curve (originUncertainty).
				da := (an.alt2.value(x, age+an.alt2Delta) - f.value(x, age)) / an.alt2Delta
				v += 2*d*da*an.pCov + da*da*an.aVar
			}
		}
		sd := math.Sqrt(v)
		bl, bh := an.cal.band(x, sd)
		w.mean[h] = m
		w.lo[h] = m - bl
		w.hi[h] = m + bh
		if an.bend.ok && !an.structured {
			// A bend of a short history that may be real (analyzeContinuous):
			// the early side reaches the quadratic's increase from now.
			b := &an.bend
			w.hi[h] = math.Max(w.hi[h], m+(b.value(x, 0)-b.value(0, 0))-(f.value(x, age)-f.value(0, an.ageNow)))
		}
		if an.quad.ok {
			// A curve steeper than the quadratic (analyzeContinuous): the
			// late side reaches the quadratic's increase from now.
			q := &an.quad
			w.lo[h] = math.Min(w.lo[h], m+(q.value(x, 0)-q.value(0, 0))-(f.value(x, age)-f.value(0, an.ageNow)))
		}
	}
}

// firstCrossing returns the Unix ms of the first crossing of lim by path
// (steps 0..steps), interpolated linearly, or false.
func (w *work) firstCrossing(path []float64, lim float64) (int64, bool) {
	if path[0] >= lim {
		return w.tEnd, true
	}
	for h := 1; h < len(path); h++ {
		if path[h] >= lim {
			prev := path[h-1]
			frac := 1.0
			if path[h] > prev {
				frac = (lim - prev) / (path[h] - prev)
			}
			return w.tEnd + int64((float64(h-1)+frac)*float64(w.pstep)), true
		}
	}
	return 0, false
}

// crossings turns the paths into an ETA from at, nil beyond the horizon.
func (w *work) crossings(an *analysis, lim float64, steps int, at int64, seed uint64) ETA {
	var e ETA
	end := at + int64(steps)*w.pstep
	if an.structured {
		if e, ok := w.simulate(an, lim, steps, at, seed); ok {
			return e
		}
	}
	conv := func(path []float64) *time.Duration {
		tc, ok := w.firstCrossing(path, lim)
		if !ok || tc > end {
			return nil
		}
		d := time.Duration(max(0, tc-at)) * time.Millisecond
		return &d
	}
	e.P10 = conv(w.hi)
	e.P50 = conv(w.mean)
	e.P90 = conv(w.lo)
	// Interpolation can break the order by a hair; keep P10 ≤ P50 ≤ P90.
	if e.P50 != nil && e.P10 != nil && *e.P10 > *e.P50 {
		*e.P10 = *e.P50
	}
	if e.P50 != nil && e.P90 != nil && *e.P90 < *e.P50 {
		*e.P90 = *e.P50
	}
	if e.P50 != nil && e.P10 == nil {
		d := *e.P50
		e.P10 = &d
	}
	return e
}

// forecastPoints subsamples the paths for charts, in the series' unit.
func (w *work) forecastPoints(cfg Config, steps int, sign float64) ForecastPoints {
	var fp ForecastPoints
	if cfg.ForecastPoints < 0 {
		return fp
	}
	k := (steps + cfg.ForecastPoints - 1) / cfg.ForecastPoints
	k = max(k, 1)
	n := steps / k
	fp.Timestamps = make([]int64, n)
	fp.Mean = make([]float64, n)
	fp.Lower = make([]float64, n)
	fp.Upper = make([]float64, n)
	for j := range n {
		h := (j + 1) * k
		fp.Timestamps[j] = w.tEnd + int64(h)*w.pstep
		m, lo, hi := sign*w.mean[h], sign*w.lo[h], sign*w.hi[h]
		if sign < 0 {
			lo, hi = hi, lo
		}
		fp.Mean[j], fp.Lower[j], fp.Upper[j] = m, lo, hi
	}
	return fp
}

// gapWarning describes the missing points of the grid, or "".
func (w *work) gapWarning() string {
	missing, longest, run := 0, 0, 0
	for _, v := range w.y {
		if math.IsNaN(v) {
			missing++
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	if missing == 0 || float64(missing) < 0.05*float64(w.n) && time.Duration(longest)*time.Duration(w.step)*time.Millisecond < 6*time.Hour {
		return ""
	}
	return fmt.Sprintf("%.0f%% of the points are missing (longest gap %s)", 100*float64(missing)/float64(w.n),
		fmtDur(time.Duration(longest)*time.Duration(w.step)*time.Millisecond))
}

// PredictAll predicts every target with up to workers goroutines (0 means
// 1). The predictions are in the order of targets. A target whose series
// are invalid gets a prediction with pattern insufficient-data and the
// error in its warnings; the returned error joins those errors. When ctx
// is cancelled, the targets not yet predicted keep zero predictions and
// ctx's error is returned.
func PredictAll(ctx context.Context, targets []Target, asOf time.Time, cfg Config, workers int) ([]Prediction, error) {
	out := make([]Prediction, len(targets))
	errs := make([]error, len(targets))
	workers = max(1, min(workers, len(targets)))
	var next sync.Mutex
	i := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				next.Lock()
				k := i
				i++
				next.Unlock()
				if k >= len(targets) {
					return
				}
				p, err := Predict(targets[k], asOf, cfg)
				if err != nil {
					errs[k] = err
					p = Prediction{Labels: targets[k].Labels, AsOf: asOf, Direction: targets[k].Direction,
						Current: math.NaN(), Limit: math.NaN(), Capacity: math.NaN(), Segments: 1,
						Pattern: PatternInsufficientData, Model: "none", Reason: "Invalid series.", Warnings: []string{err.Error()}}
				}
				out[k] = p
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return out, err
	}
	return out, errors.Join(errs...)
}
