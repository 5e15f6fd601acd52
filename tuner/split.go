package tuner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/VictoriaMetrics/metricsql"

	"github.com/omenhq/omen/pir"
)

// SplitProposal proposes per-group thresholds for one rule: an added
// rule for the series with Label = Value, and the original rule
// excluding them. It changes the rule file's structure, so it is made
// only when asked (TuneConfig.Split) and only when the split wins on the
// validation folds by more than noise.
type SplitProposal struct {
	File  string `json:"file"`
	Group string `json:"group"`
	Alert string `json:"alert"`
	// Label and Value pick the series that get their own rule.
	Label string `json:"label"`
	Value string `json:"value"`
	// Added is the new rule for Label = Value, Rest the original rule
	// with Label != Value.
	Added SplitRule `json:"added"`
	Rest  SplitRule `json:"rest"`
	// Validation compares the rule tuned as one (Before) with the split
	// (After) over the validation folds.
	Validation *Validation `json:"validation"`
	// Why says the reason in words.
	Why string `json:"why"`
}

// SplitRule is one side of a split: its threshold, `for` and expression.
type SplitRule struct {
	Threshold  *float64 `json:"threshold,omitempty"`
	ForSeconds float64  `json:"for_seconds"`
	For        string   `json:"for"`
	Expr       string   `json:"expr"`
}

// splitLabels returns the labels a split may be by, with their values:
// the label asked, or with "auto" every label of the rule's firings
// (alertname, the rule's own labels aside) with 2 to MaxSplitValues
// values.
func (o *ruleOutcome) splitLabels(want string) map[string][]string {
	values := map[string][]string{}
	for i := range o.cands {
		for _, f := range o.cands[i].variant.Firings {
			for _, l := range f.Labels {
				if l.Name == "alertname" || l.Name == "__name__" {
					continue
				}
				if _, own := o.rule.Labels[l.Name]; own {
					continue
				}
				if want != "auto" && l.Name != want {
					continue
				}
				if !slices.Contains(values[l.Name], l.Value) && len(values[l.Name]) <= MaxSplitValues {
					values[l.Name] = append(values[l.Name], l.Value)
				}
			}
		}
	}
	for k, vs := range values {
		if len(vs) < 2 || len(vs) > MaxSplitValues {
			delete(values, k)
		} else {
			slices.Sort(vs)
		}
	}
	return values
}

// findSplit looks for the label value whose series, given a rule of
// their own, make the pair do better on the validation folds than the
// rule tuned as one: the split's per-fold score minus the unsplit's must
// sum to more than zero and more than its standard error.
func (o *ruleOutcome) findSplit(sc *scorer, cfg TuneConfig) *SplitProposal {
	if o.rule.Threshold == nil || len(o.valid.folds) < 2 {
		return nil
	}
	nf := len(o.cands[0].folds)
	unsplit := make([]float64, len(o.valid.folds))
	for i, k := range o.valid.folds {
		unsplit[i] = o.cands[o.valid.after[i]].folds[k].score(o.leadWindow)
	}
	var best *SplitProposal
	bestGain := 0.0
	for label, vals := range o.splitLabels(cfg.Split) {
		for _, val := range vals {
			in := func(f pir.Firing) bool { return f.Labels.Get(label) == val }
			out := func(f pir.Firing) bool { return f.Labels.Get(label) != val }
			// The rest keeps the rule's guardrails; the group gets its own:
			// anywhere in its range on the firing side of its median.
			gst, ok := o.groups[label+"\x00"+val]
			var ins []candidate
			outs := make([]candidate, len(o.cands))
			for i, c := range append(slices.Clone(o.cands), o.groupOnly...) {
				if i < len(o.cands) {
					outs[i] = c
					outs[i].folds = sc.score(c.variant.Firings, out, nil)
				}
				if ok && c.variant.Threshold != nil && !groupSide(*c.variant.Threshold, o.rule.Threshold.Op, gst) && !c.original {
					continue
				}
				c.folds = sc.score(c.variant.Firings, in, nil)
				ins = append(ins, c)
			}
			vi := validate(ins, nf, cfg.MinTrainFolds, cfg.Objective, o.leadWindow)
			vo := validate(outs, nf, cfg.MinTrainFolds, cfg.Objective, o.leadWindow)
			d := make([]float64, len(o.valid.folds))
			gain := 0.0
			for i, k := range o.valid.folds {
				split := ins[vi.after[i]].folds[k].score(o.leadWindow) + outs[vo.after[i]].folds[k].score(o.leadWindow)
				d[i] = split - unsplit[i]
				gain += d[i]
			}
			if gain <= 1e-9 || gain < stdErrSum(d) || gain <= bestGain {
				continue
			}
			si := choose(ins, 0, nf, cfg.Objective, o.leadWindow)
			so := choose(outs, 0, nf, cfg.Objective, o.leadWindow)
			if sameVariant(ins[si.chosen].variant, outs[so.chosen].variant) {
				continue
			}
			sp := o.splitProposal(label, val, ins[si.chosen].variant, outs[so.chosen].variant)
			if sp == nil {
				continue
			}
			var bs, as []foldScore
			for i, k := range o.valid.folds {
				bs = append(bs, o.cands[o.valid.after[i]].folds[k])
				a := ins[vi.after[i]].folds[k]
				b := outs[vo.after[i]].folds[k]
				// The incidents are those of the rule as a whole: an
				// incident caught by either side is caught.
				as = append(as, mergeFolds(a, b))
			}
			vb, va := aggregate(bs), aggregate(as)
			sp.Validation = &Validation{
				Method: "forward chaining as for the rule's proposal; before is the rule tuned as one, after the two rules tuned apart",
				Before: metricsOf(o.cands[o.chosen].variant, &vb, cfg.Start, cfg.End),
				After:  metricsOf(Variant{}, &va, cfg.Start, cfg.End),
			}
			sp.Validation.After.Threshold, sp.Validation.After.ForSeconds = nil, nil
			sp.Why = fmt.Sprintf("one threshold does not fit %s=%q and the other %s values: on %d validation folds the split catches %d (%d paged) with %s pages/week, the rule tuned as one %d (%d paged) with %s",
				label, val, label, len(o.valid.folds), va.Caught, va.Paged, fmtRate(va.pagesPerWeek()), vb.Caught, vb.Paged, fmtRate(vb.pagesPerWeek()))
			best, bestGain = sp, gain
		}
	}
	return best
}

