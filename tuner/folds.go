package tuner

import (
	"math"
	"slices"
	"time"
)

// Defaults of the time-split validation.
const (
	// DefaultFoldLength is the default TuneConfig.FoldLength: weekly
	// folds, so that every fold holds each day of the week once.
	DefaultFoldLength = 7 * 24 * time.Hour
	// DefaultMinTrainFolds is the least TuneConfig.MinTrainFolds: by
	// default the first half of the folds (at least this many) are only
	// trained on, so that the choices validated are made on as much data
	// as they are judged on.
	DefaultMinTrainFolds = 2
)

// fold is one window of the time split, [Start, End).
type fold struct {
	Start, End time.Time
}

// weeklyFolds cuts [start, end] into consecutive folds of length n; the
// last one takes the remainder when it is at least half a fold, else the
// remainder joins the previous fold.
func weeklyFolds(start, end time.Time, n time.Duration) []fold {
	var out []fold
	for t := start; t.Before(end); t = t.Add(n) {
		e := t.Add(n)
		if e.After(end) {
			e = end
		}
		if e.Sub(t) < n/2 && len(out) > 0 {
			out[len(out)-1].End = e
			break
		}
		out = append(out, fold{Start: t, End: e})
	}
	if len(out) > 0 {
		// The end instant itself belongs to the last fold.
		out[len(out)-1].End = end.Add(time.Millisecond)
	}
	return out
}

// foldOf returns the index of the fold holding t, -1 when none does.
func foldOf(fs []fold, t time.Time) int {
	lo, hi := 0, len(fs)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case t.Before(fs[m].Start):
			hi = m
		case !t.Before(fs[m].End):
			lo = m + 1
		default:
			return m
		}
	}
	return -1
}

// candidate is one variant of a rule with its per-fold scores.
type candidate struct {
	variant Variant
	folds   []foldScore
	// distance is how far the candidate is from the rule as written (0 for
	// the rule itself); see distance.
	distance float64
	original bool
}

// selection is the outcome of choosing among candidates on some folds.
type selection struct {
	chosen int // index in the candidates
	best   int // the best on the objective
	// feasible reports whether the chosen candidate meets the constraints;
	// when no candidate does, the one missing them least is chosen.
	feasible bool
	// withinNoise counts the candidates within noise of the best.
	withinNoise int
}

// choose picks, on the folds [from, to), the candidate closest to the
// rule as written among those within noise of the best, the noise judged
// level by level of the objective (a lexicographic one-standard-error
// rule). The candidates meeting the objective's constraints over those
// folds are the feasible ones (when none is, those missing them least);
// the budget's margin is not held against a candidate that notifies no
// more than the rule as written when that is within the budget as seen.
// Then, for each level in turn — incidents paged, incidents caught, lead
// time, fewer pages — the candidates left are kept when the best of them
// on that level exceeds their own total by less than the standard error
// of the difference: for the counts, the standard deviation of the
// paired per-fold differences times √folds; for the lead, of the paired
// per-incident differences of the lead terms over the incidents either
// caught (a missed incident counts as the worst lead, −1) times
// √incidents, since a lead is an incident's, and a few incidents spread
// over many folds would make every lead difference look like noise. A
// difference made in one fold only is therefore not noise, one spread
// unevenly over several folds may be. Among those left, the closest to
// the rule as written wins.
func choose(cs []candidate, from, to int, obj Objective, leadWindow time.Duration) selection {
	n := to - from
	viol := make([]float64, len(cs))
	minViol := math.Inf(1)
	// The rule as written, when it is within the budget as seen, bounds
	// what the margin may ask: a candidate no louder than it is no more
	// likely to break the budget than leaving the rule alone, so the
	// margin is not held against it (a rule paging for its incidents
	// within the budget is never made to miss some for the margin's
	// sake).
	quiet := -1
	for i := range cs {
		if cs[i].original {
			if agg := aggregate(cs[i].folds[from:to]); agg.noticesPerWeek() <= obj.MaxPagesPerWeek+1e-9 {
				quiet = agg.Notices
			}
		}
	}
	for i := range cs {
		agg := aggregate(cs[i].folds[from:to])
		margin := pagesMargin(cs[i].folds[from:to])
		if quiet >= 0 && agg.Notices <= quiet {
			margin = 0
		}
		viol[i] = obj.violation(&agg, margin)
		minViol = math.Min(minViol, viol[i])
	}
	var set []int
	for i := range cs {
		if viol[i] <= minViol+1e-9 {
			set = append(set, i)
		}
	}
	total := func(i int) float64 {
		s := 0.0
		for k := from; k < to; k++ {
			s += cs[i].folds[k].score(leadWindow)
		}
		return s
	}
	best := -1
	bestScore := math.Inf(-1)
	for _, i := range set {
		s := total(i)
		if s > bestScore+1e-9 || math.Abs(s-bestScore) <= 1e-9 && best >= 0 && cs[i].distance < cs[best].distance {
			best, bestScore = i, s
		}
	}
	sel := selection{chosen: best, best: best, feasible: minViol == 0}

	lv := make([][][numLevels]float64, len(cs))
	for _, i := range set {
		lv[i] = make([][numLevels]float64, n)
		for k := from; k < to; k++ {
			lv[i][k-from] = cs[i].folds[k].levels(leadWindow)
		}
	}
	levelTotal := func(i, l int) float64 {
		s := 0.0
		for k := range n {
			s += lv[i][k][l]
		}
		return s
	}
	d := make([]float64, n)
	var dl []float64
	for l := range numLevels {
		top := set[0]
		for _, i := range set {
			if levelTotal(i, l) > levelTotal(top, l)+1e-9 {
				top = i
			}
		}
		var topLeads map[string]float64
		if l == levelLead {
			topLeads = leadTerms(cs[top].folds[from:to], leadWindow)
		}
		var next []int
		for _, i := range set {
			diffs := d
			if l == levelLead {
				dl = pairedLeads(dl[:0], topLeads, leadTerms(cs[i].folds[from:to], leadWindow))
				diffs = dl
			} else {
				for k := range n {
					d[k] = lv[top][k][l] - lv[i][k][l]
				}
			}
			sum := 0.0
			for _, x := range diffs {
				sum += x
			}
			if sum <= 1e-9 || sum < stdErrSum(diffs) {
				next = append(next, i)
			}
		}
		set = next
	}
	sel.withinNoise = len(set)
	sel.chosen = set[0]
	for _, i := range set {
		if cs[i].distance < cs[sel.chosen].distance || cs[i].distance == cs[sel.chosen].distance && total(i) > total(sel.chosen)+1e-9 {
			sel.chosen = i
		}
	}
	return sel
}

