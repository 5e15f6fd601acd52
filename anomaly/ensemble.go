package anomaly

import "math"

// Threshold is the score at and above which omen calls a sample anomalous.
// It equals the default SuppressionConfig.Fire, and it is what NAB's
// threshold optimisation converges to for the default detector (0.51 on
// the public corpus, see bench/RESULTS.md).
const Threshold = 0.5

// Evidence names the part of an Ensemble that produced a score.
type Evidence string

// The kinds of evidence an Ensemble combines.
const (
	EvidenceNone     Evidence = ""
	EvidenceResidual Evidence = "residual" // Seasonal: value far from its level or daily profile
	EvidenceShift    Evidence = "shift"    // RelativeEntropy: recent distribution changed
	EvidenceChange   Evidence = "change"   // CUSUM: sustained level shift
	EvidenceRange    Evidence = "range"    // value outside everything seen so far
)

// SuppressionConfig configures how an Ensemble reports an event once: after
// a score ≥ Fire, scores are capped at Fire/2 until at least Rest samples
// have passed and the unsuppressed score has stayed below Rearm for Quiet
// samples in a row. The zero value uses the documented defaults.
type SuppressionConfig struct {
	// Fire is the score that opens an event; default Threshold (0.5).
	Fire float64
	// Rest is the minimum number of samples between two reports; default 30.
	Rest int
	// Rearm is the score the series must fall below to end an event;
	// default 0.3.
	Rearm float64
	// Quiet is how many samples in a row must score below Rearm; default 12.
	Quiet int
	// Off disables suppression: every sample gets its unsuppressed score.
	Off bool
}

func (c SuppressionConfig) withDefaults() SuppressionConfig {
	if c.Fire <= 0 {
		c.Fire = Threshold
	}
	if c.Rest <= 0 {
		c.Rest = 30
	}
	if c.Rearm <= 0 {
		c.Rearm = 0.3
	}
	if c.Quiet <= 0 {
		c.Quiet = 12
	}
	return c
}

// suppressor implements SuppressionConfig.
type suppressor struct {
	cfg         SuppressionConfig
	armed       bool
	rest, quiet int
}

func newSuppressor(cfg SuppressionConfig) suppressor {
	return suppressor{cfg: cfg.withDefaults(), armed: true}
}

// apply returns the reported score for an unsuppressed score s.
func (p *suppressor) apply(s float64) float64 {
	if p.cfg.Off {
		return s
	}
	if s < p.cfg.Rearm {
		p.quiet++
	} else {
		p.quiet = 0
	}
	if p.rest > 0 {
		p.rest--
	}
	if !p.armed {
		if p.rest == 0 && p.quiet >= p.cfg.Quiet {
			p.armed = true
		}
		return math.Min(s, p.cfg.Fire/2)
	}
	if s >= p.cfg.Fire {
		p.armed = false
		p.rest = p.cfg.Rest
		p.quiet = 0
	}
	return s
}

// Config configures an Ensemble, omen's default detector. The zero value
// is the configuration measured in bench/RESULTS.md.
type Config struct {
	// Seasonal configures the residual evidence.
	Seasonal SeasonalConfig
	// Shift configures the distribution-shift evidence; NoShift drops it.
	Shift   ShiftConfig
	NoShift bool
	// Change configures the level-shift evidence, used only when
	// WithChange is set: on the NAB corpus it did not improve the score
	// (the residual and shift evidence already catch shifts; see
	// bench/ANOMALY-NOTES.md).
	Change     CUSUMConfig
	WithChange bool
	// Likelihood configures the anomaly-likelihood stage applied to each
	// evidence; its Average defaults to 20 here (10 in LikelihoodConfig).
	Likelihood LikelihoodConfig
	// Warmup is the number of first samples scored 0; default 150.
	Warmup int
	// RangeTolerance: after Warmup (and a whole day when the series has a
	// daily period, so that the range of a daily cycle is known), a value
	// more than RangeTolerance times
	// the range of all values seen so far beyond their minimum or maximum
	// scores 1 (Numenta's "spatial anomaly"; on a series constant so far,
	// any other value does). Default 0.05; negative disables.
	RangeTolerance float64
	// Suppression configures how often an event is reported.
	Suppression SuppressionConfig
}

func (c Config) withDefaults() Config {
	if c.Likelihood.Average <= 0 {
		c.Likelihood.Average = 20
	}
	if c.Warmup <= 0 {
		c.Warmup = 150
	}
	if c.RangeTolerance == 0 {
		c.RangeTolerance = 0.05
	}
	c.Suppression = c.Suppression.withDefaults()
	return c
}

// evidence is the unsuppressed part of an Ensemble: it turns a sample into
// the tail probability of the most unusual evidence.
type evidence struct {
	cfg      Config
	seasonal *Seasonal
	shift    *RelativeEntropy
	change   *CUSUM
	liks     []*Likelihood // seasonal, shift, change (when present)
	n        int
	min, max float64

	// of the last sample
	p     float64
	kind  Evidence
	score float64
}

