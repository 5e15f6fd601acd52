package tuner

import (
	"math"
	"time"
)

// Defaults of the time-split validation.
const (
	// DefaultFoldLength is the default TuneConfig.FoldLength: weekly
	// folds, so that every fold holds each day of the week once.
	DefaultFoldLength = 7 * 24 * time.Hour
	// DefaultMinTrainFolds is the default TuneConfig.MinTrainFolds.
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
// rule as written among those within noise of the best: the candidates
// meeting the objective's constraints over those folds are the feasible
// ones (when none is, those missing them least); the best is the
// feasible candidate with the highest total score; a candidate is within
// noise of it when the best's total exceeds its own by less than the
// standard error of that sum (the standard deviation of their paired
// per-fold differences times √folds). A difference made in one fold only
// is therefore not noise, one spread unevenly over several folds may be.
func choose(cs []candidate, from, to int, obj Objective, leadWindow time.Duration) selection {
	n := to - from
	viol := make([]float64, len(cs))
	minViol := math.Inf(1)
	for i := range cs {
		agg := aggregate(cs[i].folds[from:to])
		viol[i] = obj.violation(&agg, pagesMargin(cs[i].folds[from:to]))
		minViol = math.Min(minViol, viol[i])
	}
	feasible := func(i int) bool { return viol[i] <= minViol+1e-9 }
	total := func(i int) float64 {
		s := 0.0
		for k := from; k < to; k++ {
			s += cs[i].folds[k].score(leadWindow)
		}
		return s
	}
	best := -1
	bestScore := math.Inf(-1)
	for i := range cs {
		if !feasible(i) {
			continue
		}
		s := total(i)
		if s > bestScore+1e-9 || math.Abs(s-bestScore) <= 1e-9 && best >= 0 && cs[i].distance < cs[best].distance {
			best, bestScore = i, s
		}
	}
	sel := selection{chosen: best, best: best, feasible: minViol == 0}
	d := make([]float64, n)
	for i := range cs {
		if !feasible(i) {
			continue
		}
		sum := 0.0
		for k := from; k < to; k++ {
			d[k-from] = cs[best].folds[k].score(leadWindow) - cs[i].folds[k].score(leadWindow)
			sum += d[k-from]
		}
		if i != best && !(sum < stdErrSum(d)) {
			continue
		}
		sel.withinNoise++
		if cs[i].distance < cs[sel.chosen].distance {
			sel.chosen = i
		}
	}
	return sel
}

// HorizonWeeks is the span, in weeks, over which a proposal's pages are
// to stay within the budget: the margin of the budget is one standard
// deviation of the difference between the mean over the weeks judged and
// the mean over the HorizonWeeks to come.
const HorizonWeeks = 4

// pagesMargin returns the budget's margin: the sample standard deviation
// of the weekly pages over folds times √(1/folds + 1/HorizonWeeks); 0
// for one fold.
func pagesMargin(fs []foldScore) float64 {
	if len(fs) < 2 {
		return 0
	}
	d := make([]float64, len(fs))
	for i := range fs {
		d[i] = fs[i].pagesPerWeek()
	}
	n := float64(len(fs))
	sd := stdErrSum(d) / math.Sqrt(n)
	return sd * math.Sqrt(1/n+1.0/HorizonWeeks)
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
