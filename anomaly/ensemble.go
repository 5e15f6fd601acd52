package anomaly

import (
	"fmt"
	"math"
	"sort"
)

// Detector is a causal, online anomaly scorer for one series: Update takes
// the next sample (Unix ms, value) and returns the anomaly score of that
// sample, computed from it and the samples before it only.
type Detector interface {
	Update(t int64, v float64) float64
}

// Score runs d over the samples in order and writes the scores to dst
// (allocated when nil or too short). It is the batch entry point of every
// Detector; ts and vs must have the same length.
func Score(dst []float64, d Detector, ts []int64, vs []float64) []float64 {
	if len(ts) != len(vs) {
		panic("anomaly: Score needs as many timestamps as values")
	}
	if cap(dst) < len(vs) {
		dst = make([]float64, len(vs))
	}
	dst = dst[:len(vs)]
	for i := range vs {
		dst[i] = d.Update(ts[i], vs[i])
	}
	return dst
}

// EnsembleConfig configures an Ensemble (experimental knobs; see doc).
type EnsembleConfig struct {
	Window     int     // level window rows; default 288
	SeasonK    int     // cycles remembered per phase; default 3
	MaxPeriod  int     // largest daily period in samples; default 2016
	ZCap       float64 // raw = min(1, |z|/ZCap); default 8
	ZFloor     float64 // z below this gives raw 0; default 0
	Warmup     int     // rows scored 0 at the start; default 150
	SpatialTol float64 // numenta-like spatial tolerance; default 0.05; <0 disables
	SpatialMin int     // rows before spatial check; default Warmup
	Fire       float64 // suppression level; default 0.5
	Rest       int     // rows suppressed after a firing; default 0 (none)
	UseSeason  bool
	NoCap      bool
	RankN      int // >0: raw = rank surprise of |z| among last RankN
	Record     int     // 0 numenta spatial, 1 graded record
	RecHorizon int     // default 4000
	RecPow     float64 // exponent on record score; default 1
	SeasonGain float64 // use seasonal z when ratio < SeasonGain; default 0.8
	Likelihood LikelihoodConfig
	Scales     []int // extra averaging scales (multi-scale likelihood)
	Bonf       bool
	Rearm      float64 // re-arm level (0 = fixed rest only)
	Cusum      bool
	CusumK     float64
	CusumH     float64
	KL         bool
	KLW        int
	KLBins     int
	KLRaw      bool // KL on residual instead of value
	ExtraAvg   int
	RearmRows  int
}

// Ensemble is the experimental combined detector.
type Ensemble struct {
	cfg      EnsembleConfig
	cad      cadence
	level    *Rolling
	prof     *seasonalProfile
	sres     *Rolling
	lres     *Rolling
	lik      *Likelihood
	n        int
	min, max float64
	rest     int
	up, down *recordStack
	ranks    *Rolling
	liks     []*Likelihood
	armed    bool
	cs       *cusum
	re       *relEntropy
	csLik    *Likelihood
	reLik    *Likelihood
	lastRes  float64
	quiet    int
	dbg      string
}

// NewEnsemble returns an Ensemble.
func NewEnsemble(cfg EnsembleConfig) *Ensemble {
	if cfg.Window <= 0 {
		cfg.Window = 288
	}
	if cfg.SeasonK <= 0 {
		cfg.SeasonK = 3
	}
	if cfg.MaxPeriod <= 0 {
		cfg.MaxPeriod = 2016
	}
	if cfg.ZCap <= 0 {
		cfg.ZCap = 8
	}
	if cfg.Warmup <= 0 {
		cfg.Warmup = 150
	}
	if cfg.SpatialTol == 0 {
		cfg.SpatialTol = 0.05
	}
	if cfg.SpatialMin <= 0 {
		cfg.SpatialMin = cfg.Warmup
	}
	if cfg.Fire <= 0 {
		cfg.Fire = 0.5
	}
	if cfg.SeasonGain <= 0 {
		cfg.SeasonGain = 0.8
	}
	return &Ensemble{
		cfg:   cfg,
		cad:   newCadence(16, cfg.MaxPeriod),
		level: NewRolling(cfg.Window),
		sres:  NewRolling(cfg.Window),
		lres:  NewRolling(cfg.Window),
		lik:   NewLikelihood(cfg.Likelihood),
		armed: true,
		min:   math.Inf(1),
		max:   math.Inf(-1),
	}
}

func robustScale(r *Rolling) float64 {
	s := 1.4826 * r.MAD()
	if s > 0 {
		return s
	}
	s = (r.Quantile(0.99) - r.Quantile(0.01)) / 4.65
	if s > 0 {
		return s
	}
	return 0
}

