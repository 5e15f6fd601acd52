package anomaly

import "math"

// Threshold is the default score at and above which a sample is
// anomalous: a corrected tail probability of 1e−5 (LogScore(1e−5) = 0.5).
// On stationary noise a perfectly calibrated detector would cross it about
// once in 100,000 samples (a year of 5-minute data); the tails err on the
// unsurprising side.
const Threshold = 0.5

// Evidence names the statistic behind a score.
type Evidence string

// The evidences a Surprise detector weighs.
const (
	EvidenceNone  Evidence = ""
	EvidencePoint Evidence = "point" // this sample is far from the baseline
	EvidenceShift Evidence = "shift" // the recent samples are off the baseline together
	EvidenceStuck Evidence = "stuck" // the recent samples move far less than ever (a flat line)
	EvidenceRange Evidence = "range" // the value is beyond the range seen
	EvidenceLevel Evidence = "level" // the recent average is beyond the range of past averages
	EvidenceShape Evidence = "shape" // the recent samples form a shape unlike any seen
)

// evidences is the number of tail probabilities combined (Bonferroni):
// point, shift, stuck, shape and both ends of the range and of the level.
const evidences = 8

// Config configures a Surprise detector, omen's default. The zero value is
// the configuration measured in bench/RESULTS.md.
type Config struct {
	// Baseline configures the seasonal baseline.
	Baseline BaselineConfig
	// Tail configures the calibration of every statistic against its own
	// history (its MinScale and Anchor are set per statistic).
	Tail TailConfig
	// Short is the memory, in samples, of the averages behind the shift,
	// stuck and level evidence (exponential weights 1/Short), and the
	// number of samples after which an episode reports its strength;
	// default 8.
	Short int
	// Threshold is the score at and above which a sample is anomalous;
	// default Threshold.
	Threshold float64
	// Episode is the score at which an episode opens (default 0.25, a
	// corrected tail probability of 3·10⁻³) and Quiet the number of
	// samples in a row below it that end one (default 12). See Surprise.
	Episode float64
	Quiet   int
}

func (c Config) withDefaults() Config {
	if c.Short <= 0 {
		c.Short = 8
	}
	if c.Threshold <= 0 {
		c.Threshold = Threshold
	}
	if c.Episode <= 0 || c.Episode > c.Threshold {
		c.Episode = math.Min(0.25, c.Threshold)
	}
	if c.Quiet <= 0 {
		c.Quiet = 12
	}
	return c
}

