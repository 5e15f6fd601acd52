package forecast

import (
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/omenhq/omen/stats"
	"github.com/omenhq/omen/units"
)

// AutoOptions configures Auto. The zero value is usable: no seasonal
// candidates (unless FitConfig.Periods are given), horizon 24, level 0.8,
// five validation origins.
type AutoOptions struct {
	// Step is the sampling step; the candidate seasonal periods are derived
	// from it with CandidatePeriods (1h → 24, 168; 5m → 288, 2016).
	Step time.Duration
	// Periods, when set, are the candidate periods instead of those of Step.
	Periods []int
	// Horizon is the validation horizon and the default forecast length;
	// default the shortest candidate period, or 24 without one.
	Horizon int
	// Level is the default interval level; default 0.8.
	Level float64
	// Origins is the number of rolling-origin validation windows (each
	// Horizon long, ending at the end of the history); default 5. Fewer are
	// used when the history is short.
	Origins int
	// Logger receives a debug record with the validation losses; nil
	// discards them.
	Logger *slog.Logger
}

// AutoModel is Auto as a Model: Fit detects the seasonal periods, validates
// the candidate members and fixes the combination; Forecast combines the
// members' forecasts and sets the empirical interval.
type AutoModel struct {
	Options AutoOptions
}

// Name returns "auto".
func (AutoModel) Name() string { return "auto" }

