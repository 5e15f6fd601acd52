package anomaly

import (
	"math"
	"slices"

	"github.com/omenhq/omen/stats"
)

// BaselineConfig configures a Baseline. The zero value uses the documented
// defaults, which follow from the series' sampling step.
type BaselineConfig struct {
	// Window is the number of recent samples the level (a rolling median)
	// and the residual scales (rolling MADs) are computed over; default one
	// day of samples (from the step learnt from the timestamps), at least
	// 32 and at most 1440, or 288 when a day is not a whole number of steps.
	Window int
	// Days is the number of past days the daily profile remembers at each
	// phase; default 3.
	Days int
	// MaxPeriod is the largest daily period, in samples, a profile is kept
	// for (memory 8·MaxPeriod·Days bytes); default 1440 (one-minute
	// samples). Finer series are modelled by their level only.
	MaxPeriod int
}

func (c BaselineConfig) withDefaults() BaselineConfig {
	if c.Days <= 0 {
		c.Days = 3
	}
	if c.MaxPeriod <= 0 {
		c.MaxPeriod = 1440
	}
	return c
}

// cadenceSamples is the number of first timestamps the sampling step is
// learnt from (their median step).
const cadenceSamples = 16

// Baseline says what a series should look like now and how far the latest
// sample is from it, in robust standard deviations.
//
// Model: the value is a level plus, when the series has them, a daily and
// a weekly profile, plus noise. Up to three predictions are made for each
// sample:
//
//	level:  e = median of the last Window values,
//	        z = (v − e) / (1.4826·MAD of those values)
//	daily:  e = profile(phase) + median of the last Window residuals of this profile,
//	weekly: z = (v − e) / max(1.4826·MAD of those residuals, spread(phase))
//
// where profile(phase) is the median of the values seen at the same phase
// of the day (of the week) and at the phases just before and after it, on
// the last Days days (the last 2 weeks), and spread(phase) the 1.4826·MAD
// of those values, so that phases where the cycles differ (the edges of a
// daily plateau) are judged by how much they usually differ. The
// prediction with the smallest residual scale is used: a profile takes
// over when it explains the series better than the level does, which
// needs a cycle of values and half a window of its residuals.
//
// The sampling step, hence the daily period (samples per day), is learnt
// from the first 16 timestamps; no profile is kept when a day is not a
// whole number of steps, nor beyond MaxPeriod samples a day. A robust
// scale of 0 (a constant window) falls back to the 1%–99% range / 4.65 and
// then to a tiny scale, so that any change of a constant series stands
// out. Scales are recomputed after every Window/32 samples.
//
// It assumes the series is locally stationary around its level or one of
// its profiles over Window samples. Cost per sample: O(Window) (the sorted
// windows' memmoves, the MADs now and then); memory about 48·Window +
// 8·(Days + 2·7 + 2 + 2·7)·period bytes (≈ 70 KB for 5-minute data).
type Baseline struct {
	cfg        BaselineConfig
	cad        cadence
	early      []float64 // values seen while the step is learnt
	earlyT     []int64
	ready      bool
	level      *Rolling // values
	levelScale cachedScale
	day        *season // nil without a daily period
	week       *season // nil without a daily period
	work       []float64

	z, expected float64
	seasonal    Seasonality
}

// Seasonality names the prediction a Baseline used.
type Seasonality string

// The predictions of a Baseline.
const (
	SeasonNone   Seasonality = ""       // no prediction
	SeasonLevel  Seasonality = "level"  // the rolling median
	SeasonDaily  Seasonality = "daily"  // the daily profile
	SeasonWeekly Seasonality = "weekly" // the weekly profile
)

// season is a profile of one period with the rolling residuals of its
// predictions.
type season struct {
	period int
	prof   *seasonalProfile
	res    *Rolling
	scale  cachedScale
}

// cachedScale is the robust scale of a window, recomputed once the window
// has taken in a 32nd of its length since (the MAD costs O(window); a
// scale moves slowly).
type cachedScale struct {
	value float64
	age   int
}

func (c *cachedScale) of(r *Rolling) float64 {
	if c.age <= 0 {
		c.value, c.age = robustScale(r), max(1, r.Cap()/32)
	}
	c.age--
	return c.value
}

// NewBaseline returns a Baseline with cfg (zero fields take defaults).
func NewBaseline(cfg BaselineConfig) *Baseline {
	cfg = cfg.withDefaults()
	return &Baseline{cfg: cfg, cad: newCadence(cadenceSamples, cfg.MaxPeriod)}
}

// Update takes the next sample and returns its standardised residual z and
// whether there was a prediction to compare it with: false for a missing
// sample and until the baseline is complete (a full window, and with a
// daily period a day of profile and a window of its residuals: two days).
func (b *Baseline) Update(t int64, v float64) (float64, bool) {
	b.z, b.expected, b.seasonal = 0, math.NaN(), SeasonNone
	if !b.ready {
		b.cad.observe(t)
		b.early = append(b.early, v)
		b.earlyT = append(b.earlyT, t)
		if !b.cad.done {
			return 0, false
		}
		b.start()
		return 0, false
	}
	b.cad.observe(t)
	return b.update(t, v)
}

