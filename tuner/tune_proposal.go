package tuner

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/omenhq/omen/pir"
)

// proposal builds the proposal of a rule whose chosen candidate differs
// from the rule as written.
func (o *ruleOutcome) proposal(cfg TuneConfig, incs []pir.Incident) Proposal {
	r := o.rule
	orig, ch := &o.cands[o.orig], &o.cands[o.chosen]
	p := Proposal{File: r.File, Group: r.Group, Alert: r.Alert, Labels: pickLabels(r, cfg.Rules)}
	v0, v1 := orig.variant, ch.variant
	if v1.Threshold != nil && v0.Threshold != nil && *v1.Threshold != *v0.Threshold {
		p.Changes = append(p.Changes, FieldChange{Field: "threshold", From: NumberValue(*v0.Threshold), To: NumberValue(*v1.Threshold)})
	}
	if v1.For != v0.For {
		from := DurationValue(v0.For)
		if r.For == "" {
			from = Value{}
		}
		p.Changes = append(p.Changes, FieldChange{Field: "for", From: from, To: DurationValue(v1.For)})
	}
	if v1.KeepFiringFor != v0.KeepFiringFor {
		from := DurationValue(v0.KeepFiringFor)
		if r.KeepFiringFor == "" {
			from = Value{}
		}
		p.Changes = append(p.Changes, FieldChange{Field: "keep_firing_for", From: from, To: DurationValue(v1.KeepFiringFor)})
	}
	b, a := aggregate(orig.folds), aggregate(ch.folds)
	p.Before = metricsOf(v0, &b, cfg.Start, cfg.End)
	p.After = metricsOf(v1, &a, cfg.Start, cfg.End)
	p.Validation = o.validation(cfg)
	p.Why = o.why(cfg, &b, &a)
	for _, in := range incs {
		if slices.Contains(a.CaughtIDs, in.ID) || slices.Contains(b.CaughtIDs, in.ID) {
			p.Incidents = append(p.Incidents, ProposalIncident{ID: in.ID, Title: in.Title, URL: in.URL, Start: rfc3339(in.StartedAt)})
		}
	}
	return p
}

// pickLabels returns the labels that tell r from other rules of the same
// file, group and name (a warning and a critical HighErrorRate); nil when
// it is the only one.
func pickLabels(r Rule, all []Rule) map[string]string {
	same := 0
	for _, x := range all {
		if x.File == r.File && x.Group == r.Group && x.Alert == r.Alert {
			same++
		}
	}
	if same <= 1 {
		return nil
	}
	return r.Labels
}

func fptr(x float64) *float64 { return &x }