// Auto forecasts y opts.Horizon steps ahead with the automatic method (see
// AutoModel.Fit) at opts.Level.
// Like Predict it forecasts values of any magnitude float64 holds, and
// returns an error wrapping ErrOverflow rather than a path that is not
// finite.
func Auto(y []float64, opts AutoOptions) (*Forecast, error) {
	ys, scale, warn := scaleIn(y)
	f, err := AutoModel{Options: opts}.Fit(ys, FitConfig{Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	var fc Forecast
	f.Forecast(&fc, 0, opts.Level)
	return scaleOut(&fc, scale, warn)
}

// CandidatePeriods returns the seasonal periods, in samples, suggested by a
// sampling step: a day and a week when they are whole multiples of the step
// (for example 1h → 24, 168; 5m → 288, 2016). It returns nil for a step of
// a day or more that divides no week into at least two samples.
func CandidatePeriods(step time.Duration) []int {
	if step <= 0 {
		return nil
	}
	var out []int
	for _, p := range []time.Duration{24 * time.Hour, 7 * 24 * time.Hour} {
		if p%step == 0 && p/step >= 2 {
			out = append(out, int(p/step))
		}
	}
	return out
}

// Settings of the combination, fixed globally (see bench/FORECAST-NOTES.md
// for the evidence behind them).
const (
	autoTop   = 3 // members kept in the combination
	autoPower = 2 // weights ∝ loss^−autoPower
	// minShownWeight is the least weight for which a member is named in
	// the model name: a lighter one shows as 0.00 and adds nothing a
	// reader can see.
	minShownWeight = 0.005
	autoOrigins    = 5 // default number of validation origins
)

// Fit prepares y (imputing missing values), detects the seasonal periods,
// runs rolling-origin validation of the candidate members over the last
// Origins·Horizon values and keeps the best autoTop members with weights
// proportional to the inverse squared validation MAE. Histories too short
// for validation fall back to a single simple model with a warning.
//
// Periods: the shortest candidate p₁ is seasonal when n ≥ 2p₁ and the
// autocorrelation at p₁ passes the 90% test of the M4 benchmarks; a longer
// candidate p₂ (the week) is then kept when n ≥ p₂ + p₁ — its members are
// weighed by validation like the others, and the in-sample ratio
// mean |y_t − y_{t−p₂}| / mean |y_t − y_{t−p₁}| is reported — or, without
// p₁, when it passes the ACF test itself. Only MSTL needs two full seasons of
// a period; the seasonal-naive members use a longer period from one season
// plus one short period of history (two weeks are rare in monitoring data,
// and on synth-5min the weekly members halve the error: see
// bench/FORECAST-NOTES.md).
//
// Members, with p₁ seasonal: seasonal naive at p₁; Theta on the series
// deseasonalised at p₁; MSTL (p₁ and p₂ when it has two seasons) with SES on
// the adjusted series; and with p₂: seasonal naive at
// p₂ scaled by the ratio of the last p₁ values to the same values one p₂
// earlier; seasonal naive at p₁ scaled by the ratio, one p₂ earlier, of the
// target p₁ season to the last one; the mean of the last two p₂ seasons,
// shifted to the level of the last one. Without seasonality: naive, SES,
// damped Holt, Theta and a straight line through the recent values (four
// horizons). Smoothing parameters are re-estimated at every
// origin, warm-started from the previous one.
func (m AutoModel) Fit(y []float64, cfg FitConfig) (Fitted, error) {
	o := m.Options
	cands := o.Periods
	if len(cands) == 0 {
		cands = CandidatePeriods(o.Step)
	}
	if len(cands) == 0 {
		cands = cfg.periods()
	}
	cands = usablePeriods(nil, cands, math.MaxInt)
	first := 0
	if len(cands) > 0 {
		first = cands[0]
	}
	pr, err := prepare(y, first)
	if err != nil {
		return nil, err
	}
	log := o.Logger
	if log == nil {
		log = cfg.Logger
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &autoFit{y: pr.y, warnings: pr.warnings, level: o.Level}
	a.detect(cands)
	a.h = o.Horizon
	if a.h <= 0 {
		a.h = 24
		if len(cands) > 0 {
			a.h = cands[0]
		}
	}
	origins := o.Origins
	if origins <= 0 {
		origins = autoOrigins
	}
	a.validate(origins)
	log.Debug("auto", "periods", a.periods, "members", a.memberNames(), "loss", a.loss, "weights", a.weights)
	return a, nil
}

// memberKind enumerates the building blocks of Auto.
type memberKind int

const (
	mNaive        memberKind = iota // last value
	mSES                            // simple exponential smoothing
	mDamped                         // damped Holt
	mTheta                          // Theta, deseasonalised at p1 when seasonal
	mSNaive                         // seasonal naive at p
	mSNaiveLevel                    // seasonal naive at the long period, level-adjusted by the last short period
	mSNaiveWeekly                   // seasonal naive at the short period times the long-period ratio of the target to the last short season
	mSeasonalMean                   // mean of the last two long seasons, level-adjusted
	mMSTL                           // MSTL + ETS on the adjusted series
	mLinearRecent                   // a straight line through the recent values
)

type member struct {
	kind   memberKind
	p1, p2 int
	// warm start of the smoothing parameters from one origin to the next
	form    etsForm
	params  etsParams
	started bool
}

func (m *member) name() string {
	switch m.kind {
	case mNaive:
		return "naive"
	case mSES:
		return "ses"
	case mDamped:
		return "holt-damped"
	case mTheta:
		if m.p1 > 0 {
			return fmt.Sprintf("theta(%d)", m.p1)
		}
		return "theta"
	case mSNaive:
		return fmt.Sprintf("snaive(%d)", m.p1)
	case mSNaiveLevel:
		return fmt.Sprintf("snaive-level(%d)", m.p2)
	case mSNaiveWeekly:
		return fmt.Sprintf("snaive(%d)×ratio(%d)", m.p1, m.p2)
	case mSeasonalMean:
		return fmt.Sprintf("smean(2×%d)", m.p2)
	case mLinearRecent:
		return "linear-recent"
	case mMSTL:
		if m.p2 > 0 {
			return fmt.Sprintf("mstl(%d,%d)", m.p1, m.p2)
		}
		return fmt.Sprintf("mstl(%d)", m.p1)
	}
	return "?"
}

// minLen is the shortest history the member can forecast from.
func (m *member) minLen() int {
	switch m.kind {
	case mNaive:
		return 1
	case mSES, mTheta:
		if m.p1 > 0 {
			return 2 * m.p1
		}
		return 4
	case mDamped:
		return 8
	case mSNaive:
		return m.p1
	case mSNaiveLevel, mSNaiveWeekly:
		return m.p2 + m.p1
	case mSeasonalMean:
		return 2*m.p2 + 1
	case mMSTL:
		return 2*m.p1 + 1
	case mLinearRecent:
		return 8
	}
	return math.MaxInt
}

// autoFit is a fitted Auto.
type autoFit struct {
	y        []float64
	h        int
	level    float64
	periods  []int
	detail   []string
	members  []*member
	loss     []float64
	weights  []float64
	origins  int
	scores   []float64 // nonconformity scores |e|/scale
	scale    []float64 // per-step error scale
	fallback Fitted
	warnings []string
	ws       autoWork
}

type autoWork struct {
	decOK              bool
	decN, decP1, decP2 int
	mstl               mstlWork
	dec                Decomposition
	adj                []float64
	x                  []float64
	idx                []float64
	s0                 []float64
	ring               []float64
}

// reserve sizes the buffers for histories up to n values and the given
// periods, so that the fits at the successive origins do not reallocate.
func (ws *autoWork) reserve(n int, periods []int) {
	np := 1
	for _, p := range periods {
		np = max(np, p)
	}
	ws.mstl.stl.ensure(n, np)
	ws.mstl.deseas = stats.Grow(ws.mstl.deseas, n)
	ws.adj = stats.Grow(ws.adj, n)
	ws.x = stats.Grow(ws.x, n)
	d := &ws.dec
	d.Trend = stats.Grow(d.Trend, n)
	d.Remainder = stats.Grow(d.Remainder, n)
	for len(d.Seasonal) < len(periods) {
		d.Seasonal = append(d.Seasonal, make([]float64, n))
	}
	for i := range d.Seasonal {
		d.Seasonal[i] = stats.Grow(d.Seasonal[i], n)
	}
}

// detect sets a.periods from the candidates (ascending).
func (a *autoFit) detect(cands []int) {
	n := len(a.y)
	var p1 int
	for _, p := range cands {
		switch {
		case p1 == 0:
			if n >= 2*p && seasonalACF(a.y, p) {
				p1 = p
				a.periods = append(a.periods, p)
				a.detail = append(a.detail, fmt.Sprintf("%d (ACF test)", p))
			}
		case n >= p+p1:
			// kept whenever the history holds one long season and one short
			// one: validation weighs its members; the in-sample ratio of
			// the lag errors is reported as evidence
			cur, short := lagMAE(a.y, p, p), lagMAE(a.y, p1, p)
			a.periods = append(a.periods, p)
			ratio := fmt.Sprintf("%.2f×", cur/short)
			if short == 0 {
				// Both lags repeat the history exactly (0/0), or only
				// the short one does.
				ratio = map[bool]string{true: "the same as", false: "above"}[cur == 0]
			}
			a.detail = append(a.detail, fmt.Sprintf("%d (lag-%d error %s lag-%d)", p, p, ratio, p1))
		}
	}
}

// seasonalACF is the 90% autocorrelation test of the M4 benchmarks at lag
// m, r_m > 1.645·sqrt((1 + 2 Σ_{k<m} r_k²)/n'), applied to the series minus
// its centred moving average of order m (2×m for even m) — the classical
// detrending, which keeps a season of length m and removes trends that
// would otherwise make every lag look correlated — over the n' = n − 2⌊m/2⌋
// values where that average exists. It needs n ≥ 2m. The autocorrelations
// are stats.ACF's (by FFT, O(n log n)).
func seasonalACF(y []float64, m int) bool {
	n := len(y)
	if m < 2 || n < 2*m {
		return false
	}
	half := m / 2
	d := make([]float64, 0, n-2*half)
	sum := 0.0
	for j := 0; j <= 2*half; j++ {
		sum += y[j]
	}
	inv := 1 / float64(m)
	for t := half; t+half < n; t++ {
		if t > half {
			sum += y[t+half] - y[t-half-1]
		}
		tr := sum * inv
		if m%2 == 0 {
			tr = (sum - 0.5*y[t-half] - 0.5*y[t+half]) * inv
		}
		d = append(d, y[t]-tr)
	}
	if len(d) <= m {
		return false // no lag m to measure (and r_m = 0 would not pass)
	}
	r := stats.ACF(nil, d, m)
	s := 0.0
	for k := 1; k < m; k++ {
		s += r[k] * r[k]
	}
	return r[m] > 1.645*math.Sqrt((1+2*s)/float64(len(d)))
}

// lagMAE is mean |y_t − y_{t−lag}| over t ∈ [from, n).
func lagMAE(y []float64, lag, from int) float64 {
	s := 0.0
	for t := from; t < len(y); t++ {
		s += math.Abs(y[t] - y[t-lag])
	}
	return s / float64(len(y)-from)
}

// candidates returns the members for the detected periods.
func (a *autoFit) candidates() []*member {
	var ms []*member
	switch len(a.periods) {
	case 0:
		ms = []*member{{kind: mNaive}, {kind: mSES}, {kind: mDamped}, {kind: mTheta}, {kind: mLinearRecent}}
	default:
		p1 := a.periods[0]
		ms = []*member{{kind: mSNaive, p1: p1}, {kind: mTheta, p1: p1}, {kind: mMSTL, p1: p1}}
		for _, p2 := range a.periods[1:] {
			ms = append(ms,
				&member{kind: mSNaiveLevel, p1: p1, p2: p2},
				&member{kind: mSNaiveWeekly, p1: p1, p2: p2},
				&member{kind: mSeasonalMean, p1: p1, p2: p2})
		}
		// MSTL takes the longest period with two full seasons of history
		for _, p := range a.periods[1:] {
			if 2*p < len(a.y) {
				ms[2].p2 = p
			}
		}
	}
	return ms
}

// validate chooses the members and weights by rolling-origin validation and
// estimates the interval scale from the combination's validation errors.
func (a *autoFit) validate(origins int) {
	n, h := len(a.y), a.h
	var cands []*member
	for _, m := range a.candidates() {
		if m.minLen() <= n-h {
			cands = append(cands, m)
		}
	}
	// the number of origins: as many as asked for that every member can fit
	// at the earliest one (at least two); failing that, as many as leave at
	// least two members
	need := 0
	for _, m := range cands {
		need = max(need, m.minLen())
	}
	k := min(origins, (n-need)/h)
	if k < min(2, origins) {
		k = origins
		for k > 0 {
			cut, ok := n-k*h, 0
			for _, m := range cands {
				if cut >= m.minLen() {
					ok++
				}
			}
			if cut >= h && ok >= 2 {
				break
			}
			k--
		}
	}
	if k <= 0 {
		a.fallbackFit()
		return
	}
	cut0 := n - k*h
	var ms []*member
	for _, m := range cands {
		if cut0 >= m.minLen() {
			ms = append(ms, m)
		}
	}
	a.origins = k
	a.ws.reserve(n, a.periods)
	fc := make([]float64, len(ms)*k*h)
	loss := make([]float64, len(ms))
	for o := range k {
		cut := cut0 + o*h
		tr, te := a.y[:cut], a.y[cut:cut+h]
		for i, m := range ms {
			f := fc[(i*k+o)*h : (i*k+o+1)*h]
			a.memberForecast(m, f, tr)
			s := 0.0
			for j, v := range te {
				s += math.Abs(v - f[j])
			}
			loss[i] += s / float64(h*k)
		}
	}
	weights := combineWeights(nil, loss, nil)
	a.members, a.loss, a.weights = ms, loss, weights
	// empirical interval: errors of the combination at every origin, the
	// weights for origin o being chosen without origin o (so the errors are
	// not flattered by the choice they are used to judge)
	errs := make([]float64, k*h)
	lo := make([]float64, len(ms))
	wbuf := make([]float64, len(ms))
	ord := make([]int, len(ms))
	for o := range k {
		cut := cut0 + o*h
		wo := weights
		if k > 1 {
			for i := range ms {
				lo[i] = 0
				for oo := range k {
					if oo == o {
						continue
					}
					f := fc[(i*k+oo)*h : (i*k+oo+1)*h]
					for j := range h {
						lo[i] += math.Abs(a.y[cut0+oo*h+j] - f[j])
					}
				}
			}
			wo = combineWeights(wbuf, lo, ord)
		}
		for j := range h {
			c := 0.0
			for i := range ms {
				c += wo[i] * fc[(i*k+o)*h+j]
			}
			errs[o*h+j] = a.y[cut+j] - c
		}
	}
	a.setScale(errs, k, h)
}

// combineWeights sets dst[i] ∝ loss[i]^−autoPower for the autoTop
// smallest losses and 0 for the others, summing to 1. ord is scratch
// (allocated when nil).
func combineWeights(dst, loss []float64, ord []int) []float64 {
	if dst == nil {
		dst = make([]float64, len(loss))
	}
	if ord == nil {
		ord = make([]int, len(loss))
	}
	for i := range ord {
		ord[i] = i
		dst[i] = 0
	}
	sort.SliceStable(ord, func(x, y int) bool { return loss[ord[x]] < loss[ord[y]] })
	eps := 1e-12 * (1 + math.Abs(loss[ord[0]]))
	wsum := 0.0
	for r, i := range ord {
		if r >= autoTop {
			break
		}
		dst[i] = math.Pow(loss[i]+eps, -autoPower)
		wsum += dst[i]
	}
	for i := range dst {
		dst[i] /= wsum
	}
	return dst
}

// setScale derives the per-step error scale and the nonconformity scores
// from the validation errors errs[o·h + j] (o origins, h steps): the scale
// at step j is the mean absolute error at steps j−w..j+w over all origins
// (w = h/8), floored at half the overall mean; the scores are |e|/scale.
func (a *autoFit) setScale(errs []float64, k, h int) {
	mae := make([]float64, h)
	all := 0.0
	for j := range h {
		for o := range k {
			mae[j] += math.Abs(errs[o*h+j])
		}
		all += mae[j]
		mae[j] /= float64(k)
	}
	all /= float64(k * h)
	w := h / 8
	a.scale = make([]float64, h)
	for j := range h {
		s, c := 0.0, 0
		for i := max(0, j-w); i <= min(h-1, j+w); i++ {
			s += mae[i]
			c++
		}
		a.scale[j] = math.Max(s/float64(c), 0.5*all)
	}
	a.scores = make([]float64, k*h)
	for o := range k {
		for j := range h {
			sc := a.scale[j]
			if sc > 0 {
				a.scores[o*h+j] = math.Abs(errs[o*h+j]) / sc
			}
		}
	}
	sort.Float64s(a.scores)
}

// fallbackFit handles histories too short to validate: seasonal naive with
// one season of history, SES with 4 values, naive otherwise.
func (a *autoFit) fallbackFit() {
	n := len(a.y)
	var m Model = Naive{}
	switch {
	case len(a.periods) > 0 && n > a.periods[0]:
		m = SeasonalNaive{Period: a.periods[0]}
	case n >= 4:
		m = SES{}
	}
	f, err := m.Fit(a.y, FitConfig{})
	if err != nil {
		f, _ = Naive{}.Fit(a.y, FitConfig{})
	}
	a.fallback = f
	a.warnings = append(a.warnings, fmt.Sprintf("auto: %d values are too few to validate models over a horizon of %d; used %s", n, a.h, m.Name()))
}

func (a *autoFit) memberNames() []string {
	var s []string
	for _, m := range a.members {
		s = append(s, m.name())
	}
	return s
}

// Forecast combines the members' forecasts over h steps (0 = the
// validation horizon) with the interval [mean − q·s_j, mean + q·s_j], s_j
// the validation error scale at step j (for steps beyond the validation
// horizon s_H·sqrt(j/H)) and q the conformal quantile of the validation
// scores: the ⌈(N+1)·level⌉-th smallest of N.
func (a *autoFit) Forecast(dst *Forecast, h int, level float64) {
	if h <= 0 {
		h = a.h
	}
	if level <= 0 || level >= 1 {
		level = a.level
	}
	level = normLevel(level)
	if a.fallback != nil {
		a.fallback.Forecast(dst, h, level)
		inner := dst.Model
		dst.Model = "auto:" + inner
		dst.Reason = "history too short to validate; " + inner
		dst.Warnings = append(append([]string(nil), a.warnings...), dst.Warnings...)
		return
	}
	dst.reset(h, level)
	for j := range dst.Mean {
		dst.Mean[j] = 0
	}
	f := make([]float64, h)
	type part struct {
		name string
		w    float64
	}
	var parts []part
	for i, m := range a.members {
		w := a.weights[i]
		if w == 0 {
			continue
		}
		a.memberForecast(m, f, a.y)
		for j := range h {
			dst.Mean[j] += w * f[j]
		}
		parts = append(parts, part{m.name(), w})
	}
	// Model lists the members that carry weight (at least minShownWeight,
	// so not "0.00" in Reason) in their fixed order, so that equal
	// choices read the same; Reason lists them by weight.
	var names []string
	light := 0
	for _, p := range parts {
		if p.w >= minShownWeight {
			names = append(names, p.name)
		} else {
			light++
		}
	}
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].w > parts[j].w })
	var b strings.Builder
	for i, p := range parts[:len(parts)-light] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %.2f", p.name, p.w)
	}
	if light > 0 {
		fmt.Fprintf(&b, " (and %d weighing under 0.01)", light)
	}
	dst.Model = "auto:" + strings.Join(names, "+")
	periods := "none seasonal"
	if len(a.detail) > 0 {
		periods = strings.Join(a.detail, ", ")
	}
	best := 0
	for i := range a.loss {
		if a.loss[i] < a.loss[best] {
			best = i
		}
	}
	dst.Reason = fmt.Sprintf("periods: %s; combination of the %d best of %d members by %d-origin validation MAE (best %s %s), weights ∝ MAE^-2: %s",
		periods, len(parts), len(a.members), a.origins, a.members[best].name(), units.SI(a.loss[best]), b.String())
	dst.Periods = append(dst.Periods, a.periods...)
	dst.Warnings = append(dst.Warnings, a.warnings...)
	// interval
	q := conformalQuantile(a.scores, level)
	H := len(a.scale)
	for j := range h {
		s := 0.0
		if j < H {
			s = a.scale[j]
		} else {
			s = a.scale[H-1] * math.Sqrt(float64(j+1)/float64(H))
		}
		dst.Lower[j] = dst.Mean[j] - q*s
		dst.Upper[j] = dst.Mean[j] + q*s
	}
}

