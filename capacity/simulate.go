package capacity

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/omenhq/omen/stats"
)

// simulations is the number of simulated futures of a structured series.
const simulations = 200

// simulate estimates the ETA of a series whose residuals are part of the
// signal by a residual day-block bootstrap: each simulated future is the
// mean path, plus the trend uncertainty (one standard normal draw z per
// future times the path's standard deviation), plus, for every future UTC
// day, the residuals of a history day drawn at random, bin by bin of the
// time of day. The ETA quantiles are those of the first crossings of the
// simulated futures (none counts as beyond the horizon). The residuals
// are taken less their median over the fitted rows, the level the mean
// path's correction already holds. It returns false
// when the history has no usable day (a coarse step or too few points).
func (w *work) simulate(an *analysis, lim float64, steps int, at int64, seed uint64) (ETA, bool) {
	var e ETA
	nb := w.bins()
	if nb < 12 {
		return e, false
	}
	lo := an.fitLo
	firstDay := floorDiv(w.timeOf(lo), dayMs)
	lastDay := floorDiv(w.tEnd, dayMs)
	nd := int(lastDay - firstDay + 1)
	w.tmp = stats.Grow(w.tmp, nd*nb)
	mat := w.tmp
	for i := range mat {
		mat[i] = math.NaN()
	}
	// The residuals are drawn around the corrected level of the mean path
	// (the median residual of the last days, envelope), so they are
	// centred on their own median first: a weekly import or a nightly
	// batch lifts the fitted line above the baseline, and its spikes
	// would otherwise count that lift twice, once in the level
	// correction and once in the residual.
	w.tmp2 = w.tmp2[:0]
	for i := lo; i < w.n; i++ {
		if r := w.res[i]; !math.IsNaN(r) {
			w.tmp2 = append(w.tmp2, r)
		}
	}
	if len(w.tmp2) == 0 {
		return e, false
	}
	centre := median(w.tmp2)
	for i := lo; i < w.n; i++ {
		r := w.res[i]
		if math.IsNaN(r) {
			continue
		}
		d := int(floorDiv(w.timeOf(i), dayMs) - firstDay)
		mat[d*nb+int(w.bin[i])] = r - centre
	}
	// Usable days: at least half of their bins known.
	days := w.ts[:0]
	for d := range nd {
		k := 0
		for _, v := range mat[d*nb : (d+1)*nb] {
			if !math.IsNaN(v) {
				k++
			}
		}
		if 2*k >= nb {
			days = append(days, int64(d))
		}
	}
	w.ts = days
	if len(days) == 0 {
		return e, false
	}
	// Per future step: the standard deviation of the trend, the bin and
	// the day (relative to the last one).
	w.sd = stats.Grow(w.sd, steps+1)
	w.fbin = stats.Grow(w.fbin, 2*(steps+1))
	for h := 0; h <= steps; h++ {
		t := w.tEnd + int64(h)*w.pstep
		w.sd[h] = (w.hi[h] - w.mean[h]) / normQuantile80
		b, _ := w.binOf(t, nb)
		w.fbin[2*h] = int32(b)
		w.fbin[2*h+1] = int32(floorDiv(t, dayMs) - lastDay)
	}
	rmax := math.Inf(-1)
	for _, r := range mat {
		if r > rmax {
			rmax = r
		}
	}
	rmax = math.Max(rmax, 0)
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	w.tmp2 = stats.Grow(w.tmp2, simulations)
	hits := w.tmp2
	end := at + int64(steps)*w.pstep
	for s := range simulations {
		z := rng.NormFloat64()
		hits[s] = math.Inf(1)
		// The first step at which even the largest residual could cross.
		h0 := -1
		for h := 1; h <= steps; h++ {
			if w.mean[h]+z*w.sd[h]+rmax >= lim {
				h0 = h
				break
			}
		}
		if h0 < 0 {
			continue
		}
		day := int32(math.MinInt32)
		var row []float64
		prev := math.NaN()
		for h := max(1, h0-1); h <= steps; h++ {
			if d := w.fbin[2*h+1]; d != day {
				day = d
				k := days[rng.IntN(len(days))]
				if an.weekly {
					k = sameWeekday(days, int64(nd-1)+int64(d), rng)
				}
				row = mat[int(k)*nb : int(k+1)*nb]
			}
			r := row[w.fbin[2*h]]
			if math.IsNaN(r) {
				r = 0
			}
			v := w.mean[h] + z*w.sd[h] + r
			if h >= h0 && v >= lim {
				frac := 1.0
				if !math.IsNaN(prev) && v > prev && prev < lim {
					frac = (lim - prev) / (v - prev)
				}
				hits[s] = float64(w.tEnd) + (float64(h-1)+frac)*float64(w.pstep)
				break
			}
			prev = v
		}
	}
	slices.Sort(hits)
	q := func(p float64) *time.Duration {
		v := hits[int(p*float64(simulations-1)+0.5)]
		if math.IsInf(v, 1) || v > float64(end) {
			return nil
		}
		d := time.Duration(max(0, int64(v)-at)) * time.Millisecond
		return &d
	}
	e.P10, e.P50, e.P90 = q(0.1), q(0.5), q(0.9)
	return e, true
}

// sameWeekday returns a day of days (indices from the first history day)
// on the weekday of day fd (same indices, fd beyond the history), drawn at
// random among them; a random day when there is none.
func sameWeekday(days []int64, fd int64, rng *rand.Rand) int64 {
	n := 0
	for _, d := range days {
		if (fd-d)%7 == 0 {
			n++
		}
	}
	if n == 0 {
		return days[rng.IntN(len(days))]
	}
	k := rng.IntN(n)
	for _, d := range days {
		if (fd-d)%7 == 0 {
			if k == 0 {
				return d
			}
			k--
		}
	}
	return days[0]
}

// floorDiv returns ⌊a/b⌋ for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
