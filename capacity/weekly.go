package capacity

import (
	"math"

	"github.com/omenhq/omen/stats"
)

// The weekly envelope. A weekly job — an import that writes staging files
// and deletes them hours later, a weekly backup, a Monday batch — leaves
// spikes in the residuals once a week that no daily profile holds: their
// mean spread over seven days is small, so the mean path never reaches
// the limit, yet the disk fills during the job. As the daily envelope
// does for day-to-day variation (simulate), the residuals become part of
// the signal: when the hour-of-week means of the residuals differ between
// hours of the week more than between weeks (an F statistic above
// profileF over hour-of-week bins seen in at least two weeks), the
// futures are simulated with the residuals of the same weekday of a past
// week, so that next week's job comes back at its time of week.

// A weekly job seen once cannot pass that test: in a window of 7 to 13
// days the job of last week is the only one, its hours of the week are
// seen once, and the one to come is the fill. So a window of at least
// weeklyOnceDays whose hourly residual means rise, for at least
// weeklySpikeHours hours, weeklySpikeSigma robust standard deviations
// (1.4826 times the median absolute deviation) above their median —
// towards the limit — is simulated with the same weekday's residuals
// too: the seasonal naive forecast with a weekly season (Hyndman &
// Athanasopoulos, "Forecasting: principles and practice", 3rd ed., §5.2),
// which puts last week's job at its time of week; a one-off job below the
// headroom then changes nothing, one that would fill does.

// Weekly settings.
const (
	// weeklyOnceDays is the window in which every day of the next week
	// has its weekday in the history.
	weeklyOnceDays = 7.0
	// weeklySpikeSigma and weeklySpikeHours define a job seen once.
	weeklySpikeSigma = 8.0
	weeklySpikeHours = 2
	// weeklyMinDays is the history a weekly pattern needs: two
	// occurrences of every hour of the week but a few.
	weeklyMinDays = 8.0
	// weeklyMinBins is the fewest hour-of-week bins seen in two weeks.
	weeklyMinBins = 24
)

// detectWeekly reports whether the residuals of the fitted rows of the
// current segment repeat weekly (see above).
func (w *work) detectWeekly(an *analysis) bool {
	lo := max(an.fitLo, an.curStart)
	span := float64(w.n-1-lo) * w.stepD
	if span < weeklyOnceDays {
		return false
	}
	blk := max(1, int(hourMs/w.step))
	const nb = 7 * 24
	w.bt = stats.Grow(w.bt, 3*nb)
	sum, sq, cnt := w.bt[:nb], w.bt[nb:2*nb], w.bt[2*nb:3*nb]
	for b := range nb {
		sum[b], sq[b], cnt[b] = 0, 0, 0
	}
	cur := w.seg[w.n-1]
	w.hm = w.hm[:0]
	for j := lo; j+blk <= w.n; j += blk {
		var s, c float64
		for i := j; i < j+blk; i++ {
			if r := w.res[i]; !math.IsNaN(r) && w.seg[i] == cur {
				s += r
				c++
			}
		}
		if 2*c < float64(blk) {
			continue
		}
		m := s / c
		w.hm = append(w.hm, m)
		t := w.timeOf(j + blk/2)
		how := floorDiv(t+4*dayMs, hourMs) % nb // hours since Monday 00:00 UTC (Unix day 0 a Thursday)
		sum[how] += m
		sq[how] += m * m
		cnt[how]++
	}
	if span >= weeklyMinDays && w.weeklyF() {
		return true
	}
	return w.spikeOnce()
}

// spikeOnce reports whether the hourly residual means in w.hm hold a job
// seen once (see above).
func (w *work) spikeOnce() bool {
	if len(w.hm) < 24 {
		return false
	}
	w.tmp = append(w.tmp[:0], w.hm...)
	med, s := madScale(w.tmp)
	if !(s > 0) {
		return false
	}
	k := 0
	for _, v := range w.hm {
		if v-med >= weeklySpikeSigma*s {
			k++
		}
	}
	return k >= weeklySpikeHours
}

// weeklyF reports whether the hour-of-week means of w.bt (sums, sums of
// squares and counts per bin) differ between hours more than between
// weeks.
func (w *work) weeklyF() bool {
	const nb = 7 * 24
	sum, sq, cnt := w.bt[:nb], w.bt[nb:2*nb], w.bt[2*nb:3*nb]
	var ssb, ssw, tot, n, k float64
	for b := range nb {
		if cnt[b] < 2 {
			continue
		}
		mb := sum[b] / cnt[b]
		ssw += sq[b] - cnt[b]*mb*mb
		tot += sum[b]
		n += cnt[b]
		k++
	}
	if k < weeklyMinBins || !(ssw > 0) || n <= k {
		return false
	}
	mean := tot / n
	for b := range nb {
		if cnt[b] >= 2 {
			mb := sum[b] / cnt[b]
			ssb += cnt[b] * (mb - mean) * (mb - mean)
		}
	}
	f := (ssb / (k - 1)) / (ssw / (n - k))
	return f > profileF
}