// memberForecast fits m to y and writes len(dst) point forecasts.
func (a *autoFit) memberForecast(m *member, dst, y []float64) {
	n, h := len(y), len(dst)
	ws := &a.ws
	switch m.kind {
	case mNaive:
		for i := range dst {
			dst[i] = y[n-1]
		}
	case mSNaive:
		p := m.p1
		for i := range dst {
			dst[i] = y[n-p+i%p]
		}
	case mSNaiveLevel:
		p, w := m.p2, m.p1
		cur, prev := 0.0, 0.0
		pos := true
		for i := n - w; i < n; i++ {
			cur += y[i]
			prev += y[i-p]
			pos = pos && y[i] > 0 && y[i-p] > 0
		}
		for i := range dst {
			v := y[n-p+i%p]
			if pos {
				dst[i] = v * cur / prev
			} else {
				dst[i] = v + (cur-prev)/float64(w)
			}
		}
	case mSNaiveWeekly:
		p1, p2 := m.p1, m.p2
		// ratio of each target short season to the last short season, one
		// long season earlier
		base, pos := 0.0, true
		for i := n - p2 - p1; i < n-p2; i++ {
			base += y[i]
			pos = pos && y[i] > 0
		}
		for d := 0; d*p1 < h; d++ {
			lo := n - p2 + d*p1
			for lo+p1 > n {
				lo -= p2
			}
			tgt := 0.0
			ok := pos
			for i := lo; i < lo+p1; i++ {
				tgt += y[i]
				ok = ok && y[i] > 0
			}
			for j := d * p1; j < min(h, (d+1)*p1); j++ {
				v := y[n-p1+j%p1]
				if ok {
					dst[j] = v * tgt / base
				} else {
					dst[j] = v + (tgt-base)/float64(p1)
				}
			}
		}
	case mSeasonalMean:
		p := m.p2
		shift := 0.0
		for i := range p {
			cur := y[n-p+i]
			avg := (y[n-p+i] + y[n-2*p+i]) / 2
			shift += cur - avg
		}
		shift /= float64(p)
		for i := range dst {
			dst[i] = (y[n-p+i%p]+y[n-2*p+i%p])/2 + shift
		}
	case mSES:
		m.form = etsForm{}
		f := a.fitMemberETS(m, y)
		for i := range dst {
			dst[i] = f.l
		}
	case mDamped:
		m.form = etsForm{trend: true, damped: true}
		f := a.fitMemberETS(m, y)
		phi, ps, pw := f.p.phi, 0.0, 1.0
		for i := range dst {
			pw *= phi
			ps += pw
			dst[i] = f.l + ps*f.b
		}
	case mTheta:
		x := y
		mult := false
		if m.p1 > 0 {
			mult = true
			for _, v := range y {
				if v <= 0 {
					mult = false
					break
				}
			}
			ws.idx = stats.ClassicalSeasonal(ws.idx, y, m.p1, mult)
			ws.x = stats.Grow(ws.x, n)
			x = ws.x
			for t, v := range y {
				if mult {
					x[t] = v / ws.idx[t%m.p1]
				} else {
					x[t] = v - ws.idx[t%m.p1]
				}
			}
		}
		m.form = etsForm{}
		f := a.fitMemberETS(m, x)
		_, b := olsLine(x)
		al := math.Max(f.p.alpha, 1e-10)
		c := (1 - math.Pow(1-al, float64(n))) / al
		for i := range dst {
			v := f.l + b/2*(float64(i)+c)
			if m.p1 > 0 {
				s := ws.idx[(n+i)%m.p1]
				if mult {
					v *= s
				} else {
					v += s
				}
			}
			dst[i] = v
		}
	case mLinearRecent:
		w := a.recentWindow(n, 0)
		b0, b1 := olsLine(y[n-w:])
		for i := range dst {
			dst[i] = b0 + b1*float64(w+i+1)
		}
	case mMSTL:
		a.decompose(y, m.p1, m.p2)
		if !m.started {
			// choose the ETS form once, at the first origin, by AICc
			// SES on the adjusted series: AICc between SES and damped Holt
			// won 0.003 OWA on M4 for a third of the time (FORECAST-NOTES)
			m.form = etsForm{}
		}
		f := a.fitMemberETS(m, ws.adj)
		phi := 1.0
		if m.form.damped {
			phi = f.p.phi
		}
		ps2, pw := 0.0, 1.0
		for i := range dst {
			pw *= phi
			ps2 += pw
			v := f.l + ps2*f.b
			for k, p := range ws.dec.Periods {
				v += ws.dec.Seasonal[k][n-p+i%p]
			}
			dst[i] = v
		}
	}
}