// The levels of the objective, in order (see foldScore.levels).
const (
	levelPaged = iota
	levelCaught
	levelLead
	levelPages
	numLevels
)

// levels returns the objective's terms of the fold, in order: incidents
// paged, incidents caught, the sum of the lead terms (each caught
// incident's lead over the lead window, clamped to [−1, 1]) and minus the
// pages.
func (f *foldScore) levels(leadWindow time.Duration) [numLevels]float64 {
	lead := 0.0
	for _, l := range f.Leads {
		lead += leadTerm(l, leadWindow)
	}
	return [numLevels]float64{float64(f.Paged), float64(f.Caught), lead, -float64(f.Pages)}
}

// leadTerm is a lead of l seconds over the lead window, clamped to [−1, 1].
func leadTerm(l float64, leadWindow time.Duration) float64 {
	return math.Max(-1, math.Min(1, l/leadWindow.Seconds()))
}

// leadTerms returns the lead term of each incident the folds caught, by
// incident id.
func leadTerms(fs []foldScore, leadWindow time.Duration) map[string]float64 {
	m := map[string]float64{}
	for k := range fs {
		for j, id := range fs[k].CaughtIDs {
			m[id] = leadTerm(fs[k].Leads[j], leadWindow)
		}
	}
	return m
}

// pairedLeads appends to dst, for each incident a or b caught, a's lead
// term minus b's, a missed incident counting −1, in incident id order (so
// that the sums are the same on every run).
func pairedLeads(dst []float64, a, b map[string]float64) []float64 {
	ids := make([]string, 0, len(a)+len(b))
	for id := range a {
		ids = append(ids, id)
	}
	for id := range b {
		if _, ok := a[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		x, ok := a[id]
		if !ok {
			x = -1
		}
		y, ok := b[id]
		if !ok {
			y = -1
		}
		dst = append(dst, x-y)
	}
	return dst
}

// HorizonWeeks is the span, in weeks, over which a proposal's pages are
// to stay within the budget: the margin of the budget is MarginZ standard
// deviations of the difference between the mean over the weeks judged and
// the mean over the HorizonWeeks to come.
const HorizonWeeks = 4

// MarginZ is the number of standard deviations of the budget's margin:
// 1.65, so that a rule just within it stays within the budget over the
// weeks to come about 95 times in 100.
const MarginZ = 1.65

// pagesMargin returns the budget's margin: MarginZ standard deviations of
// the difference between the mean weekly notices (pages, or a warning's
// firings) over the folds and the mean over the next HorizonWeeks, i.e.
// sd × √(1/folds + 1/HorizonWeeks), where sd is the weekly notices'
// sample standard deviation, but at least √m, the standard deviation of a
// Poisson count of mean m, the false notices per week (a few quiet weeks
// do not make a noisy rule's false alarms certain). The notices of
// incidents are in it: weeks that bring more incidents bring more pages,
// and the budget holds for those weeks too — so a rule whose incidents
// alone page near the budget may be made to miss some to meet it (the
// proposal then says which candidate would still catch them); 0 for one
// fold.
func pagesMargin(fs []foldScore) float64 {
	if len(fs) < 2 {
		return 0
	}
	d := make([]float64, len(fs))
	falseMean := 0.0
	for i := range fs {
		d[i] = fs[i].noticesPerWeek()
		if fs[i].Weeks > 0 {
			falseMean += float64(fs[i].FalseNotices) / fs[i].Weeks
		}
	}
	n := float64(len(fs))
	falseMean /= n
	sd := math.Max(stdErrSum(d)/math.Sqrt(n), math.Sqrt(falseMean))
	return MarginZ * sd * math.Sqrt(1/n+1.0/HorizonWeeks)
}

// stdErrSum returns the standard error of the sum of d: its sample
// standard deviation times √len(d); 0 for fewer than two values.
func stdErrSum(d []float64) float64 {
	n := float64(len(d))
	if n < 2 {
		return 0
	}
	mean := 0.0
	for _, x := range d {
		mean += x
	}
	mean /= n
	ss := 0.0
	for _, x := range d {
		ss += (x - mean) * (x - mean)
	}
	return math.Sqrt(ss/(n-1)) * math.Sqrt(n)
}

// validated is the forward-chaining validation of the choice: for each
// fold k from minTrain on, the candidate chosen on folds [0, k) judged on
// fold k, beside the rule as written.
type validated struct {
	folds []int // fold index
	after []int // candidate chosen for that fold
}

func validate(cs []candidate, nFolds, minTrain int, obj Objective, leadWindow time.Duration) validated {
	var v validated
	for k := minTrain; k < nFolds; k++ {
		sel := choose(cs, 0, k, obj, leadWindow)
		v.folds = append(v.folds, k)
		v.after = append(v.after, sel.chosen)
	}
	return v
}