// Update implements Detector.
func (e *Ensemble) Update(t int64, v float64) float64 {
	e.cad.observe(t)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	e.n++
	// level residual
	med := e.level.Median()
	sc := robustScale(e.level)
	z := 0.0
	if e.level.Len() >= 10 {
		zl := zscore(v-med, sc, med)
		z = zl
		e.lres.Push(v - med)
		if e.cfg.UseSeason && e.cad.done && e.cad.period > 0 {
			if e.prof == nil {
				e.prof = newSeasonalProfile(e.cad.period, e.cfg.SeasonK)
			}
			p := e.cad.phase(t)
			exp, k := e.prof.expect(p)
			if k > 0 {
				r := v - exp
				if e.sres.Len() >= e.cfg.Window/2 {
					ss := robustScale(e.sres)
					ls := robustScale(e.lres)
					if ss < e.cfg.SeasonGain*ls {
						z = zscore(r, ss, exp)
					}
				}
				e.sres.Push(r)
			}
		}
	}
	if e.cfg.UseSeason && e.prof != nil {
		e.prof.add(e.cad.phase(t), v)
	}
	e.level.Push(v)

	az := math.Abs(z)
	raw := 0.0
	if az > e.cfg.ZFloor {
		raw = (az - e.cfg.ZFloor) / (e.cfg.ZCap - e.cfg.ZFloor)
		if !e.cfg.NoCap {
			raw = math.Min(1, raw)
		}
	}
	if e.cfg.RankN > 0 {
		if e.ranks == nil {
			e.ranks = NewRolling(e.cfg.RankN)
		}
		raw = 0
		if n := e.ranks.Len(); n >= 50 {
			k := n - sort.SearchFloat64s(e.ranks.sorted, az)
			raw = -math.Log(float64(k+1)/float64(n+1)) / math.Log(float64(n+1))
		}
		e.ranks.Push(az)
	}
	p := e.lik.Update(raw)
	nev := 1
	lc := e.cfg.Likelihood
	if e.cfg.ExtraAvg > 0 {
		lc.Average = e.cfg.ExtraAvg
	}
	if e.cfg.Cusum {
		if e.cs == nil {
			k, h := e.cfg.CusumK, e.cfg.CusumH
			if k <= 0 {
				k = 0.5
			}
			if h <= 0 {
				h = 10
			}
			e.cs = &cusum{k: k, h: h, clip: 4}
			e.csLik = NewLikelihood(lc)
		}
		p = math.Min(p, e.csLik.Update(e.cs.update(z)))
		nev++
	}
	if e.cfg.KL {
		if e.re == nil {
			w, b := e.cfg.KLW, e.cfg.KLBins
			if w <= 0 {
				w = 52
			}
			if b <= 0 {
				b = 8
			}
			e.re = newRelEntropy(w, b, e.cfg.Window)
			e.reLik = NewLikelihood(lc)
		}
		x := v
		if e.cfg.KLRaw {
			x = z
		}
		p = math.Min(p, e.reLik.Update(e.re.update(x)))
		nev++
	}
	if e.cfg.Bonf && nev > 1 {
		p = math.Min(1, p*float64(nev))
	}
	if len(e.cfg.Scales) > 0 {
		if e.liks == nil {
			for _, a := range e.cfg.Scales {
				lc := e.cfg.Likelihood
				lc.Average = a
				e.liks = append(e.liks, NewLikelihood(lc))
			}
		}
		for _, l := range e.liks {
			p = math.Min(p, l.Update(raw))
		}
		if e.cfg.Bonf {
			p = math.Min(1, p*float64(len(e.liks)+1))
		}
	}
	e.dbg = fmt.Sprintf("z=%7.2f raw=%.3f p=%.2e mu=%.3f sd=%.3f", z, raw, p, e.lik.mean, e.lik.std)
	score := LogScore(p)

	// spatial novelty
	if e.cfg.Record == 0 && e.cfg.SpatialTol > 0 && e.n > e.cfg.SpatialMin && e.max > e.min {
		tol := (e.max - e.min) * e.cfg.SpatialTol
		if v > e.max+tol || v < e.min-tol {
			score = 1
		}
	}
	if e.cfg.Record >= 1 {
		if e.up == nil {
			e.up, e.down = newRecordStack(1<<20), newRecordStack(1<<20)
		}
		if e.n > e.cfg.SpatialMin && e.max > e.min {
			tol := (e.max - e.min) * e.cfg.SpatialTol
			t := int64(e.n)
			gu := t - e.up.lastAtLeast(v-tol)
			gd := t - e.down.lastAtLeast(-(v + tol))
			if lu := e.up.lastAtLeast(v - tol); lu < 0 {
				gu = t
			}
			if ld := e.down.lastAtLeast(-(v + tol)); ld < 0 {
				gd = t
			}
			g := max(gu, gd)
			hz := e.cfg.RecHorizon
			if hz <= 0 {
				hz = 4000
			}
			if e.cfg.Record == 2 {
				a := e.cfg.RecPow
				if a <= 0 {
					a = 1
				}
				score = LogScore(p * math.Pow(1/float64(g), a))
			} else {
				rs := math.Min(1, math.Log(float64(g))/math.Log(float64(hz)))
				if e.cfg.RecPow > 0 {
					rs = math.Pow(rs, e.cfg.RecPow)
				}
				score = math.Max(score, rs)
			}
		}
		e.up.push(int64(e.n), v)
		e.down.push(int64(e.n), -v)
	}
	if v > e.max {
		e.max = v
	}
	if v < e.min {
		e.min = v
	}
	if e.n <= e.cfg.Warmup {
		return 0
	}
	if e.cfg.Rearm > 0 {
		if score < e.cfg.Rearm {
			e.quiet++
		} else {
			e.quiet = 0
		}
		if e.rest > 0 {
			e.rest--
		}
		if !e.armed {
			if e.rest == 0 && e.quiet >= e.cfg.RearmRows {
				e.armed = true
			}
			return math.Min(score, e.cfg.Fire*0.5)
		}
		if score >= e.cfg.Fire {
			e.armed = false
			e.rest = e.cfg.Rest
			e.quiet = 0
		}
		return score
	}
	if e.rest > 0 {
		e.rest--
		return 0
	}
	if score >= e.cfg.Fire && e.cfg.Rest > 0 {
		e.rest = e.cfg.Rest
	}
	return score
}

func zscore(r, scale, ref float64) float64 {
	if scale <= 0 {
		scale = 1e-9 * math.Max(1, math.Abs(ref))
	}
	return r / scale
}

// Config is the configuration of the default detector.
type Config = EnsembleConfig

// NewDefault returns omen's default detector.
func NewDefault(cfg Config) Detector { return NewEnsemble(cfg) }

// Debug is temporary.
func (e *Ensemble) Debug() string { return e.dbg }