// recentWindow is the number of recent values the straight-line members
// fit: four validation horizons or two short seasons, whichever is longer,
// at most n.
func (a *autoFit) recentWindow(n, p1 int) int {
	return min(n, max(4*a.h, 2*p1, 8))
}

// decompose leaves the MSTL of y at periods p1 (and p2 when > 0) in ws.dec
// and the seasonally adjusted series in ws.adj, reusing the previous result
// when it was for the same prefix of the history (members share it).
func (a *autoFit) decompose(y []float64, p1, p2 int) {
	ws := &a.ws
	n := len(y)
	if ws.decOK && ws.decN == n && ws.decP1 == p1 && ws.decP2 == p2 {
		return
	}
	periods := [2]int{p1, p2}
	ps := periods[:1]
	if p2 > 0 {
		ps = periods[:2]
	}
	mstlRun(&ws.mstl, y, ps, MSTLOptions{Iterations: 1, Inner: 1}, &ws.dec)
	ws.adj = stats.Grow(ws.adj, n)
	copy(ws.adj, y)
	for i := range ws.dec.Periods {
		for t, s := range ws.dec.Seasonal[i] {
			ws.adj[t] -= s
		}
	}
	ws.decOK, ws.decN, ws.decP1, ws.decP2 = true, n, p1, p2
}

// fitMemberETS fits m.form to y, starting from the member's previous
// parameters (warm start across origins) when it has them.
func (a *autoFit) fitMemberETS(m *member, y []float64) *etsFit {
	start := etsParams{alpha: 0.2, beta: 0.02, phi: 0.95}
	maxEval, simplex, tol := 400, 0.5, 1e-6
	if m.started {
		// a warm start is close: a smaller simplex and a looser tolerance
		// (1e-4 of the SSE is far below what changes a forecast)
		start, maxEval, simplex, tol = m.params, 60, 0.2, 1e-4
	}
	f := fitETSWith(&a.ws, y, m.form, start, maxEval, simplex, tol)
	m.params, m.started = f.p, true
	return f
}
