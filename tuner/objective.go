package tuner

import (
	"slices"
	"time"

	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/stats"
)

// Objective is what the tuner optimises for one rule, and the constraints
// a choice must meet. The zero value maximises incidents caught with no
// paging budget and no constraint.
//
// Candidates are ranked lexicographically: first the constraints
// (MaxPagesPerWeek, MinPrecision, MinLead) must hold; then the most
// incidents caught by a page (an incident only a warning caught woke
// nobody), then the most incidents caught at all, then the longest lead
// time, then the fewest pages.
type Objective struct {
	// MaxPagesPerWeek is the paging budget of one rule: its pages per week
	// over the weeks judged, plus a margin so that the budget still holds
	// over the weeks to come (MarginZ standard deviations of the
	// difference between the weekly mean judged and that of the next
	// HorizonWeeks, the false pages' at least a Poisson count's), must not
	// exceed it. A rule that does not page (a warning) is held to it in
	// firings: they are its notifications. 0 means no budget.
	MaxPagesPerWeek float64
	// MaxPagesPerWeekTotal is the paging budget of the whole rule set
	// tuned; 0 means none. When the rules' choices exceed it, the rules
	// whose next quieter candidate costs least are made quieter in turn.
	MaxPagesPerWeekTotal float64
	// MinPrecision is the smallest share of firings that must match an
	// incident (a candidate that never fires meets it). 0 means none.
	MinPrecision float64
	// MinLead, when set, is the smallest median lead time (incident start
	// minus the earliest matching firing) a candidate that catches an
	// incident must have; negative allows firing after the start.
	MinLead *time.Duration
}

// The weights of score: each level outweighs everything below it on one
// rule in one week (fewer than 100 incidents caught a week, lead terms in
// [−1, 1] each, pages weighing a thousandth).
const (
	weightPaged  = 1e4
	weightCaught = 1e2
	weightPage   = 1e-3
)

// Score is the objective of one rule over a period as one number, higher
// better, with the order of Objective kept by weights: 10,000 per
// incident caught by a page, 100 per incident caught at all, for each
// caught incident its lead time over the lead window clamped to [−1, 1],
// minus a thousandth per page. The constraints are not in it. Tune
// compares candidates with it; benchmarks score rule sets with it.
func Score(paged, caught, pages int, leadSeconds []float64, leadWindow time.Duration) float64 {
	f := foldScore{Paged: paged, Caught: caught, Pages: pages, Leads: leadSeconds}
	return f.score(leadWindow)
}

// foldScore is what one variant of a rule did in one fold.
type foldScore struct {
	// Incidents counts the incidents that started in the fold; Caught
	// those a firing matched, Paged those a paging firing matched.
	Incidents, Caught, Paged int
	// Leads are the lead times in seconds of the caught incidents.
	Leads []float64
	// Firings, Pages and Matching count the firings that began in the
	// fold, those that page and those matching an incident.
	Firings, Pages, Matching int
	// Notices counts the firings the budget counts: the pages, or every
	// firing of a rule that does not page (a warning: its firings are its
	// notifications, and a budget on pages alone would let it fire all
	// day); FalseNotices those matching no incident; RepeatNotices those
	// matching only incidents an earlier notice of the same series
	// matched (a series firing again within one incident: what
	// keep_firing_for would merge).
	Notices, FalseNotices, RepeatNotices int
	// Weeks is the fold's length in weeks.
	Weeks float64
	// CaughtIDs are the caught incidents' ids, MissedIDs the others.
	CaughtIDs, MissedIDs []string
}

// score is the fold's objective as one number (higher is better), with
// the lexicographic order of Objective kept by the weights.
func (f *foldScore) score(leadWindow time.Duration) float64 {
	s := weightPaged*float64(f.Paged) + weightCaught*float64(f.Caught) - weightPage*float64(f.Pages)
	for _, l := range f.Leads {
		s += leadTerm(l, leadWindow)
	}
	return s
}

// aggregate sums folds into one score over their union.
func aggregate(fs []foldScore) foldScore {
	var out foldScore
	for i := range fs {
		f := &fs[i]
		out.Incidents += f.Incidents
		out.Caught += f.Caught
		out.Paged += f.Paged
		out.Leads = append(out.Leads, f.Leads...)
		out.Firings += f.Firings
		out.Pages += f.Pages
		out.Matching += f.Matching
		out.Notices += f.Notices
		out.FalseNotices += f.FalseNotices
		out.RepeatNotices += f.RepeatNotices
		out.Weeks += f.Weeks
		out.CaughtIDs = append(out.CaughtIDs, f.CaughtIDs...)
		out.MissedIDs = append(out.MissedIDs, f.MissedIDs...)
	}
	return out
}

// pagesPerWeek returns Pages per week of the folds.
func (f *foldScore) pagesPerWeek() float64 {
	if f.Weeks <= 0 {
		return 0
	}
	return float64(f.Pages) / f.Weeks
}

// noticesPerWeek returns Notices per week of the folds: what the budget
// holds.
func (f *foldScore) noticesPerWeek() float64 {
	if f.Weeks <= 0 {
		return 0
	}
	return float64(f.Notices) / f.Weeks
}