// Surprise is omen's default detector: how surprising each sample is,
// judged against the same series' own past.
//
// A Baseline (rolling median, daily and weekly profiles, robust scales)
// turns each sample into a standardised residual z. Six statistics are
// each compared with their own recent history by a Tail, which gives the
// probability of a value at least as extreme — the empirical frequency
// inside the range seen, an exponential tail of uncertain scale beyond it:
//
//	point: |z_t|                          upper tail
//	shift: |EWMA(z)_t|                    upper tail
//	stuck: log(EWMA(|z_t − z_{t−1}|) + 10⁻³)  lower tail (a flat line)
//	range: v_t                            both tails
//	level: EWMA(v)_t                      both tails
//	shape: d(f(v)_{t−Short+1…t}) / s      upper tail
//
// (exponential weights 1/Short). The first three are relative to what the
// baseline expected now (a spike at night, a day that stays flat, a shift
// of the level); range and level to everything the series did recently, so
// a value or a sustained level never seen in two weeks counts even where
// the baseline has adapted (the "spatial anomaly" of Numenta's detector,
// here calibrated and without a margin to tune). Shape is the Euclidean
// distance from the last Short values f(v) to the nearest earlier stretch
// of Short values in the same memory (Tail.History), in units of their
// interquartile spread s: a pattern never seen, even within the range and
// close to the baseline (the windowed novelty of k-NN and ART detectors).
// For counts — while every value is a non-negative integer — the shapes
// are of f(v) = 2√(v + 3/8), Anscombe's transform, so that the Poisson
// noise of busy hours is not a new shape (s is then the spread of f(v));
// otherwise f(v) = v. The shape is judged once its tail holds a day of
// distances. A count of zero following a zero is not judged by the stuck
// statistic and does not move its average: a count of nothing has no noise
// to lose (the noise of a Poisson count vanishes with its rate), so an
// idle stretch of zeros — a quiet night, however long — is not a flat
// line, while a counter frozen at any other value still is. The smallest of the eight probabilities times eight
// (Bonferroni) is the sample's tail probability p, and its raw score is LogScore(p) in [0, 1]: 0.25 is p = 3·10⁻³, 0.5
// is p = 10⁻⁵, 1 is p ≤ 10⁻¹⁰. Because every statistic is judged against
// the same series, a score means the same on a quiet and on a noisy series,
// and a threshold is a false-alarm rate rather than a distance.
//
// Episodes and events. A sample scoring at least Episode opens an episode,
// which lasts until Quiet samples in a row score below Episode. An episode
// is reported once: at its first sample scoring at least Threshold, or
// else after Short samples, with the highest score of the episode so far;
// it is reported again if it reaches Threshold later. Every other sample of
// an episode reports min(score, Episode/2). An episode that opens within a
// daily period (Baseline.Period samples) of the last report is an
// aftershock of that incident: its samples report min(score, Episode/2)
// until one scores above the last reported score or reaches Threshold, and
// from then on it is an episode like any other (so events at Threshold are
// the same with or without the rule; only the weaker repeats of an
// incident below it are not reported again). An episode is an event — its
// samples are anomalous (Anomalous) — from the sample whose reported score
// reaches Threshold on. So one incident yields one high score (what an
// alert and NAB's scorer want), the per-sample scores and the flags come
// from one threshold, and Explain keeps each sample's own score.
//
// Learning. The residual statistics learn from every sample except the
// continuation of an episode shorter than a day (its first sample is
// learnt): a series that bursts often learns that bursts are ordinary, the
// half window of large residuals the baseline needs to absorb a level
// shift does not teach the tails that the next shift is ordinary, and an
// episode that lasts a day is a new regime and learnt from then on. The
// range and the level learn every sample, and their range is that of the
// third most extreme value (Tail.Anchor 3), so that one or two outliers do
// not widen it while a new level is accepted once seen a few times. Scores
// are 0 until the baseline is complete, the tails hold Tail.Min values and
// the range a whole daily period.
//
// Cost per sample: O(Window + History) for the sorted windows' memmoves
// and O(History) for the nearest-shape search (a lower bound skips most
// stretches), about 40 µs of CPU with full windows (see bench/RESULTS.md);
// memory 6·16·History + 32·History + 48·Window + 8·(3·period + 2·7·period)
// + 8·8·period bytes (≈ 600 KB for 5-minute data with the defaults),
// bounded by the configuration.
type Surprise struct {
	cfg       Config
	base      *Baseline
	tails     [nstats]*Tail
	alpha     float64
	m, a, lv  float64 // EWMA(z), EWMA(|Δz|), EWMA(v)
	lastZ     float64
	values    int // finite values seen
	xs        [nstats]float64
	learn     bool // whether xs is to be learnt
	inEp      int  // samples into the current episode
	ev        events
	explain   Explanation
	anomalous bool
	shape     *shapeMemory
	counts    bool    // every finite value so far a non-negative integer
	lastV     float64 // the last finite value
}

// The statistics of a Surprise detector, indices into its tails.
const (
	statPoint  = iota // |z|
	statShift         // |EWMA(z)|
	statSpread        // log(EWMA(|Δz|) + 10⁻³)
	statValue         // v
	statLevel         // EWMA(v)
	statShape         // distance of the recent shape to the nearest past one
	nstats
)

// NewSurprise returns a Surprise detector with cfg (zero fields take
// defaults).
func NewSurprise(cfg Config) *Surprise {
	cfg = cfg.withDefaults()
	s := &Surprise{
		cfg:    cfg,
		base:   NewBaseline(cfg.Baseline),
		alpha:  1 / float64(cfg.Short),
		ev:     events{open: cfg.Episode, fire: cfg.Threshold, settle: cfg.Short, quiet: cfg.Quiet},
		counts: true,
	}
	for k := range s.tails {
		c := cfg.Tail
		switch k {
		case statPoint, statSpread:
			// In robust standard deviations: below these a larger value is
			// no evidence at all.
			c.MinScale = math.Max(c.MinScale, 0.01)
		case statShift:
			c.MinScale = math.Max(c.MinScale, 0.01/math.Sqrt(float64(cfg.Short)))
		default:
			c.Anchor = 3
		}
		s.tails[k] = NewTail(c)
	}
	s.shape = newShapeMemory(cfg.Short, s.tails[statShape].cfg.History)
	return s
}

// NewDefault returns omen's default detector, a Surprise with cfg.
func NewDefault(cfg Config) Detector { return NewSurprise(cfg) }

