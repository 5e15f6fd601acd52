package anomaly

import (
	"math"
	"sort"
)

// SeasonalConfig configures a Seasonal detector. The zero value uses the
// documented defaults.
type SeasonalConfig struct {
	// Window is the number of recent samples the level (rolling median)
	// and the residual scales (rolling MAD) are computed over; default 576
	// (two days of 5-minute samples).
	Window int
	// Cycles is the number of past days remembered at each phase of the
	// daily cycle; the seasonal expectation is their median. Default 3.
	Cycles int
	// MaxPeriod is the largest daily period, in samples, a seasonal
	// profile is kept for (memory is 8·MaxPeriod·Cycles bytes); default
	// 2016 (a day of 1-minute samples would need 1440).
	MaxPeriod int
	// Gain: the seasonal residual is used instead of the level residual
	// when its robust scale is below Gain times the level residual's, i.e.
	// when the daily profile explains the series; default 0.8.
	Gain float64
	// Ranks is the number of past |z| the surprise of the current one is
	// ranked against; default 3000.
	Ranks int
}

func (c SeasonalConfig) withDefaults() SeasonalConfig {
	if c.Window <= 0 {
		c.Window = 576
	}
	if c.Cycles <= 0 {
		c.Cycles = 3
	}
	if c.MaxPeriod <= 0 {
		c.MaxPeriod = 2016
	}
	if c.Gain <= 0 {
		c.Gain = 0.8
	}
	if c.Ranks <= 0 {
		c.Ranks = 3000
	}
	return c
}

// Seasonal is a seasonal baseline with robust residual scoring.
//
// Model: the value is a level plus an optional daily profile plus noise.
// The level is the rolling median of the last Window values; the daily
// profile predicts the median of the values seen at the same phase of the
// day on the last Cycles days (the sampling step, hence the phase, is
// learnt from the first 17 timestamps; no profile when a day is not a
// whole number of steps). Each residual is standardised by the rolling
// MAD (×1.4826) of the residuals of its model:
//
//	z = (v − median_W) / σ_level     or   z = (v − profile(phase)) / σ_season
//
// the seasonal one when σ_season < Gain·σ_level. Update returns the rank
// surprise of |z| among the last Ranks values of |z|:
//
//	raw = −ln((k+1)/(n+1)) / ln(n+1),  k = #{past |z| ≥ |z_t|}
//
// in [0, 1]: 1 when |z_t| exceeds all n, about 0 for typical ones. Ranking
// makes the score free of any distributional assumption (heavy tails,
// counts, plateaus). It assumes the series is locally stationary around
// its level or daily profile over Window samples.
//
// Cost per sample: O(Window + Cycles·log Cycles + log Ranks) time (the MADs
// and the sorted windows' memmoves dominate); memory about
// 16·(3·Window + Ranks) + 8·MaxPeriod·Cycles bytes (≈ 130 KB by default).
type Seasonal struct {
	cfg   SeasonalConfig
	cad   cadence
	level *Rolling // values
	lres  *Rolling // level residuals
	sres  *Rolling // seasonal residuals
	prof  *seasonalProfile
	ranks *Rolling

	z, expected float64
	seasonal    bool
}

// NewSeasonal returns a Seasonal detector with cfg (zero fields take
// defaults).
func NewSeasonal(cfg SeasonalConfig) *Seasonal {
	cfg = cfg.withDefaults()
	return &Seasonal{
		cfg:   cfg,
		cad:   newCadence(16, cfg.MaxPeriod),
		level: NewRolling(cfg.Window),
		lres:  NewRolling(cfg.Window),
		sres:  NewRolling(cfg.Window),
		ranks: NewRolling(cfg.Ranks),
	}
}

// Update implements Detector; it returns the rank surprise of the sample's
// standardised residual.
func (s *Seasonal) Update(t int64, v float64) float64 {
	s.cad.observe(t)
	s.z, s.expected, s.seasonal = 0, math.NaN(), false
	if !finite(v) {
		return 0
	}
	if s.level.Len() >= 10 {
		med := s.level.Median()
		s.expected = med
		s.z = standardize(v-med, robustScale(s.level), med)
		s.lres.Push(v - med)
	}
	if s.cad.period > 0 {
		if s.prof == nil {
			s.prof = newSeasonalProfile(s.cad.period, s.cfg.Cycles)
		}
		ph := s.cad.phase(t)
		if exp, k := s.prof.expect(ph); k > 0 {
			r := v - exp
			if s.sres.Len() >= s.cfg.Window/2 {
				ss := robustScale(s.sres)
				if ss < s.cfg.Gain*robustScale(s.lres) {
					s.z = standardize(r, ss, exp)
					s.expected = exp
					s.seasonal = true
				}
			}
			s.sres.Push(r)
		}
		s.prof.add(ph, v)
	}
	s.level.Push(v)
	az := math.Abs(s.z)
	raw := 0.0
	if n := s.ranks.Len(); n >= 50 {
		k := n - sort.SearchFloat64s(s.ranks.sorted, az)
		raw = -math.Log(float64(k+1)/float64(n+1)) / math.Log(float64(n+1))
	}
	if s.level.Len() > 10 {
		s.ranks.Push(az)
	}
	return raw
}

// Z returns the standardised residual of the last sample (0 before the
// model has 10 values or for a missing sample).
func (s *Seasonal) Z() float64 { return s.z }

// Expected returns the value the model expected for the last sample (the
// seasonal profile's or the rolling median), NaN when it had none.
func (s *Seasonal) Expected() float64 { return s.expected }

// UsesSeason reports whether the last residual came from the daily profile.
func (s *Seasonal) UsesSeason() bool { return s.seasonal }

// Period returns the daily period in samples learnt from the timestamps, 0
// when none (not learnt yet, or a day is not a whole number of steps).
func (s *Seasonal) Period() int { return s.cad.period }

// seasonalProfile remembers, for every phase of a cycle of period P, the
// last K values seen at that phase, and predicts their median.
// Memory 8·P·K bytes; add is O(1), expect O(K log K).
type seasonalProfile struct {
	k      int
	vals   []float64 // P×K
	counts []int32   // values held per phase (≤ K)
	heads  []int32
	work   []float64
}

func newSeasonalProfile(period, k int) *seasonalProfile {
	return &seasonalProfile{
		k:      k,
		vals:   make([]float64, period*k),
		counts: make([]int32, period),
		heads:  make([]int32, period),
		work:   make([]float64, k),
	}
}

// expect returns the median of the values held at phase p and how many
// there are; NaN and 0 when none.
func (s *seasonalProfile) expect(p int) (float64, int) {
	n := int(s.counts[p])
	if n == 0 {
		return math.NaN(), 0
	}
	w := s.work[:n]
	copy(w, s.vals[p*s.k:p*s.k+n])
	sort.Float64s(w)
	if n%2 == 1 {
		return w[n/2], n
	}
	return (w[n/2-1] + w[n/2]) / 2, n
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