// precision returns Matching / Firings, nil without firings.
func (f *foldScore) precision() *float64 {
	if f.Firings == 0 {
		return nil
	}
	p := float64(f.Matching) / float64(f.Firings)
	return &p
}

// medianLead returns the median lead in seconds, nil without catches.
func (f *foldScore) medianLead() *float64 {
	if len(f.Leads) == 0 {
		return nil
	}
	m := stats.Median(slices.Clone(f.Leads))
	return &m
}

// violation is how far an aggregate misses the constraints: 0 when it
// meets them all; otherwise the pages per week over the budget plus one
// for each other constraint missed. margin is added to the pages per week
// before they are compared with the budget.
func (o Objective) violation(f *foldScore, margin float64) float64 {
	v := 0.0
	if o.MaxPagesPerWeek > 0 {
		if over := f.noticesPerWeek() + margin - o.MaxPagesPerWeek; over > 1e-9 {
			v += over
		}
	}
	if p := f.precision(); o.MinPrecision > 0 && p != nil && *p < o.MinPrecision {
		v += 1
	}
	if m := f.medianLead(); o.MinLead != nil && m != nil && *m < o.MinLead.Seconds() {
		v += 1
	}
	return v
}

// scorer scores variants of one rule against the incidents, fold by fold.
type scorer struct {
	rule       Rule
	incidents  []pir.Incident // counted over the whole range, in start order
	folds      []fold
	incFold    []int // fold of each incident, -1 outside every fold
	leadWindow time.Duration
	severities []string
	// pages reports whether the rule pages (its severity, or none, is a
	// paging one): when it does not, the budget counts its firings.
	pages bool
}

func newScorer(r Rule, incs []pir.Incident, folds []fold, leadWindow time.Duration, severities []string) *scorer {
	s := &scorer{rule: r, incidents: incs, folds: folds, leadWindow: leadWindow, severities: severities}
	s.pages = pir.Pages(&pir.Firing{Labels: series.FromMap(r.Labels)}, r.Labels, severities)
	s.incFold = make([]int, len(incs))
	for i := range incs {
		s.incFold[i] = foldOf(folds, incs[i].StartedAt)
	}
	return s
}

// score returns the per-fold scores of the firings fs (of the rule, or of
// the part of it keep accepts: nil keeps every firing and incident).
func (s *scorer) score(fs []pir.Firing, keep func(pir.Firing) bool, keepIncident func(*pir.Incident) bool) []foldScore {
	out := make([]foldScore, len(s.folds))
	for k, f := range s.folds {
		out[k].Weeks = f.End.Sub(f.Start).Hours() / (7 * 24)
	}
	earliest := make([]time.Time, len(s.incidents))
	paged := make([]bool, len(s.incidents))
	// noticed holds the (incident, series) pairs a notice matched, for
	// the repeats; made at the first match.
	type pair struct {
		incident int
		series   uint64
	}
	var noticed map[pair]bool
	for i := range fs {
		f := &fs[i]
		if keep != nil && !keep(*f) {
			continue
		}
		k := foldOf(s.folds, f.FiringAt)
		page := pir.Pages(f, s.rule.Labels, s.severities)
		notice := page || !s.pages
		matched, repeat := false, true
		var fp uint64 // the series' fingerprint, at its first match
		for j := range s.incidents {
			in := &s.incidents[j]
			if s.incFold[j] < 0 || (keepIncident != nil && !keepIncident(in)) {
				continue
			}
			if !pir.Matches(in, f.FiringAt, f.Labels, s.leadWindow) {
				continue
			}
			if notice {
				if noticed == nil {
					noticed = map[pair]bool{}
				}
				if !matched {
					fp = f.Labels.Fingerprint()
				}
				key := pair{j, fp}
				repeat = repeat && noticed[key]
				noticed[key] = true
			}
			matched = true
			if earliest[j].IsZero() || f.FiringAt.Before(earliest[j]) {
				earliest[j] = f.FiringAt
			}
			if page {
				paged[j] = true
			}
		}
		if k < 0 {
			continue
		}
		out[k].Firings++
		if page {
			out[k].Pages++
		}
		if notice {
			out[k].Notices++
			if !matched {
				out[k].FalseNotices++
			} else if repeat {
				out[k].RepeatNotices++
			}
		}
		if matched {
			out[k].Matching++
		}
	}
	for j := range s.incidents {
		k := s.incFold[j]
		if k < 0 || (keepIncident != nil && !keepIncident(&s.incidents[j])) {
			continue
		}
		o := &out[k]
		o.Incidents++
		if earliest[j].IsZero() {
			o.MissedIDs = append(o.MissedIDs, s.incidents[j].ID)
			continue
		}
		o.Caught++
		o.CaughtIDs = append(o.CaughtIDs, s.incidents[j].ID)
		o.Leads = append(o.Leads, s.incidents[j].StartedAt.Sub(earliest[j]).Seconds())
		if paged[j] {
			o.Paged++
		}
	}
	return out
}