// Update implements Detector: it returns the reported score of the sample
// (see Surprise for episodes).
func (s *Surprise) Update(t int64, v float64) float64 {
	raw := s.raw(t, v)
	s.ev.hold = s.base.Period()
	out, on := s.ev.step(raw)
	s.explain.Score, s.explain.Unsuppressed = out, raw
	s.anomalous = on
	if s.ev.on {
		s.inEp++
	} else {
		s.inEp = 0
	}
	if s.learn {
		residuals := s.inEp <= 1 || s.inEp > s.base.Window()
		for k, tl := range s.tails {
			if k == statValue || k == statLevel || residuals {
				tl.Add(s.xs[k])
			}
		}
	}
	return out
}

// raw scores one sample before episodes and fills s.xs and s.explain.
func (s *Surprise) raw(t int64, v float64) float64 {
	s.explain = Explanation{P: 1, Expected: math.NaN()}
	s.learn = false
	if finite(v) && s.counts && (v < 0 || v != math.Trunc(v)) {
		// Not counts after all: the shapes remembered are on the
		// stabilised scale, so they are forgotten.
		s.counts = false
		s.shape.reset()
	}
	z, ok := s.base.Update(t, v)
	if !finite(v) {
		s.shape.push(math.NaN()) // a gap breaks the shapes across it
		return 0
	}
	if s.values == 0 {
		s.lv, s.lastV = v, v
	}
	// A count of zero after a zero has no noise to lose: see Surprise.
	idle := s.counts && v == 0 && s.lastV == 0
	s.lastV = v
	s.values++
	s.lv += s.alpha * (v - s.lv)
	shapeD, shapeOK := s.shape.push(s.shapeValue(v))
	if !ok {
		// Before the baseline is complete only the range, the level and
		// the shapes learn.
		s.tails[statValue].Add(v)
		s.tails[statLevel].Add(s.lv)
		return 0
	}
	if s.tails[statPoint].Len() == 0 {
		s.m, s.a, s.lastZ = z, 1, z
	}
	s.m += s.alpha * (z - s.m)
	if !idle {
		s.a += s.alpha * (math.Abs(z-s.lastZ) - s.a)
	}
	s.lastZ = z
	s.explain.Expected, s.explain.Z = s.base.Expected(), z
	s.xs = [nstats]float64{math.Abs(z), math.Abs(s.m), math.Log(s.a + 1e-3), v, s.lv, math.NaN()}
	if idle {
		// Neither judged nor learnt by the stuck statistic (a NaN has
		// probability 1 and is not added to a tail).
		s.xs[statSpread] = math.NaN()
	}
	s.learn = true
	tl := &s.tails
	pShape := 1.0
	if sc := s.shapeScale(); shapeOK && sc > 0 {
		s.xs[statShape] = shapeD / sc
		// The distances have a daily rhythm of their own (peaks and
		// troughs match differently): they are judged once their tail
		// holds a day of them, as the range waits a day.
		if tl[statShape].Len() >= s.base.Period() {
			pShape = tl[statShape].Upper(s.xs[statShape])
		}
	}
	p, kind := tl[statPoint].Upper(s.xs[statPoint]), EvidencePoint
	for _, c := range [...]struct {
		p float64
		e Evidence
	}{
		{tl[statShift].Upper(s.xs[statShift]), EvidenceShift},
		{tl[statSpread].Lower(s.xs[statSpread]), EvidenceStuck},
		{tl[statValue].Upper(v), EvidenceRange},
		{tl[statValue].Lower(v), EvidenceRange},
		{tl[statLevel].Upper(s.lv), EvidenceLevel},
		{tl[statLevel].Lower(s.lv), EvidenceLevel},
		{pShape, EvidenceShape},
	} {
		if c.p < p {
			p, kind = c.p, c.e
		}
	}
	if !tl[statPoint].Ready() || s.values <= s.base.Period() {
		return 0
	}
	p = math.Min(1, evidences*p)
	s.explain.P = p
	if p < 1 {
		s.explain.Evidence = kind
	}
	return LogScore(p)
}

// Anomalous reports whether the last sample belongs to an event.
func (s *Surprise) Anomalous() bool { return s.anomalous }

// Seasonality returns the baseline's prediction for the last sample.
func (s *Surprise) Seasonality() Seasonality { return s.base.Seasonality() }

