package capacity

import (
	"fmt"
	"math"
	"time"

	"github.com/omenhq/omen/units"
)

// fmtDur formats a duration for people: 45m, 5.2h, 3.1d.
func fmtDur(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 2*day:
		return fmt.Sprintf("%.1fh", d.Hours())
	}
	return fmt.Sprintf("%.1fd", d.Hours()/24)
}

// fmtValue formats v in IEC units when bytes, otherwise with SI prefixes
// (see package units): 1.46 GiB, 12.9G.
func fmtValue(v float64, bytes bool) string { return units.Value(v, bytes) }

func isBytes(t Target) bool {
	return units.IsBytes(t.Usage.Labels.Name()) || units.IsBytes(t.Labels.Name())
}

// describe says what the history shows, in a phrase. Rates are towards
// the limit: for a Down target (available bytes) a positive rate is space
// being used up.
func (w *work) describe(an *analysis, t Target) string {
	b := isBytes(t)
	rate := func(v float64) string { return fmtValue(v, b) + "/day" }
	when := func(i int) string { return time.UnixMilli(w.timeOf(i)).UTC().Format("Jan 2 15:04") }
	switch an.pattern {
	case PatternLeak:
		s := fmt.Sprintf("grows %s since the restart at %s", rate(an.slope), when(an.curStart))
		switch {
		case an.nseg == 3:
			s += ", as in the run before it"
		case an.nseg > 3:
			s += fmt.Sprintf(", as in the %d runs before it", an.nseg-2)
		}
		return s
	case PatternRampPlateau:
		return fmt.Sprintf("warms up after each restart or deploy and levels off (last at %s)", when(an.curStart))
	case PatternAccelerating:
		return "growth is accelerating, now " + rate(an.slope)
	case PatternStep:
		return fmt.Sprintf("level shift at %s, then %s", when(an.stepAt), rate(an.slope))
	case PatternSawtooth:
		if an.growing {
			return fmt.Sprintf("sawtooth whose peaks rise %s", rate(an.slope))
		}
		return fmt.Sprintf("sawtooth whose peaks do not rise (%s)", rate(an.slope))
	case PatternDailyBatch:
		return fmt.Sprintf("daily spike of %s, base trend %s", fmtValue(an.prof.amp, b), rate(an.slope))
	case PatternSeasonal:
		return fmt.Sprintf("daily cycle of %s, trend %s", fmtValue(an.prof.amp, b), rate(an.slope))
	case PatternSteadyGrowth:
		if an.kinkAt >= 0 {
			return fmt.Sprintf("growth rate changed at %s, now %s", when(an.kinkAt), rate(an.slope))
		}
		return "steady growth of " + rate(an.slope)
	case PatternDecreasing:
		return "moving away from the limit at " + rate(-an.slope)
	}
	return "no material trend (" + rate(an.slope) + ")"
}

// window says which data the model was fitted on.
func (w *work) window(an *analysis) string {
	d := time.Duration(w.n-1-an.fitLo) * time.Duration(w.step) * time.Millisecond
	return "last " + fmtDur(d)
}

// reason writes the one-sentence explanation of a prediction.
func (w *work) reason(an *analysis, t Target, p Prediction, cfg Config, lim, sign float64) string {
	b := isBytes(t)
	left := fmtValue(math.Abs(lim-sign*p.Current), b) + " left"
	if !math.IsNaN(p.Capacity) && p.Capacity > 0 {
		left += fmt.Sprintf(" (%.0f%% of %s)", 100*math.Abs(lim-sign*p.Current)/p.Capacity, fmtValue(p.Capacity, b))
	}
	// A sawtooth, a daily spike or cycle: say how close the peaks of the
	// coming day get, which is what decides.
	switch an.pattern {
	case PatternSawtooth, PatternDailyBatch, PatternSeasonal:
		peak := math.Inf(-1)
		for h := 0; h < len(w.mean) && int64(h)*w.pstep <= dayMs; h++ {
			peak = math.Max(peak, w.mean[h])
		}
		peak += an.envA / 2
		if gap := lim - peak; !math.IsInf(peak, 0) && gap > 0 {
			left += ", peaks leave " + fmtValue(gap, b)
			if !math.IsNaN(p.Capacity) && p.Capacity > 0 {
				left += fmt.Sprintf(" (%.0f%%)", 100*gap/p.Capacity)
			}
		}
	}
	var head string
	switch e := p.ETA; {
	case e != nil && e.P50 != nil && *e.P50 == 0 && e.P90 != nil && *e.P90 == 0:
		head = "Already at or beyond the limit"
	case e != nil && e.P50 != nil:
		hi := "beyond " + fmtDur(cfg.Horizon)
		if e.P90 != nil {
			hi = fmtDur(*e.P90)
		}
		head = fmt.Sprintf("Runs out in about %s (80%% between %s and %s)", fmtDur(*e.P50), fmtDur(*e.P10), hi)
	case e != nil && e.P10 != nil && an.unproven && an.growing:
		head = fmt.Sprintf("Too early to tell a leak from a warm-up: the run before ended below the limit (earliest plausible in %s)", fmtDur(*e.P10))
	case e != nil && e.P10 != nil:
		head = fmt.Sprintf("Unlikely to run out within %s (earliest plausible in %s)", fmtDur(cfg.Horizon), fmtDur(*e.P10))
	default:
		head = "Does not run out within " + fmtDur(cfg.Horizon)
	}
	return fmt.Sprintf("%s: %s, %s; %s of data, model %s.", head, w.describe(an, t), left, w.window(an), an.model)
}

// reasonNoLimit explains a prediction for a target without a limit.
func (w *work) reasonNoLimit(an *analysis, t Target) string {
	return fmt.Sprintf("No limit, so no exhaustion to predict: %s; %s of data, model %s.", w.describe(an, t), w.window(an), an.model)
}
