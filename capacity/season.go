package capacity

import (
	"math"

	"github.com/omenhq/omen/stats"
)

// Seasonal profile settings.
const (
	// profileMinDays is the history a daily profile needs.
	profileMinDays = 2.0
	// profileF is the F statistic (between-bin over within-bin variance)
	// a daily profile needs to be kept, and a separate weekend profile to
	// be kept beside the weekday one.
	profileF = 4.0
	// maxProfileBins caps the bins per day.
	maxProfileBins = 1440
)

// profile is a daily seasonal profile, optionally with a separate one for
// Saturdays and Sundays (UTC).
type profile struct {
	on    bool
	split bool
	bins  int
	f     float64 // F statistic of the daily profile
	amp   float64 // max − min of the profile
	drop  float64 // largest fall of the profile within an hour
	// spike is the fraction of the day the profile spends above the
	// middle of its range: short for a nightly job.
	spike float64
	// varWD and varWE are the variances of a weekday and a weekend bin
	// mean: the within-bin variance over the number of days in a bin.
	varWD, varWE float64
}

func (w *work) bins() int {
	nb := int(math.Round(float64(dayMs) / float64(w.step)))
	return min(nb, maxProfileBins)
}

func (w *work) binOf(t int64, nb int) (int, bool) {
	tod := t % dayMs
	if tod < 0 {
		tod += dayMs
	}
	d := t / dayMs
	if t < 0 && t%dayMs != 0 {
		d--
	}
	wd := (d + 4) % 7 // Unix day 0 was a Thursday (4); Sunday is 0
	if wd < 0 {
		wd += 7
	}
	return int(tod * int64(nb) / dayMs), wd == 0 || wd == 6
}

// profileAt returns the profile value at Unix ms t.
func (w *work) profileAt(p *profile, t int64) float64 {
	if !p.on {
		return 0
	}
	b, we := w.binOf(t, p.bins)
	if p.split && we {
		return w.profWE[b]
	}
	return w.prof1[b]
}

// profileVar returns the variance of the profile value at Unix ms t.
func (w *work) profileVar(p *profile, t int64) float64 {
	if !p.on {
		return 0
	}
	if p.split {
		if _, we := w.binOf(t, p.bins); we {
			return p.varWE
		}
	}
	return p.varWD
}

// estimateProfile estimates the daily profile of v[i] = w.res[i] +
// w.prof[i] (the data minus the trend) over the fitted rows i ≥ lo, keeps
// it when significant, and writes the profile value of every point i ≥ lo
// to w.prof (0 when dropped).
func (w *work) estimateProfile(lo int) profile {
	var p profile
	nb := w.bins()
	spanDays := float64(w.n-1-lo) * w.stepD
	if nb < 12 || spanDays < profileMinDays {
		for i := lo; i < w.n; i++ {
			w.prof[i] = 0
		}
		return p
	}
	p.bins = nb
	w.prof1 = stats.Grow(w.prof1, nb)
	w.profWE = stats.Grow(w.profWE, nb)
	w.profCnt = stats.Grow(w.profCnt, 4*nb)
	s1, c1 := w.prof1, w.profCnt[:nb]
	swe, cwe := w.profWE, w.profCnt[nb:2*nb]
	swd, cwd := w.profCnt[2*nb:3*nb], w.profCnt[3*nb:]
	for b := range nb {
		s1[b], c1[b], swe[b], cwe[b], swd[b], cwd[b] = 0, 0, 0, 0, 0, 0
	}
	var n, sum, sumSq float64
	for i := lo; i < w.n; i++ {
		r := w.res[i]
		if math.IsNaN(r) {
			continue
		}
		v := r + w.prof[i]
		b, we := w.bin[i], w.we[i]
		s1[b] += v
		c1[b]++
		if we {
			swe[b] += v
			cwe[b]++
		} else {
			swd[b] += v
			cwd[b]++
		}
		n++
		sum += v
		sumSq += v * v
	}
	if n < float64(3*nb) {
		for i := lo; i < w.n; i++ {
			w.prof[i] = 0
		}
		return p
	}
	// Single profile: between and within sums of squares.
	var ssb1, filled float64
	for b := range nb {
		if c1[b] > 0 {
			s1[b] /= c1[b]
			ssb1 += c1[b] * s1[b] * s1[b]
			filled++
		}
	}
	mean := sum / n
	ssw1 := sumSq - ssb1
	ssb1 -= n * mean * mean
	switch {
	case filled < 2 || ssb1 <= 1e-12*sumSq:
		p.f = 0
	case ssw1 <= 0:
		p.f = math.Inf(1)
	default:
		p.f = (ssb1 / (filled - 1)) / (ssw1 / (n - filled))
	}
	if !(p.f > profileF) {
		for i := lo; i < w.n; i++ {
			w.prof[i] = 0
		}
		return p
	}
	p.on = true
	// Weekday/weekend split: needs two weekend days in most bins.
	var ssb2, filled2, weOK float64
	for b := range nb {
		if cwe[b] >= 2 {
			weOK++
		}
	}
	if weOK >= 0.9*float64(nb) {
		for b := range nb {
			if cwe[b] > 0 {
				swe[b] /= cwe[b]
				ssb2 += cwe[b] * swe[b] * swe[b]
				filled2++
			}
			if cwd[b] > 0 {
				swd[b] /= cwd[b]
				ssb2 += cwd[b] * swd[b] * swd[b]
				filled2++
			}
		}
		ssw2 := sumSq - ssb2
		delta := ssb2 - (ssb1 + n*mean*mean)
		if ssw2 > 0 && n > filled2 && delta > 0 {
			f2 := (delta / (filled2 - filled)) / (ssw2 / (n - filled2))
			p.split = f2 > profileF
		}
	}
	var cntWD, cntWE float64
	for b := range nb {
		cntWD += cwd[b]
		cntWE += cwe[b]
	}
	within := ssw1 / math.Max(n-filled, 1)
	p.varWD = within / math.Max(n/float64(nb), 1)
	p.varWE = p.varWD
	if p.split {
		p.varWD = within / math.Max(cntWD/float64(nb), 1)
		p.varWE = within / math.Max(cntWE/float64(nb), 1)
		for b := range nb {
			if cwe[b] == 0 {
				swe[b] = s1[b]
			}
			if cwd[b] > 0 {
				s1[b] = swd[b]
			}
		}
	}
	for b := range nb {
		if c1[b] == 0 {
			s1[b] = mean
		}
	}
	// Centre on the fitted rows so the trend keeps the level.
	var pm float64
	for i := lo; i < w.n; i++ {
		b, we := w.bin[i], w.we[i]
		v := s1[b]
		if p.split && we {
			v = swe[b]
		}
		w.prof[i] = v
		if !math.IsNaN(w.res[i]) {
			pm += v
		}
	}
	pm /= n
	for i := lo; i < w.n; i++ {
		w.prof[i] -= pm
	}
	lo1, hi1 := math.Inf(1), math.Inf(-1)
	for b := range nb {
		s1[b] -= pm
		lo1, hi1 = math.Min(lo1, s1[b]), math.Max(hi1, s1[b])
		if p.split {
			swe[b] -= pm
		}
	}
	p.amp = hi1 - lo1
	mid := (lo1 + hi1) / 2
	var above float64
	hour := max(1, nb/24)
	for b := range nb {
		if s1[b] > mid {
			above++
		}
		for k := 1; k <= hour; k++ {
			p.drop = math.Max(p.drop, s1[(b+nb-k)%nb]-s1[b])
		}
	}
	p.spike = above / float64(nb)
	return p
}