// Explanation describes the last score of a Surprise detector.
type Explanation struct {
	// Score is what Update returned; Unsuppressed the sample's own score
	// (different within an event, after its first sample).
	Score, Unsuppressed float64
	// P is the corrected tail probability behind Unsuppressed.
	P float64
	// Evidence is the statistic with the smallest tail probability.
	Evidence Evidence
	// Expected is the value the baseline predicted (NaN when it had none)
	// and Z the standardised residual.
	Expected, Z float64
}

// Explain returns the explanation of the last sample scored.
func (s *Surprise) Explain() Explanation { return s.explain }

// events turns raw scores into episodes and events (see Surprise).
type events struct {
	open, fire float64
	settle     int // samples after which an episode reports its strength
	quiet      int
	on, event  bool
	reported   bool
	calm, n    int
	peak       float64
	// hold is the number of samples after a report within which a new
	// episode is an aftershock (0: none); since counts the samples since
	// the last report and last is the score it reported.
	hold, since int
	last        float64
	after       bool // the current episode is an aftershock not yet stronger than last
}

// step returns the reported score of a sample with raw score s and whether
// the sample belongs to an event.
//
// An aftershock (an episode opening at most hold samples after the last
// report) is followed without reporting — min(s, open/2), no event — until
// a sample scores above the last report or at least fire; from that sample
// on it is an ordinary episode (its samples so far count towards settle and
// its peak).
func (e *events) step(s float64) (float64, bool) {
	e.since++
	if !e.on {
		if s < e.open {
			return s, false
		}
		e.on, e.calm, e.n, e.peak, e.reported, e.event = true, 0, 0, 0, false, false
		e.after = e.since <= e.hold
	}
	if e.after && (s > e.last || s >= e.fire) {
		e.after = false
	}
	e.n++
	e.peak = math.Max(e.peak, s)
	if s < e.open {
		e.calm++
	} else {
		e.calm = 0
	}
	if e.calm >= e.quiet {
		e.on, e.event = false, false
		return s, false
	}
	switch {
	case e.after:
	case !e.reported && (s >= e.fire || e.n >= e.settle):
		e.reported, e.event = true, e.peak >= e.fire
		e.since, e.last = 0, e.peak
		return e.peak, e.event
	case e.reported && !e.event && s >= e.fire:
		e.event = true
		e.since, e.last = 0, s
		return s, true
	}
	return math.Min(s, e.open/2), e.event
}

// LogScore maps a tail probability p to [0, 1] on a log scale, as
// Numenta's computeLogLikelihood: log(p + 1e−10)/log(1e−10), clamped to
// [0, 1]. p = 1e−5 gives 0.5 and p = 1e−10 about 0.97.
func LogScore(p float64) float64 {
	s := math.Log(p+1e-10) / math.Log(1e-10)
	return math.Max(0, math.Min(1, s))
}

// shapeValue is the value the shape memory holds for v: v itself, or for
// counts (every value so far a non-negative integer) Anscombe's
// variance-stabilising transform 2√(v + 3/8), under which Poisson counts of
// any rate have a standard deviation close to 1. Without it a count series
// is noisier, in its own units, at its busy hours (the variance of a Poisson
// count is its mean), so every busy stretch looks like a new shape.
func (s *Surprise) shapeValue(v float64) float64 {
	if s.counts {
		return anscombe(v)
	}
	return v
}

// shapeScale is the spread the shape distances are divided by: that of the
// values the shape memory holds. The transform of counts is increasing, so
// their quantiles are the transformed quantiles of the values:
// (f(q₀.₇₅) − f(q₀.₂₅))/1.349, or the 1%–99% range / 4.65 when that is 0.
func (s *Surprise) shapeScale() float64 {
	if !s.counts {
		return valueScale(s.tails[statValue])
	}
	r := s.tails[statValue].hist
	if sc := (anscombe(r.Quantile(0.75)) - anscombe(r.Quantile(0.25))) / 1.349; sc > 0 {
		return sc
	}
	return (anscombe(r.Quantile(0.99)) - anscombe(r.Quantile(0.01))) / 4.65
}

// anscombe is 2√(v + 3/8).
func anscombe(v float64) float64 { return 2 * math.Sqrt(v+0.375) }

// valueScale is a robust spread of the values in t's history: the
// interquartile range / 1.349, or the 1%–99% range / 4.65 when that is 0.
func valueScale(t *Tail) float64 {
	r := t.hist
	if s := (r.Quantile(0.75) - r.Quantile(0.25)) / 1.349; s > 0 {
		return s
	}
	return (r.Quantile(0.99) - r.Quantile(0.01)) / 4.65
}
