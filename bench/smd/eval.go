package smd

import (
	"math"
	"slices"

	"github.com/omenhq/omen/stats"
)

// Counts is an event-level evaluation.
type Counts struct {
	// Events is the number of labelled events and Caught how many hold a
	// flagged row.
	Events, Caught int
	// Alarms is the number of alarms (flagged rows merged when at most
	// the gap apart) and FalseAlarms how many overlap no labelled event.
	Alarms, FalseAlarms int
	// Flagged and TrueFlagged count flagged rows, and those inside events.
	Flagged, TrueFlagged int
	// Recall is Caught/Events; Precision TrueFlagged/Flagged; F1 their
	// harmonic mean (the composite F-score of Garg et al. 2021).
	Precision, Recall, F1 float64
}

// EventScores evaluates flags against labelled events (see the package
// doc): flagged rows at most mergeGap rows apart form one alarm.
func EventScores(flags []bool, events []Segment, mergeGap int) Counts {
	c := Counts{Events: len(events)}
	inEvent := make([]bool, len(flags))
	for _, e := range events {
		hit := false
		for i := e.Start; i < e.End && i < len(flags); i++ {
			inEvent[i] = true
			hit = hit || flags[i]
		}
		if hit {
			c.Caught++
		}
	}
	last := -1 << 40
	overlap := false
	for i, f := range flags {
		if !f {
			continue
		}
		c.Flagged++
		if inEvent[i] {
			c.TrueFlagged++
		}
		if i-last > mergeGap {
			if c.Alarms > 0 && !overlap {
				c.FalseAlarms++
			}
			c.Alarms++
			overlap = false
		}
		overlap = overlap || inEvent[i]
		last = i
	}
	if c.Alarms > 0 && !overlap {
		c.FalseAlarms++
	}
	if c.Flagged > 0 {
		c.Precision = float64(c.TrueFlagged) / float64(c.Flagged)
	}
	if c.Events > 0 {
		c.Recall = float64(c.Caught) / float64(c.Events)
	}
	c.F1 = f1(c.Precision, c.Recall)
	return c
}

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// PointF1 is the row-wise F1 of flags against labels; with adjust, every
// row of a labelled event counts as flagged when any of them is (the
// "point adjustment" of OmniAnomaly's eval_methods.py).
func PointF1(flags, labels []bool, adjust bool) float64 {
	f := flags
	if adjust {
		f = slices.Clone(flags)
		for _, e := range runs(labels) {
			hit := false
			for i := e.Start; i < e.End; i++ {
				hit = hit || f[i]
			}
			if hit {
				for i := e.Start; i < e.End; i++ {
					f[i] = true
				}
			}
		}
	}
	tp, fp, fn := 0, 0, 0
	for i := range f {
		switch {
		case f[i] && labels[i]:
			tp++
		case f[i]:
			fp++
		case labels[i]:
			fn++
		}
	}
	if tp == 0 {
		return 0
	}
	return f1(float64(tp)/float64(tp+fp), float64(tp)/float64(tp+fn))
}

// flagsAt returns score ≥ threshold per row.
func flagsAt(dst []bool, scores []float64, threshold float64) []bool {
	dst = dst[:0]
	for _, s := range scores {
		dst = append(dst, s >= threshold)
	}
	return dst
}

// bestThreshold returns the threshold with the best event F1 among the
// distinct score values (at most about 600 of them are tried: the 100
// largest and an even spread of the rest); ties go to the higher threshold.
func bestThreshold(scores []float64, events []Segment, mergeGap int) (float64, Counts) {
	u := slices.Clone(scores)
	u = slices.DeleteFunc(u, func(v float64) bool { return math.IsNaN(v) })
	slices.Sort(u)
	u = slices.Compact(u)
	slices.Reverse(u)
	var cand []float64
	step := max(1, len(u)/500)
	for i, v := range u {
		if i < 100 || i%step == 0 {
			cand = append(cand, v)
		}
	}
	best, bestC := math.Inf(1), Counts{}
	first := true
	var flags []bool
	for _, t := range cand {
		flags = flagsAt(flags, scores, t)
		c := EventScores(flags, events, mergeGap)
		if first || c.F1 > bestC.F1 {
			best, bestC, first = t, c, false
		}
	}
	return best, bestC
}

// quantile is the type-7 quantile of the finite values of x (stats.Quantile
// on a copy without NaN and ±Inf).
func quantile(x []float64, q float64) float64 {
	s := slices.DeleteFunc(slices.Clone(x), func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) })
	return stats.Quantile(s, q)
}
