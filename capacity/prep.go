package capacity

import (
	"math"
	"slices"
	"sync"

	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/stats"
)

const (
	dayMs  = int64(day / 1e6)
	hourMs = int64(3600 * 1000)
)

// work is the scratch space of one prediction, reused through a pool so
// that a fleet of predictions allocates little.
type work struct {
	// The regular grid: n points, step ms apart, the last at tEnd.
	n     int
	step  int64
	tEnd  int64
	stepD float64 // step in days
	// The forecast paths' step (a whole multiple of step), ms and days.
	pstep  int64
	pstepD float64

	y  []float64 // oriented values: exhaustion is y ≥ lim; NaN missing
	rc []float64 // restart counter on the grid; NaN unknown

	seg   []int32   // segment of each row in the current fit, −1 excluded
	xs    []float64 // time of each point in days from tEnd (≤ 0)
	age   []float64 // days since the start of the point's segment
	lnAge []float64 // log of age (for power shapes), set by setLnAge
	prof  []float64 // seasonal profile value of each point
	bin   []int32   // time-of-day bin of each point (nb bins per day)
	we    []bool    // whether each point falls on a Saturday or Sunday (UTC)
	nb    int       // bins per day
	g0    []float64 // regressors of the current fit
	g1    []float64
	z     []float64 // y − prof
	res   []float64 // residual of the current fit
	tmp   []float64 // scratch
	tmp2  []float64 // scratch
	hm    []float64 // hourly residual means (detectWeekly)
	ts    []int64   // scratch
	pwX   []float64 // pooled hourly medians' times (fitPowerCurve)
	pwM   []float64 // pooled hourly medians (fitPowerCurve)
	pwLg  []float64 // scratch of powerCurveSearch: ln(x − x₀) of the medians
	pwG   []float64 // scratch of powerCurveSearch: (x − x₀)^p

	// Per segment sums of the regression.
	segN    []float64
	segSum  [][3]float64
	segRef  []float64
	bounds  []int
	counter []bool

	// Seasonal profile.
	prof1, profWE []float64
	profCnt       []float64

	// What a material change is: the headroom and the horizon in days.
	scale, horizonDays float64
	// nonFinite counts the infinite samples skipped by buildGrid.
	nonFinite int

	// Forecast paths (oriented), and for simulate the standard deviation
	// of the trend and the bin and day of every future step.
	mean, lo, hi []float64
	// Backtest scratch (calibrate).
	bt   []float64
	calZ [len(levelWindows)][len(calBins)][]float64
	sd   []float64
	fbin []int32
}

var workPool = sync.Pool{New: func() any { return new(work) }}

func getWork() *work { return workPool.Get().(*work) }

func putWork(w *work) { workPool.Put(w) }

// timeOf returns the Unix ms of grid point i.
func (w *work) timeOf(i int) int64 { return w.tEnd - int64(w.n-1-i)*w.step }

// buildGrid puts the valid samples of s with lo < t ≤ hi on a regular grid
// ending at the last valid sample, multiplying values by sign. The step is
// the median interval between consecutive valid samples, multiplied by the
// smallest whole factor that keeps the grid within maxPoints; a grid point
// takes the last sample that rounds to it. It returns the number of valid
// samples placed, or 0 when there are fewer than two.
func (w *work) buildGrid(s series.Series, lo, hi int64, maxPoints int, sign float64) int {
	s = s.Slice(lo+1, hi)
	w.ts = w.ts[:0]
	w.nonFinite = 0
	prev := int64(math.MinInt64)
	first, last := int64(0), int64(0)
	valid := 0
	for i, t := range s.Timestamps {
		v := s.Values[i]
		if math.IsInf(v, 0) {
			w.nonFinite++
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		if prev != math.MinInt64 {
			w.ts = append(w.ts, t-prev)
		} else {
			first = t
		}
		prev, last = t, t
		valid++
	}
	if valid < 2 {
		return 0
	}
	slices.Sort(w.ts)
	step := w.ts[len(w.ts)/2]
	if step <= 0 {
		return 0
	}
	span := last - first
	n := int(span/step) + 1
	if n > maxPoints {
		k := (n + maxPoints - 1) / maxPoints
		step *= int64(k)
		n = int(span/step) + 1
	}
	w.n, w.step, w.tEnd = n, step, last
	w.stepD = float64(step) / float64(dayMs)
	w.y = stats.Grow(w.y, n)
	for i := range w.y {
		w.y[i] = math.NaN()
	}
	placed := 0
	for i, t := range s.Timestamps {
		v := s.Values[i]
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		k := n - 1 - int((last-t+step/2)/step)
		if k < 0 {
			continue
		}
		if math.IsNaN(w.y[k]) {
			placed++
		}
		w.y[k] = sign * v
	}
	return placed
}

// alignCounter puts the restart counter c (samples ≤ hi) on the grid: each
// point takes the last sample at or before it, NaN before the first.
func (w *work) alignCounter(c series.Series, hi int64) {
	w.rc = stats.Grow(w.rc, w.n)
	j := 0
	cur := math.NaN()
	for i := range w.n {
		t := w.timeOf(i)
		for j < len(c.Timestamps) && c.Timestamps[j] <= t && c.Timestamps[j] <= hi {
			if v := c.Values[j]; !math.IsNaN(v) {
				cur = v
			}
			j++
		}
		w.rc[i] = cur
	}
}

// lastValid returns the last non-NaN, finite value of s at or before at,
// and its timestamp; NaN, 0 when there is none.
func lastValid(s series.Series, at int64) (float64, int64) {
	s = s.AsOf(at)
	for i := s.Len() - 1; i >= 0; i-- {
		if v := s.Values[i]; !math.IsNaN(v) && !math.IsInf(v, 0) {
			return v, s.Timestamps[i]
		}
	}
	return math.NaN(), 0
}

// noiseAndRange returns a robust noise scale of y — 1.4826·MAD of the
// first differences over √2, the standard deviation of white noise — and
// its robust range q99 − q1.
func (w *work) noiseAndRange() (sigma, r float64) {
	w.tmp = w.tmp[:0]
	w.tmp2 = w.tmp2[:0]
	prev := math.NaN()
	for _, v := range w.y {
		if math.IsNaN(v) {
			continue
		}
		w.tmp2 = append(w.tmp2, v)
		if !math.IsNaN(prev) {
			w.tmp = append(w.tmp, v-prev)
		}
		prev = v
	}
	if len(w.tmp) > 0 {
		_, s := madScale(w.tmp)
		sigma = s / math.Sqrt2
	}
	if len(w.tmp2) > 1 {
		r = quantile(w.tmp2, 0.99) - quantile(w.tmp2, 0.01)
	}
	return sigma, r
}

// setLnAge stores ln(age) of every point for the power-shape searches.
func (w *work) setLnAge() {
	w.lnAge = stats.Grow(w.lnAge, w.n)
	for i, a := range w.age[:w.n] {
		w.lnAge[i] = math.Log(a)
	}
}