func newEvidence(cfg Config) *evidence {
	e := &evidence{cfg: cfg, seasonal: NewSeasonal(cfg.Seasonal), min: math.Inf(1), max: math.Inf(-1)}
	e.liks = append(e.liks, NewLikelihood(cfg.Likelihood))
	if !cfg.NoShift {
		e.shift = NewRelativeEntropy(cfg.Shift)
		e.liks = append(e.liks, NewLikelihood(cfg.Likelihood))
	}
	if cfg.WithChange {
		e.change = NewCUSUM(cfg.Change)
		e.liks = append(e.liks, NewLikelihood(cfg.Likelihood))
	}
	return e
}

// update scores one sample before suppression; it sets p, kind and score.
func (e *evidence) update(t int64, v float64) float64 {
	e.p, e.kind, e.score = 1, EvidenceNone, 0
	if !finite(v) {
		e.seasonal.cad.observe(t)
		return 0
	}
	e.n++
	e.take(e.liks[0].Update(e.seasonal.Update(t, v)), EvidenceResidual)
	k := 1
	if e.shift != nil {
		e.take(e.liks[k].Update(e.shift.Update(t, v)), EvidenceShift)
		k++
	}
	if e.change != nil {
		e.take(e.liks[k].Update(e.change.Update(t, v)), EvidenceChange)
	}
	e.score = LogScore(e.p)
	if e.cfg.RangeTolerance > 0 && e.n > e.cfg.Warmup && e.n > e.seasonal.Period() {
		// A series constant so far breaks its range with any other value.
		tol := math.Max((e.max-e.min)*e.cfg.RangeTolerance, 1e-9*math.Max(1, math.Abs(e.max)))
		if v > e.max+tol || v < e.min-tol {
			e.score, e.kind, e.p = 1, EvidenceRange, 0
		}
	}
	e.min = math.Min(e.min, v)
	e.max = math.Max(e.max, v)
	if e.n <= e.cfg.Warmup {
		e.p, e.kind, e.score = 1, EvidenceNone, 0
	}
	return e.score
}

func (e *evidence) take(p float64, k Evidence) {
	if p < e.p {
		e.p, e.kind = p, k
	}
}

// Ensemble is omen's default detector. For each sample it gathers three
// kinds of evidence, each a raw score in [0, 1] turned into a tail
// probability by its own Likelihood stage (how unusual the recent raw
// scores are against their own history, so a noisy series needs stronger
// evidence than a quiet one):
//
//   - residual: Seasonal (rolling median or daily profile, robust z, rank
//     surprise);
//   - shift: RelativeEntropy (G-test of the last 52 values against the last
//     576);
//   - change: CUSUM on the robust z (only with Config.WithChange).
//
// The score is LogScore of the smallest tail probability; a value beyond
// the range of everything seen so far (by more than RangeTolerance of that
// range) scores 1. The first Warmup samples score 0. Finally each event is
// reported once (SuppressionConfig): after a score ≥ Threshold the
// following scores are capped at Threshold/2 until the series has been
// quiet again. Scores are in [0, 1] and comparable across series.
//
// Cost per sample: the sum of its parts, O(Window) dominated by the
// rolling MADs (about 5 µs on one core: the 296,000 rows of NAB take 1.4 s
// of CPU); memory about 150–200 KB per series with the defaults, bounded
// by the configuration.
type Ensemble struct {
	ev  *evidence
	sup suppressor
	out float64
}

// NewEnsemble returns an Ensemble with cfg (zero fields take defaults).
func NewEnsemble(cfg Config) *Ensemble {
	cfg = cfg.withDefaults()
	return &Ensemble{ev: newEvidence(cfg), sup: newSuppressor(cfg.Suppression)}
}

// NewDefault returns omen's default detector, an Ensemble with cfg.
func NewDefault(cfg Config) Detector { return NewEnsemble(cfg) }

// Update implements Detector.
func (e *Ensemble) Update(t int64, v float64) float64 {
	e.out = e.sup.apply(e.ev.update(t, v))
	return e.out
}

// Explanation describes the last score of an Ensemble.
type Explanation struct {
	// Score is what Update returned; Unsuppressed the score before event
	// suppression (what Intervals should be built from).
	Score, Unsuppressed float64
	// P is the tail probability behind the score (0 for a range breach).
	P float64
	// Evidence is the strongest evidence.
	Evidence Evidence
	// Expected is the value the seasonal baseline expected (NaN when it
	// had none) and Z the standardised residual.
	Expected, Z float64
}

// Explain returns the explanation of the last sample scored.
func (e *Ensemble) Explain() Explanation {
	return Explanation{
		Score:        e.out,
		Unsuppressed: e.ev.score,
		P:            e.ev.p,
		Evidence:     e.ev.kind,
		Expected:     e.ev.seasonal.Expected(),
		Z:            e.ev.seasonal.Z(),
	}
}