// metricsOf writes a variant's aggregate over some folds as the
// proposal's metrics.
func metricsOf(v Variant, f *foldScore, start, end time.Time) *ProposalMetrics {
	m := &ProposalMetrics{
		Threshold: v.Threshold, ForSeconds: fptr(v.For.Seconds()),
		Firings: fptr(float64(f.Firings)), Pages: fptr(float64(f.Pages)), PagesPerWeek: fptr(round3(f.pagesPerWeek())),
		Caught: ListIDs(slices.Clone(f.CaughtIDs)), Missed: ListIDs(slices.Clone(f.MissedIDs)),
		Precision: f.precision(), LeadSecondsMedian: f.medianLead(),
		Start: rfc3339(start), End: rfc3339(end),
	}
	if f.Incidents > 0 {
		m.Recall = fptr(float64(f.Caught) / float64(f.Incidents))
		m.PageRecall = fptr(float64(f.Paged) / float64(f.Incidents))
	}
	return m
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// validation returns the per-fold metrics of the forward validation.
func (o *ruleOutcome) validation(cfg TuneConfig) *Validation {
	if len(o.valid.folds) == 0 {
		return nil
	}
	folds := weeklyFolds(cfg.Start, cfg.End, cfg.FoldLength)
	val := &Validation{Method: fmt.Sprintf("forward chaining over %d folds of %s: each fold judged with the choice made on the folds before it (the first %d for training only)",
		len(folds), FormatDuration(cfg.FoldLength), cfg.MinTrainFolds)}
	var pages, recalls, leads []float64
	for i, k := range o.valid.folds {
		fb, fa := o.cands[o.orig].folds[k], o.cands[o.valid.after[i]].folds[k]
		end := folds[k].End
		if end.After(cfg.End) {
			end = cfg.End
		}
		val.Folds = append(val.Folds, Fold{
			Start: rfc3339(folds[k].Start), End: rfc3339(end),
			Before: metricsOf(o.cands[o.orig].variant, &fb, folds[k].Start, end),
			After:  metricsOf(o.cands[o.valid.after[i]].variant, &fa, folds[k].Start, end),
		})
		pages = append(pages, fa.pagesPerWeek())
		if fa.Incidents > 0 {
			recalls = append(recalls, float64(fa.Caught)/float64(fa.Incidents))
		}
		if m := fa.medianLead(); m != nil {
			leads = append(leads, *m)
		}
	}
	vb, va := o.validationScores()
	first, last := folds[o.valid.folds[0]].Start, cfg.End
	val.Before = metricsOf(o.cands[o.orig].variant, &vb, first, last)
	val.After = metricsOf(o.cands[o.chosen].variant, &va, first, last)
	val.After.Threshold, val.After.ForSeconds = nil, nil // the choices vary by fold
	val.Spread = &Spread{PagesPerWeek: rangeOf(pages)}
	if len(recalls) > 0 {
		r := rangeOf(recalls)
		val.Spread.Recall = &r
	}
	if len(leads) > 0 {
		r := rangeOf(leads)
		val.Spread.LeadSecondsMedian = &r
	}
	return val
}

func rangeOf(xs []float64) Range {
	if len(xs) == 0 {
		return Range{}
	}
	r := Range{Min: slices.Min(xs), Max: slices.Max(xs)}
	if len(xs) > 1 {
		mean := 0.0
		for _, x := range xs {
			mean += x
		}
		mean /= float64(len(xs))
		ss := 0.0
		for _, x := range xs {
			ss += (x - mean) * (x - mean)
		}
		r.SD = round3(math.Sqrt(ss / float64(len(xs)-1)))
	}
	r.Min, r.Max = round3(r.Min), round3(r.Max)
	return r
}

// why says in words what the proposal changes: pages before and after,
// the incidents still caught, newly caught or lost, lead times gained,
// and the validation's verdict.
func (o *ruleOutcome) why(cfg TuneConfig, b, a *foldScore) string {
	var parts []string
	if o.warning {
		parts = append(parts, fmt.Sprintf("firings %s/week → %s/week (it does not page: its firings are held to the budget)", fmtRate(b.noticesPerWeek()), fmtRate(a.noticesPerWeek())))
	} else {
		parts = append(parts, fmt.Sprintf("pages %s/week → %s/week", fmtRate(b.pagesPerWeek()), fmtRate(a.pagesPerWeek())))
	}
	var kept, gained, lost []string
	for _, id := range a.CaughtIDs {
		if slices.Contains(b.CaughtIDs, id) {
			kept = append(kept, id)
		} else {
			gained = append(gained, id)
		}
	}
	for _, id := range b.CaughtIDs {
		if !slices.Contains(a.CaughtIDs, id) {
			lost = append(lost, id)
		}
	}
	if len(kept) > 0 {
		parts = append(parts, "still caught "+listIDs(kept))
	}
	if len(gained) > 0 {
		parts = append(parts, "newly caught "+listIDs(gained))
	}
	if len(lost) > 0 {
		parts = append(parts, "no longer caught "+listIDs(lost))
	}
	// Lead time per incident caught by both.
	leadOf := func(f *foldScore) map[string]float64 {
		m := map[string]float64{}
		for i, id := range f.CaughtIDs {
			m[id] = f.Leads[i]
		}
		return m
	}
	lb, la := leadOf(b), leadOf(a)
	var moved []string
	for _, id := range kept {
		if d := la[id] - lb[id]; math.Abs(d) >= 60 {
			dir := "earlier"
			if d < 0 {
				dir = "later"
			}
			moved = append(moved, fmt.Sprintf("%s caught %s %s", id, FormatDuration(time.Duration(math.Abs(d))*time.Second), dir))
		}
	}
	if len(moved) <= 3 {
		parts = append(parts, moved...)
	} else if mb, ma := b.medianLead(), a.medianLead(); mb != nil && ma != nil {
		parts = append(parts, fmt.Sprintf("median lead %s → %s", fmtLead(*mb), fmtLead(*ma)))
	}
	if obj := cfg.Objective; obj.MaxPagesPerWeek > 0 && b.noticesPerWeek() > obj.MaxPagesPerWeek {
		parts = append(parts, fmt.Sprintf("the budget is %s/week", fmtRate(obj.MaxPagesPerWeek)))
	}
	if note := o.marginCost(cfg, a, lost); note != "" {
		parts = append(parts, note)
	}
	if note := repeatNote(cfg, a, o.warning); note != "" {
		parts = append(parts, note)
	}
	if o.quieterForRest {
		parts = append(parts, fmt.Sprintf("made quieter for the rule set's budget of %s/week", fmtRate(cfg.Objective.MaxPagesPerWeekTotal)))
	}
	if len(o.valid.folds) > 0 {
		vb, va := o.validationScores()
		parts = append(parts, fmt.Sprintf("on %d validation folds: caught %d → %d of %d, pages %s → %s/week",
			len(o.valid.folds), vb.Caught, va.Caught, va.Incidents, fmtRate(vb.pagesPerWeek()), fmtRate(va.pagesPerWeek())))
	}
	if o.thresholdNote != "" {
		parts = append(parts, o.thresholdNote)
	}
	return strings.Join(parts, "; ")
}

// marginCost says, when the proposal no longer catches incidents that
// another candidate still catches within the budget itself (over the
// weeks tuned on, without the margin kept for the weeks to come), which
// candidate that is and what it pages: the choice between the margin and
// those incidents is then the on-call's to make (a higher budget, or a
// rule paging once per incident rather than once per series). Empty when
// no candidate within the budget catches any of lost besides what a does.
func (o *ruleOutcome) marginCost(cfg TuneConfig, a *foldScore, lost []string) string {
	budget := cfg.Objective.MaxPagesPerWeek
	if budget <= 0 || len(lost) == 0 {
		return ""
	}
	best, bestGain := -1, 0
	var bestPages float64
	var bestIDs []string
	for i := range o.cands {
		c := aggregate(o.cands[i].folds)
		if c.noticesPerWeek() > budget+1e-9 || !containsAll(c.CaughtIDs, a.CaughtIDs) {
			continue
		}
		var ids []string
		for _, id := range lost {
			if slices.Contains(c.CaughtIDs, id) {
				ids = append(ids, id)
			}
		}
		p := c.noticesPerWeek()
		if len(ids) > bestGain || len(ids) == bestGain && best >= 0 && (p < bestPages || p == bestPages && o.cands[i].distance < o.cands[best].distance) {
			best, bestGain, bestPages, bestIDs = i, len(ids), p, ids
		}
	}
	if best < 0 {
		return ""
	}
	what := "pages"
	if o.warning {
		what = "firings"
	}
	return fmt.Sprintf("%s would still catch %s at %s %s/week, within the budget on the weeks tuned on but not with its margin for the weeks to come",
		variantText(o.cands[best].variant), listIDs(bestIDs), fmtRate(bestPages), what)
}

// repeatNote says, when a quarter or more of the proposal's notices (and
// at least 2) are a series firing again within an incident it already
// notified, that keep_firing_for would merge them, unless keep_firing_for
// is searched already. The tuner does not search it by default: not every
// rule engine reads it (vmalert before 1.91 refuses the rule file).
func repeatNote(cfg TuneConfig, a *foldScore, warning bool) string {
	if cfg.KeepFiringFors != nil || a.RepeatNotices < 2 || 4*a.RepeatNotices < a.Notices {
		return ""
	}
	what := "pages"
	if warning {
		what = "firings"
	}
	return fmt.Sprintf("%d of its %d %s are a series firing again within an incident it already notified: keep_firing_for would merge them where the rule engine reads it (Prometheus 2.42+, vmalert 1.91+; --keep-firing-for 5m,10m,15m searches it)",
		a.RepeatNotices, a.Notices, what)
}

// containsAll reports whether every id of sub is in set.
func containsAll(set, sub []string) bool {
	for _, id := range sub {
		if !slices.Contains(set, id) {
			return false
		}
	}
	return true
}

// variantText names a candidate by its values: "threshold 0.03, for 10m".
func variantText(v Variant) string {
	var parts []string
	if v.Threshold != nil {
		parts = append(parts, "threshold "+FormatNumber(*v.Threshold))
	}
	parts = append(parts, "for "+FormatDuration(v.For))
	if v.KeepFiringFor > 0 {
		parts = append(parts, "keep_firing_for "+FormatDuration(v.KeepFiringFor))
	}
	return strings.Join(parts, ", ")
}

func fmtRate(x float64) string {
	if x >= 10 {
		return fmt.Sprintf("%.0f", x)
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", x), ".0")
}

// fmtLead writes a lead time in seconds: "12m before", "3m after".
func fmtLead(s float64) string {
	d := FormatDuration(time.Duration(math.Abs(math.Round(s))) * time.Second)
	if s < 0 {
		return d + " after the start"
	}
	return d + " before"
}

func listIDs(ids []string) string {
	if len(ids) > 6 {
		return strings.Join(ids[:6], ", ") + fmt.Sprintf(" and %d more", len(ids)-6)
	}
	return strings.Join(ids, ", ")
}
