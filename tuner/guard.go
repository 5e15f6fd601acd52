package tuner

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults of Guardrails.
const (
	DefaultMaxFactor      = 2.0
	DefaultMaxFor         = time.Hour
	DefaultMinIncidents   = 2
	DefaultMinHistory     = 4 * 7 * 24 * time.Hour
	DefaultThresholdSteps = 8
)

// OptOutKey is the label or annotation that, set to "false", leaves a
// rule alone: `omen_tune: "false"`.
const OptOutKey = "omen_tune"

// DefaultFors are the `for` durations tried, besides the rule's own.
var DefaultFors = []time.Duration{0, time.Minute, 2 * time.Minute, 3 * time.Minute, 4 * time.Minute, 5 * time.Minute,
	6 * time.Minute, 8 * time.Minute, 10 * time.Minute, 12 * time.Minute, 15 * time.Minute, 20 * time.Minute,
	25 * time.Minute, 30 * time.Minute, 40 * time.Minute, 50 * time.Minute, time.Hour}

// Guardrails bound what the tuner may propose. The zero value gives the
// defaults.
type Guardrails struct {
	// MaxFactor bounds a threshold's move: its distance from the signal's
	// typical level (the median over the range, all series pooled) stays
	// within [1/MaxFactor, MaxFactor] times the original's, on the same
	// side. Default DefaultMaxFactor (2).
	MaxFactor float64
	// MaxFor is the longest `for` proposed (the shortest is 0). Default
	// DefaultMaxFor (1h).
	MaxFor time.Duration
	// MinIncidents and MinHistory: a proposal needs at least MinIncidents
	// incidents matched by the rule as written or by the proposal, or
	// MinHistory of the signal's history in the range (from its first to
	// its last sample, 1% slack for the edges); otherwise the rule
	// is listed as "insufficient evidence". Defaults DefaultMinIncidents
	// (2) and DefaultMinHistory (4 weeks).
	MinIncidents int
	MinHistory   time.Duration
	// ThresholdSteps is the number of candidate thresholds on each side
	// of the original, spaced evenly in the log of the distance from the
	// typical level up to MaxFactor. Default DefaultThresholdSteps (8).
	ThresholdSteps int
}

func (g Guardrails) withDefaults() Guardrails {
	if g.MaxFactor <= 1 {
		g.MaxFactor = DefaultMaxFactor
	}
	if g.MaxFor <= 0 {
		g.MaxFor = DefaultMaxFor
	}
	if g.MinIncidents <= 0 {
		g.MinIncidents = DefaultMinIncidents
	}
	if g.MinHistory <= 0 {
		g.MinHistory = DefaultMinHistory
	}
	if g.ThresholdSteps <= 0 {
		g.ThresholdSteps = DefaultThresholdSteps
	}
	return g
}

// OptedOut reports whether rule r carries the label or annotation
// omen_tune: "false".
func OptedOut(r Rule) bool {
	for _, m := range []map[string]string{r.Labels, r.Annotations} {
		if v, ok := m[OptOutKey]; ok && strings.EqualFold(strings.TrimSpace(v), "false") {
			return true
		}
	}
	return false
}

// signalStats summarises the signal a threshold is compared with.
type signalStats struct {
	typical, min, max float64
	n                 int
	first, last       time.Time
}

// candidateThresholds returns the thresholds to try: the original, and
// up to steps on each side whose distance from the typical level is
// original distance × MaxFactor^(±i/steps), kept within the signal's
// observed range, rounded to three significant digits. With a signal
// sitting exactly at the threshold (no distance), the steps are spread
// over the observed range instead.
func (g Guardrails) candidateThresholds(orig float64, st signalStats) []float64 {
	out := []float64{orig}
	if st.n == 0 {
		return out
	}
	dist := orig - st.typical
	add := func(x float64) {
		x = roundSig(x, 3)
		if x < st.min || x > st.max || math.IsNaN(x) {
			return
		}
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	if dist == 0 {
		for i := 1; i <= g.ThresholdSteps; i++ {
			add(orig + (st.max-orig)*float64(i)/float64(g.ThresholdSteps))
			add(orig - (orig-st.min)*float64(i)/float64(g.ThresholdSteps))
		}
	} else {
		for i := 1; i <= g.ThresholdSteps; i++ {
			f := math.Pow(g.MaxFactor, float64(i)/float64(g.ThresholdSteps))
			add(st.typical + dist*f)
			add(st.typical + dist/f)
		}
	}
	slices.Sort(out)
	return out
}

// allowedThreshold reports whether x respects the guardrails for a rule
// whose threshold is orig.
func (g Guardrails) allowedThreshold(x, orig float64, st signalStats) bool {
	if x == orig {
		return true
	}
	if st.n == 0 || x < st.min || x > st.max {
		return false
	}
	d0, d := orig-st.typical, x-st.typical
	if d0 == 0 {
		return true
	}
	r := d / d0
	return r >= 1/g.MaxFactor-1e-9 && r <= g.MaxFactor+1e-9
}

// candidateFors returns the `for` durations to try: fors (DefaultFors
// when nil) and the rule's own, within [0, MaxFor], multiples of the
// rule's interval, sorted.
func (g Guardrails) candidateFors(own, interval time.Duration, fors []time.Duration) []time.Duration {
	if fors == nil {
		fors = DefaultFors
	}
	out := []time.Duration{own}
	for _, d := range fors {
		if d < 0 || d > g.MaxFor || interval > 0 && d%interval != 0 {
			continue
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}

// distance is how far a variant is from the rule as written: the
// threshold's move in units of the largest allowed (log of the distance
// ratio over log MaxFactor) plus the `for` move in units of MaxFor.
func (g Guardrails) distance(v Variant, r Rule, st signalStats) float64 {
	d := math.Abs((v.For-r.ForDuration).Seconds())/g.MaxFor.Seconds() + math.Abs((v.KeepFiringFor-r.KeepFiringForDuration).Seconds())/g.MaxFor.Seconds()
	if v.Threshold != nil && r.Threshold != nil && *v.Threshold != r.Threshold.Value {
		d0, d1 := r.Threshold.Value-st.typical, *v.Threshold-st.typical
		if d0 != 0 && d1/d0 > 0 {
			d += math.Abs(math.Log(d1/d0)) / math.Log(g.MaxFactor)
		} else {
			d += 1
		}
	}
	return d
}

// roundSig rounds x to n significant digits.
func roundSig(x float64, n int) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	s := strconv.FormatFloat(x, 'g', n, 64)
	v, _ := strconv.ParseFloat(s, 64)
	return v
}
