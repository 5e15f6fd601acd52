package anomaly

import "math"

// LikelihoodConfig configures a Likelihood. The zero value uses the
// documented defaults.
type LikelihoodConfig struct {
	// Average is the number of recent raw scores averaged before they are
	// compared with their history; default 10.
	Average int
	// History is the number of averaged scores the distribution is
	// estimated from; default 2880 (10 days of 5-minute samples).
	History int
	// Learn is the number of raw scores ignored at the start (the
	// underlying detector is still learning); default 150.
	Learn int
	// Estimate is the number of averaged scores needed after Learn before
	// any likelihood is reported; default 100. Until then Update returns 1.
	Estimate int
	// Reestimate is how often, in samples, the distribution is
	// re-estimated; default 100.
	Reestimate int
	// MinMean and MinStd are lower bounds on the estimated mean and
	// standard deviation of the averaged scores, so that a detector that
	// has been silent for a long time does not make its first small
	// flicker look impossible; defaults 0.03 and 0.0173 (Numenta's
	// 0.03 and √0.0003).
	MinMean, MinStd float64
	// TwoSided, when true, also treats averages far below the mean as
	// unusual (Numenta's tailProbability reflects x < mean this way); by
	// default only high averages are.
	TwoSided bool
}

func (c LikelihoodConfig) withDefaults() LikelihoodConfig {
	if c.Average <= 0 {
		c.Average = 10
	}
	if c.History <= 0 {
		c.History = 2880
	}
	if c.Learn <= 0 {
		c.Learn = 150
	}
	if c.Estimate <= 0 {
		c.Estimate = 100
	}
	if c.Reestimate <= 0 {
		c.Reestimate = 100
	}
	if c.MinMean <= 0 {
		c.MinMean = 0.03
	}
	if c.MinStd <= 0 {
		c.MinStd = 0.0173
	}
	return c
}

// Likelihood turns a stream of raw anomaly scores in [0, 1] into the
// probability of seeing scores that high, judged against the stream's own
// history, after Ahmad et al. (2017), "Unsupervised real-time anomaly
// detection for streaming data", Neurocomputing 262, §4 (Numenta's
// AnomalyLikelihood):
//
//	a_t = mean(raw_{t−A+1..t})              (A = Average)
//	μ, σ = mean and std of a over the last History samples,
//	       re-estimated every Reestimate samples, σ ≥ MinStd, μ ≥ MinMean
//	L_t = Q((a_t − μ)/σ)                     (Gaussian upper tail)
//
// Update returns the tail probability L_t: small means unusual. It is 1
// during the learning and estimation periods. NaN raw scores are treated
// as 0. Cost per sample: O(1) amortised (O(History) every Reestimate
// samples); memory 8·(Average+History) bytes.
type Likelihood struct {
	cfg    LikelihoodConfig
	recent []float64 // ring of the last Average raw scores
	rhead  int
	rsum   float64
	hist   []float64 // ring of the last History averaged scores
	hhead  int
	hn     int
	n      int // raw scores seen
	mean   float64
	std    float64
	ready  bool
}

// NewLikelihood returns a Likelihood with cfg (zero fields take defaults).
func NewLikelihood(cfg LikelihoodConfig) *Likelihood {
	cfg = cfg.withDefaults()
	return &Likelihood{cfg: cfg, recent: make([]float64, cfg.Average), hist: make([]float64, cfg.History)}
}

// Update adds one raw score and returns its tail probability in (0, 1].
func (l *Likelihood) Update(raw float64) float64 {
	if math.IsNaN(raw) {
		raw = 0
	}
	l.rsum += raw - l.recent[l.rhead]
	l.recent[l.rhead] = raw
	l.rhead++
	if l.rhead == len(l.recent) {
		l.rhead = 0
	}
	l.n++
	k := min(l.n, len(l.recent))
	avg := l.rsum / float64(k)
	if l.n <= l.cfg.Learn {
		return 1
	}
	if !l.ready && l.hn >= l.cfg.Estimate || l.ready && (l.n-l.cfg.Learn)%l.cfg.Reestimate == 0 {
		l.estimate()
		l.ready = true
	}
	p := 1.0
	if l.ready {
		p = l.tail(avg)
	}
	l.hist[l.hhead] = avg
	l.hhead++
	if l.hhead == len(l.hist) {
		l.hhead = 0
	}
	if l.hn < len(l.hist) {
		l.hn++
	}
	return p
}

func (l *Likelihood) estimate() {
	s, s2 := 0.0, 0.0
	for i := 0; i < l.hn; i++ {
		s += l.hist[i]
	}
	m := s / float64(l.hn)
	for i := 0; i < l.hn; i++ {
		d := l.hist[i] - m
		s2 += d * d
	}
	sd := 0.0
	if l.hn > 1 {
		sd = math.Sqrt(s2 / float64(l.hn-1))
	}
	l.mean = math.Max(m, l.cfg.MinMean)
	l.std = math.Max(sd, l.cfg.MinStd)
}

func (l *Likelihood) tail(x float64) float64 {
	if x < l.mean {
		if !l.cfg.TwoSided {
			return 1
		}
		x = 2*l.mean - x
	}
	z := (x - l.mean) / l.std
	return 0.5 * math.Erfc(z/math.Sqrt2)
}

// LogScore maps a tail probability p to [0, 1] on a log scale, as
// Numenta's computeLogLikelihood: log(p + 1e−10)/log(1e−10), clamped to
// [0, 1]. p = 1e−5 gives 0.5 and p = 1e−10 about 0.97.
func LogScore(p float64) float64 {
	s := math.Log(p+1e-10) / math.Log(1e-10)
	return math.Max(0, math.Min(1, s))
}