// mergeFolds joins the scores of the two sides of a split on one fold:
// firings and pages add up; an incident caught by either is caught once,
// with the earlier lead.
func mergeFolds(a, b foldScore) foldScore {
	out := foldScore{Weeks: a.Weeks, Incidents: a.Incidents, Firings: a.Firings + b.Firings, Pages: a.Pages + b.Pages, Matching: a.Matching + b.Matching, Notices: a.Notices + b.Notices, FalseNotices: a.FalseNotices + b.FalseNotices}
	lead := map[string]float64{}
	for i, id := range a.CaughtIDs {
		lead[id] = a.Leads[i]
	}
	for i, id := range b.CaughtIDs {
		if l, ok := lead[id]; !ok || b.Leads[i] > l {
			lead[id] = b.Leads[i]
		}
	}
	for _, id := range slices.Concat(a.CaughtIDs, a.MissedIDs) {
		if l, ok := lead[id]; ok {
			if !slices.Contains(out.CaughtIDs, id) {
				out.CaughtIDs = append(out.CaughtIDs, id)
				out.Leads = append(out.Leads, l)
			}
		} else if !slices.Contains(out.MissedIDs, id) {
			out.MissedIDs = append(out.MissedIDs, id)
		}
	}
	out.Caught = len(out.CaughtIDs)
	// The sides page for disjoint series: an incident paged by both is
	// one only when it has no label telling them apart.
	out.Paged = min(a.Paged+b.Paged, out.Caught)
	return out
}

// splitProposal writes the two rules of a split; nil when the
// expression cannot be given the matcher.
func (o *ruleOutcome) splitProposal(label, val string, in, out Variant) *SplitProposal {
	r := o.rule
	added, err1 := withMatcher(exprWith(r, in.Threshold), label, val, false)
	rest, err2 := withMatcher(exprWith(r, out.Threshold), label, val, true)
	if err1 != nil || err2 != nil {
		return nil
	}
	return &SplitProposal{
		File: r.File, Group: r.Group, Alert: r.Alert, Label: label, Value: val,
		Added: SplitRule{Threshold: in.Threshold, ForSeconds: in.For.Seconds(), For: FormatDuration(in.For), Expr: added},
		Rest:  SplitRule{Threshold: out.Threshold, ForSeconds: out.For.Seconds(), For: FormatDuration(out.For), Expr: rest},
	}
}

// exprWith returns r's expression with its threshold set to x.
func exprWith(r Rule, x *float64) string {
	th := r.Threshold
	if x == nil || th == nil {
		return r.Expr
	}
	return r.Expr[:th.Offset] + FormatNumber(*x) + r.Expr[th.Offset+len(th.Text):]
}

// withMatcher adds label="val" (label!="val" when negative) to every
// series selector of expr and prints the result.
func withMatcher(expr, label, val string, negative bool) (string, error) {
	e, err := metricsql.Parse(expr)
	if err != nil {
		return "", err
	}
	metricsql.VisitAll(e, func(x metricsql.Expr) {
		me, ok := x.(*metricsql.MetricExpr)
		if !ok {
			return
		}
		if len(me.LabelFilterss) == 0 {
			me.LabelFilterss = [][]metricsql.LabelFilter{nil}
		}
		for i := range me.LabelFilterss {
			me.LabelFilterss[i] = append(me.LabelFilterss[i], metricsql.LabelFilter{Label: label, Value: val, IsNegative: negative})
		}
	})
	s := string(e.AppendString(nil))
	if !strings.Contains(s, label) {
		return "", fmt.Errorf("tuner: %q has no series selector to split by %s", expr, label)
	}
	return s, nil
}
