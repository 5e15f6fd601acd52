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
	EvidenceBurst Evidence = "burst" // the recent samples stray far more than usual
	EvidenceStuck Evidence = "stuck" // the value has not changed for longer than ever
	EvidenceRange Evidence = "range" // the value is beyond the range seen
)

// evidences is the number of tail probabilities combined (Bonferroni):
// point, shift, burst, stuck and the two ends of the range.
const evidences = 6

// Config configures a Surprise detector, omen's default. The zero value is
// the configuration measured in bench/RESULTS.md.
type Config struct {
	// Baseline configures the seasonal baseline.
	Baseline BaselineConfig
	// Tail configures the calibration of every statistic against its own
	// history.
	Tail TailConfig
	// Short is the memory, in samples, of the averages behind the shift
	// and burst evidence (exponential weights 1/Short), and the number of
	// samples after which an episode reports its strength; default 8.
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
// turns each sample into a standardised residual z. Five statistics are
// each compared with their own recent history by a Tail, which gives the
// probability of a value at least as extreme (the empirical frequency
// inside the range seen, a fitted extreme-value tail beyond it):
//
//	point: |z_t|                                upper tail
//	shift: |EWMA(z)_t|                          upper tail
//	burst: log(EWMA(|z|)_t + 10⁻³)              upper tail
//	stuck: how many samples in a row the value has not changed, upper tail
//	range: the value itself                     both tails
//
// (exponential weights 1/Short). The smallest probability times six
// (Bonferroni) is the sample's tail probability p, and its raw score is
// LogScore(p) in [0, 1]: 0.25 is p = 3·10⁻³, 0.5 is p = 10⁻⁵, 1 is
// p ≤ 10⁻¹⁰. Because every statistic is judged against the same series, a
// score means the same on a quiet and on a noisy series, and a threshold
// is a false-alarm rate rather than a distance.
//
// Episodes and events. A sample scoring at least Episode opens an episode,
// which lasts until Quiet samples in a row score below Episode. An episode
// is reported once: at its first sample scoring at least Threshold, or
// else after Short samples, with the highest score of the episode so far;
// it is reported again if it reaches Threshold later. Every other sample of
// an episode reports min(score, Episode/2). An episode is an event — its
// samples are anomalous (Anomalous) — from the sample whose reported score
// reaches Threshold on. So one incident yields one high score (what an
// alert and NAB's scorer want), the per-sample scores and the flags come
// from one threshold, and Explain keeps each sample's own score.
//
// Learning. The tails learn from every sample except the continuation of
// an episode (its first sample is learnt): a series that bursts often
// learns that bursts are ordinary, while the half window of large
// residuals the baseline needs to absorb a level shift does not teach the
// tails that the next shift is ordinary. Scores are 0 until the baseline
// has a full window, the tails Tail.Min values, and the range a whole
// daily period.
//
// Cost per sample: O(Window + History) for the sorted windows' memmoves,
// about 5 µs (see bench/RESULTS.md); memory about 5·16·History +
// 48·Window + 8·(3+14)·period bytes (≈ 400 KB for 5-minute data with the
// defaults), bounded by the configuration.
type Surprise struct {
	cfg                 Config
	base                *Baseline
	point, shift, burst *Tail
	stuck, value        *Tail
	alpha               float64
	m, a                float64 // EWMA(z), EWMA(|z|)
	run                 int     // samples in a row with the same value
	last                float64 // the previous finite value
	values              int     // finite values seen
	xs                  [5]float64
	learn               bool // whether xs is to be learnt
	inEp                int  // samples into the current episode
	ev                  events
	explain             Explanation
	anomalous           bool
}

// NewSurprise returns a Surprise detector with cfg (zero fields take
// defaults).
func NewSurprise(cfg Config) *Surprise {
	cfg = cfg.withDefaults()
	tc := cfg.Tail
	z, ewma, runs := tc, tc, tc
	if tc.MinScale == 0 {
		// In units of robust standard deviations (of one sample, of an
		// average of Short) and of samples: below these a larger value is
		// no evidence at all.
		z.MinScale, ewma.MinScale, runs.MinScale = 0.01, 0.01/math.Sqrt(float64(cfg.Short)), 1
	}
	return &Surprise{
		cfg:   cfg,
		base:  NewBaseline(cfg.Baseline),
		point: NewTail(z),
		shift: NewTail(ewma),
		burst: NewTail(z),
		stuck: NewTail(runs),
		value: NewTail(tc),
		alpha: 1 / float64(cfg.Short),
		ev:    events{open: cfg.Episode, fire: cfg.Threshold, settle: cfg.Short, quiet: cfg.Quiet},
	}
}

// NewDefault returns omen's default detector, a Surprise with cfg.
func NewDefault(cfg Config) Detector { return NewSurprise(cfg) }

// Update implements Detector: it returns the reported score of the sample
// (see Surprise for episodes).
func (s *Surprise) Update(t int64, v float64) float64 {
	raw := s.raw(t, v)
	out, on := s.ev.step(raw)
	s.explain.Score, s.explain.Unsuppressed = out, raw
	s.anomalous = on
	if s.ev.on {
		s.inEp++
	} else {
		s.inEp = 0
	}
	if s.learn && s.inEp <= 1 {
		s.point.Add(s.xs[0])
		s.shift.Add(s.xs[1])
		s.burst.Add(s.xs[2])
		s.stuck.Add(s.xs[3])
		s.value.Add(s.xs[4])
	}
	return out
}

// raw scores one sample before episodes and fills s.xs and s.explain.
func (s *Surprise) raw(t int64, v float64) float64 {
	s.explain = Explanation{P: 1, Expected: math.NaN()}
	s.learn = false
	z, ok := s.base.Update(t, v)
	if !finite(v) {
		return 0
	}
	if s.values > 0 && v == s.last {
		s.run++
	} else {
		s.run, s.last = 1, v
	}
	s.values++
	if !ok {
		// Before the baseline has a window: only the range and runs learn.
		s.stuck.Add(float64(s.run))
		s.value.Add(v)
		return 0
	}
	if !s.learn && s.point.Len() == 0 {
		s.m, s.a = z, math.Abs(z)
	}
	s.m += s.alpha * (z - s.m)
	s.a += s.alpha * (math.Abs(z) - s.a)
	s.explain.Expected, s.explain.Z = s.base.Expected(), z
	s.xs = [5]float64{math.Abs(z), math.Abs(s.m), math.Log(s.a + 1e-3), float64(s.run), v}
	s.learn = true
	p, kind := s.point.Upper(s.xs[0]), EvidencePoint
	for _, c := range [...]struct {
		p float64
		e Evidence
	}{
		{s.shift.Upper(s.xs[1]), EvidenceShift},
		{s.burst.Upper(s.xs[2]), EvidenceBurst},
		{s.stuck.Upper(s.xs[3]), EvidenceStuck},
		{s.value.Upper(v), EvidenceRange},
		{s.value.Lower(v), EvidenceRange},
	} {
		if c.p < p {
			p, kind = c.p, c.e
		}
	}
	if !s.point.Ready() || s.values <= s.base.Period() {
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
}

// step returns the reported score of a sample with raw score s and whether
// the sample belongs to an event.
func (e *events) step(s float64) (float64, bool) {
	if !e.on {
		if s < e.open {
			return s, false
		}
		e.on, e.calm, e.n, e.peak, e.reported, e.event = true, 0, 0, 0, false, false
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
	case !e.reported && (s >= e.fire || e.n >= e.settle):
		e.reported, e.event = true, e.peak >= e.fire
		return e.peak, e.event
	case e.reported && !e.event && s >= e.fire:
		e.event = true
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