// start sizes the windows from the learnt step and replays the first values.
func (b *Baseline) start() {
	b.ready = true
	w := b.cfg.Window
	if w <= 0 {
		w = 288
		if b.cad.step > 0 {
			w = int(math.Round(float64(Day) / float64(b.cad.step)))
			w = max(32, min(1440, w))
		}
	}
	b.cfg.Window = w
	b.level = NewRolling(w)
	if p := b.cad.period; p > 0 {
		b.day = &season{period: p, prof: newSeasonalProfile(p, b.cfg.Days), res: NewRolling(w)}
		b.week = &season{period: 7 * p, prof: newSeasonalProfile(7*p, weeks), res: NewRolling(w)}
		b.work = make([]float64, 0, 3*max(b.cfg.Days, weeks))
	}
	for i, v := range b.early {
		b.update(b.earlyT[i], v)
	}
	b.early, b.earlyT = nil, nil
	b.z, b.expected, b.seasonal = 0, math.NaN(), SeasonNone
}

// weeks is the number of past weeks the weekly profile remembers.
const weeks = 2

func (b *Baseline) update(t int64, v float64) (float64, bool) {
	if !finite(v) {
		return 0, false
	}
	ok := false
	scale := math.Inf(1)
	if b.level.Len() == b.level.Cap() {
		med := b.level.Median()
		scale = b.levelScale.of(b.level)
		b.expected, b.seasonal = med, SeasonLevel
		b.z = standardize(v-med, scale, med)
		ok = true
	}
	for _, sz := range [2]*season{b.day, b.week} {
		if sz == nil {
			continue
		}
		ph := b.cad.phaseOf(t, sz.period)
		if exp, spread, n := sz.prof.expect(ph, b.work); n > 0 {
			r := v - exp
			if sz.res.Len() >= b.cfg.Window/2 && ok {
				if ss := sz.scale.of(sz.res); ss < scale {
					c := sz.res.Median()
					scale = ss
					b.z = standardize(r-c, math.Max(ss, spread), exp+c)
					b.expected = exp + c
					b.seasonal = SeasonDaily
					if sz == b.week {
						b.seasonal = SeasonWeekly
					}
				}
			}
			sz.res.Push(r)
		}
		sz.prof.add(ph, v)
	}
	b.level.Push(v)
	if b.day != nil && b.day.res.Len() < b.day.res.Cap() {
		// Until the daily profile has a window of residuals it cannot be
		// chosen, and the residuals of the level alone are not what this
		// series' residuals will look like: no prediction yet.
		return 0, false
	}
	return b.z, ok
}

// Z returns the standardised residual of the last sample (0 when there was
// no prediction).
func (b *Baseline) Z() float64 { return b.z }

// Expected returns the value predicted for the last sample, NaN when none.
func (b *Baseline) Expected() float64 { return b.expected }

// Seasonality returns the prediction used for the last sample.
func (b *Baseline) Seasonality() Seasonality { return b.seasonal }

// Period returns the daily period in samples learnt from the timestamps, 0
// when none (not learnt yet, or a day is not a whole number of steps).
func (b *Baseline) Period() int { return b.cad.period }

// Window returns the window length in samples, 0 until the step is learnt.
func (b *Baseline) Window() int {
	if !b.ready {
		return 0
	}
	return b.cfg.Window
}

// seasonalProfile remembers, for every phase of a cycle of period P, the
// last K values seen at that phase, and predicts the median of those at a
// phase and its two neighbours. Memory 8·P·K bytes; add is O(1), expect
// O(K log K).
type seasonalProfile struct {
	k      int
	vals   []float64 // P×K
	counts []int32   // values held per phase (≤ K)
	heads  []int32
}

func newSeasonalProfile(period, k int) *seasonalProfile {
	return &seasonalProfile{
		k:      k,
		vals:   make([]float64, period*k),
		counts: make([]int32, period),
		heads:  make([]int32, period),
	}
}

// expect returns the median of the values held at phases p−1, p and p+1,
// their spread (1.4826·MAD, 0 for fewer than 3 values) and how many there
// are (NaN, 0 and 0 when none); work is scratch space.
func (s *seasonalProfile) expect(p int, work []float64) (float64, float64, int) {
	P := len(s.counts)
	w := work[:0]
	for _, q := range [2]int{p, p + 1} {
		q %= P
		w = append(w, s.vals[q*s.k:q*s.k+int(s.counts[q])]...)
	}
	// The phase before was seen in the current cycle already: its newest
	// value is the previous sample, not a past cycle's; leave it out.
	q := (p - 1 + P) % P
	newest := (int(s.heads[q]) - 1 + s.k) % s.k
	for i := 0; i < int(s.counts[q]); i++ {
		if i != newest {
			w = append(w, s.vals[q*s.k+i])
		}
	}
	n := len(w)
	if n == 0 {
		return math.NaN(), 0, 0
	}
	slices.Sort(w)
	med := stats.QuantileSorted(w, 0.5)
	spread := 0.0
	if n >= 3 {
		spread = 1.4826 * madSorted(w, med)
	}
	return med, spread, n
}

// add records v at phase p, evicting the oldest value of that phase.
func (s *seasonalProfile) add(p int, v float64) {
	h := int(s.heads[p])
	s.vals[p*s.k+h] = v
	h++
	if h == s.k {
		h = 0
	}
	s.heads[p] = int32(h)
	if int(s.counts[p]) < s.k {
		s.counts[p]++
	}
}
