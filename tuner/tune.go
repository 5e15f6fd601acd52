package tuner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/stats"
)

// TuneConfig configures Tune. Start and End (in ReplayConfig) are
// required; every other field has a useful zero value.
type TuneConfig struct {
	ReplayConfig
	// Incidents are the incidents the rules are judged against; those
	// whose start lies in [Start, End] count (drills only with
	// IncludeDrills).
	Incidents     []pir.Incident
	IncludeDrills bool
	// LeadWindow is how long before an incident's start a firing still
	// matches it. Default pir.DefaultLeadWindow (6h).
	LeadWindow time.Duration
	// Measure sets which severities page, the night's time zone and the
	// flap window, as for WhatIf.
	Measure MeasureConfig
	// Objective is what is optimised and the constraints (the paging
	// budget).
	Objective Objective
	// Guardrails bound the proposals.
	Guardrails Guardrails
	// Fors are the `for` durations tried besides the rule's own; nil
	// means DefaultFors. KeepFiringFors are the keep_firing_for durations
	// tried besides the rule's own; nil tries only the rule's own.
	Fors           []time.Duration
	KeepFiringFors []time.Duration
	// FoldLength is the length of the validation folds. Default
	// DefaultFoldLength (a week).
	FoldLength time.Duration
	// MinTrainFolds is the number of folds the first validation choice is
	// made on. Default half the folds, at least DefaultMinTrainFolds (2).
	MinTrainFolds int
	// Split, when set, looks for per-group thresholds: "auto" tries every
	// label of the signal's series with 2 to MaxSplitValues values; a
	// label name tries that label. Splits change a rule's structure, so
	// they are only proposed when asked. Default "" (none).
	Split string
	// Extra, when set, is asked for further proposals on the same rules
	// and range after the thresholds and durations are tuned: the hook for
	// proposals of another kind (predictive rules replacing predict_linear
	// rules, issue 12 item 5). Its proposals and skipped rules are added
	// to the result as they are.
	Extra func(ctx context.Context, q Querier, rules []Rule, cfg TuneConfig) ([]Proposal, []Skipped, error)
	// InSample chooses the best candidate on the whole range, with no
	// folds, no preference for the rule as written and no validation:
	// the choice made with hindsight, which benchmarks compare the tuner
	// with. It is not for proposals: it overfits by design.
	InSample bool
	// Progress, when set, is called after each rule is tuned with the
	// number done and the number in all.
	Progress func(done, total int)
}

// MaxSplitValues bounds the values of a label "auto" splits by.
const MaxSplitValues = 8

func (c TuneConfig) withDefaults() TuneConfig {
	c.ReplayConfig = c.ReplayConfig.withDefaults()
	if c.LeadWindow <= 0 {
		c.LeadWindow = pir.DefaultLeadWindow
	}
	if len(c.Measure.PageSeverities) == 0 {
		c.Measure.PageSeverities = pir.DefaultPageSeverities
	}
	if c.FoldLength <= 0 {
		c.FoldLength = DefaultFoldLength
	}
	c.Guardrails = c.Guardrails.withDefaults()
	return c
}

// TuneResult is what Tune proposes.
type TuneResult struct {
	Start, End time.Time
	// Proposals change rules' thresholds, `for` and keep_firing_for, one
	// proposal a rule.
	Proposals []Proposal
	// Skipped are the rules left alone, with the reason.
	Skipped []Skipped
	// Splits are the per-group thresholds found (only with
	// TuneConfig.Split).
	Splits []SplitProposal
	// Incidents are the incidents the proposals name.
	Incidents []ProposalIncident
	// Folds is the number of validation folds and Queries the number of
	// query_range requests made.
	Folds   int
	Queries int
	// Warnings are the what-if's warnings, prefixed with the rule.
	Warnings []string
}

// File returns the result as the proposals JSON `omen pr` reads.
func (r *TuneResult) File() ProposalFile {
	f := ProposalFile{Proposals: r.Proposals, Skipped: r.Skipped, Start: rfc3339(r.Start), End: rfc3339(r.End), Incidents: r.Incidents}
	if f.Proposals == nil {
		f.Proposals = []Proposal{}
	}
	if f.Skipped == nil {
		f.Skipped = []Skipped{}
	}
	return f
}

// ErrNoRules is returned when Tune is given no alerting rule.
var ErrNoRules = errors.New("tuner: no alerting rule to tune")

// Tune chooses, for each alerting rule of rules, the threshold and `for`
// (and keep_firing_for when asked) that serve the objective best over
// [Start, End], judged against the incidents, and proposes it when it
// differs from the rule as written.
//
// Every candidate within the guardrails is evaluated with the what-if
// engine's one-query sweep. The range is cut into folds (weeks); the
// choice is the candidate closest to the rule as written among those
// within noise of the best on all folds (see Objective for the order,
// choose for noise). It is validated forward: for each fold from the
// third on, the choice made on the folds before it is judged on it beside
// the rule as written; a proposal whose choice did worse there than the
// rule as written is not made. Each proposal carries its metrics over the
// range (in-sample) and per validation fold (out of sample), with their
// spread.
//
// A rule is left alone, and listed in Skipped with the reason, when it
// carries omen_tune: "false", its expression does not parse, there is not
// enough evidence (Guardrails.MinIncidents, MinHistory), or no candidate
// does better than the rule as written. A rule is never removed or
// disabled; without Split, a proposal changes only numbers and
// durations.
func Tune(ctx context.Context, q Querier, rules []Rule, cfg TuneConfig) (*TuneResult, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if cfg.Rules == nil {
		cfg.Rules = rules
	}
	if cfg.Split != "" && cfg.Split != "auto" && !isLabelName(cfg.Split) {
		return nil, fmt.Errorf("tuner: split %q: want auto or a label name", cfg.Split)
	}
	var alerts []Rule
	for _, r := range rules {
		if r.IsAlert() {
			alerts = append(alerts, r)
		}
	}
	if len(alerts) == 0 {
		return nil, ErrNoRules
	}
	folds := weeklyFolds(cfg.Start, cfg.End, cfg.FoldLength)
	if cfg.MinTrainFolds <= 0 {
		cfg.MinTrainFolds = max(DefaultMinTrainFolds, len(folds)/2)
	}
	incs := pir.Counted(cfg.Incidents, cfg.Start, cfg.End, cfg.IncludeDrills)
	res := &TuneResult{Start: cfg.Start, End: cfg.End, Folds: max(len(folds)-cfg.MinTrainFolds, 0)}

	outs := make([]ruleOutcome, len(alerts))
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	sem := make(chan struct{}, cfg.Concurrency)
	for i := range alerts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				outs[i].err = ctx.Err()
				return
			}
			outs[i] = tuneRule(ctx, q, alerts[i], incs, folds, cfg)
			if cfg.Progress != nil {
				mu.Lock()
				done++
				cfg.Progress(done, len(alerts))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if cfg.Objective.MaxPagesPerWeekTotal > 0 {
		fitTotalBudget(outs, cfg)
	}
	named := map[string]bool{}
	for i := range outs {
		o := &outs[i]
		res.Queries += o.queries
		for _, w := range o.warnings {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %s", ruleWhere(o.rule), w))
		}
		if o.err != nil {
			res.Skipped = append(res.Skipped, skippedOf(o.rule, "could not be evaluated: "+o.err.Error()))
			continue
		}
		if o.skip != "" {
			res.Skipped = append(res.Skipped, skippedOf(o.rule, o.skip))
			continue
		}
		p := o.proposal(cfg, incs)
		res.Proposals = append(res.Proposals, p)
		for _, id := range slices.Concat(p.After.Caught.List, p.Before.Caught.List) {
			named[id] = true
		}
		if o.split != nil {
			res.Splits = append(res.Splits, *o.split)
		}
	}
	for _, in := range incs {
		if named[in.ID] {
			res.Incidents = append(res.Incidents, ProposalIncident{ID: in.ID, Title: in.Title, URL: in.URL, Start: rfc3339(in.StartedAt)})
		}
	}
	if cfg.Extra != nil {
		ps, sk, err := cfg.Extra(ctx, q, rules, cfg)
		if err != nil {
			return nil, err
		}
		res.Proposals = append(res.Proposals, ps...)
		res.Skipped = append(res.Skipped, sk...)
	}
	return res, nil
}

func skippedOf(r Rule, reason string) Skipped {
	return Skipped{File: r.File, Group: r.Group, Alert: r.Alert, Reason: reason}
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func isLabelName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// ruleOutcome is what tuning one rule gave.
type ruleOutcome struct {
	rule     Rule
	err      error
	skip     string
	queries  int
	warnings []string
	stats    signalStats
	// cands are the candidates, orig the index of the rule as written,
	// chosen the index proposed.
	cands          []candidate
	orig, chosen   int
	sel            selection
	valid          validated
	leadWindow     time.Duration
	thresholdNote  string
	quieterForRest bool
	// warning reports whether the rule does not page: its firings are
	// then what the budget holds.
	warning bool
	split   *SplitProposal
	// groups are the signal's groups by label value ("label\x00value")
	// and groupOnly the variants outside the rule's guardrails that a
	// group's own may allow (with Split only).
	groups    map[string]signalStats
	groupOnly []candidate
}

func tuneRule(ctx context.Context, q Querier, r Rule, incs []pir.Incident, folds []fold, cfg TuneConfig) (o ruleOutcome) {
	o = ruleOutcome{rule: r, leadWindow: cfg.LeadWindow}
	g := cfg.Guardrails
	switch {
	case OptedOut(r):
		o.skip = OptOutKey + ` is "false": left alone`
		return o
	case r.ParseError != "":
		o.skip = "expression does not parse: " + r.ParseError
		return o
	case !cfg.InSample && len(folds) < cfg.MinTrainFolds+1:
		o.skip = fmt.Sprintf("insufficient evidence: the range holds %d folds of %s, validation needs at least %d", len(folds), FormatDuration(cfg.FoldLength), cfg.MinTrainFolds+1)
		return o
	}
	// The signal is queried for its summary and again by the what-if:
	// the second time is answered from memory.
	oq := &onceQuerier{q: q}
	q = oq
	defer func() { o.queries = oq.misses }()
	wc := WhatIfConfig{ReplayConfig: cfg.ReplayConfig, Measure: cfg.Measure}
	wc.Fors = g.candidateFors(r.ForDuration, r.Interval, cfg.Fors)
	if cfg.KeepFiringFors != nil {
		wc.KeepFiringFors = g.candidateFors(r.KeepFiringForDuration, r.Interval, cfg.KeepFiringFors)
	}
	switch th := r.Threshold; {
	case th == nil:
		o.thresholdNote = "no threshold: expression has no outermost comparison with a number; only for is tuned"
	case th.NotEditable != "":
		o.thresholdNote = "threshold not editable in place (" + th.NotEditable + "); only for is tuned"
	default:
		st, ss, err := signalOf(ctx, q, r, cfg.ReplayConfig)
		if err != nil {
			o.err = err
			return o
		}
		o.stats = st
		if st.n == 0 {
			o.thresholdNote = "the signal " + oneLine(th.Signal) + " has no data on its own; only for is tuned"
		} else {
			wc.Thresholds = g.candidateThresholds(th.Value, st)
			if cfg.Split != "" && !cfg.InSample {
				// The groups a split may make get candidates of their own,
				// judged only for splits.
				extra, groups := g.groupThresholds(th.Op, ss, cfg.Split)
				o.groups = groups
				for _, x := range extra {
					if !slices.Contains(wc.Thresholds, x) {
						wc.Thresholds = append(wc.Thresholds, x)
					}
				}
				slices.Sort(wc.Thresholds)
			}
		}
	}
	wi, err := WhatIf(ctx, q, r, wc)
	if err != nil {
		o.err = err
		return o
	}
	o.warnings = wi.Warnings
	sc := newScorer(r, incs, folds, cfg.LeadWindow, cfg.Measure.PageSeverities)
	o.warning = !sc.pages
	o.orig = -1
	for _, v := range wi.After {
		if v.Threshold != nil && r.Threshold != nil && !g.allowedThreshold(*v.Threshold, r.Threshold.Value, o.stats) {
			if o.groups != nil {
				o.groupOnly = append(o.groupOnly, candidate{variant: v, distance: g.distance(v, r, o.stats)})
			}
			continue
		}
		c := candidate{variant: v, folds: sc.score(v.Firings, nil, nil), distance: g.distance(v, r, o.stats)}
		if sameVariant(v, wi.Before) {
			c.original = true
			o.orig = len(o.cands)
		}
		o.cands = append(o.cands, c)
	}
	if o.orig < 0 {
		o.orig = len(o.cands)
		o.cands = append(o.cands, candidate{variant: wi.Before, folds: sc.score(wi.Before.Firings, nil, nil), original: true})
	}
	if cfg.InSample {
		// One fold of everything: nothing is noise, the best wins.
		for i := range o.cands {
			one := aggregate(o.cands[i].folds)
			o.cands[i].folds = []foldScore{one}
		}
		o.sel = choose(o.cands, 0, 1, cfg.Objective, cfg.LeadWindow)
		o.chosen = o.sel.best
		if o.chosen == o.orig {
			o.skip = "no change: the rule as written is the best in hindsight"
		}
		return o
	}
	o.sel = choose(o.cands, 0, len(folds), cfg.Objective, cfg.LeadWindow)
	o.chosen = o.sel.chosen
	o.valid = validate(o.cands, len(folds), cfg.MinTrainFolds, cfg.Objective, cfg.LeadWindow)
	o.skip = o.judge(cfg)
	if o.skip == "" && cfg.Split != "" {
		o.split = o.findSplit(sc, cfg)
	}
	return o
}

// judge returns why the chosen candidate is not proposed, "" when it is.
func (o *ruleOutcome) judge(cfg TuneConfig) string {
	g := cfg.Guardrails
	orig, ch := &o.cands[o.orig], &o.cands[o.chosen]
	all := aggregate(orig.folds)
	after := aggregate(ch.folds)
	history := time.Duration(0)
	if o.stats.n > 0 {
		history = o.stats.last.Sub(o.stats.first) + o.rule.Interval
	}
	matched := max(all.Caught, after.Caught)
	if matched < g.MinIncidents && history < g.MinHistory*99/100 {
		what := "no signal history"
		if o.stats.n > 0 {
			what = FormatDuration(history.Round(time.Minute)) + " of signal history"
		}
		return fmt.Sprintf("insufficient evidence: %d matched incidents (want %d) and %s (want %s)", matched, g.MinIncidents, what, FormatDuration(g.MinHistory))
	}
	if o.chosen == o.orig {
		why := "no change: the rule as written is within noise of the best"
		if o.sel.best == o.orig {
			why = "no change: the rule as written is the best within the guardrails"
		}
		if !o.sel.feasible {
			best := aggregate(o.cands[o.sel.best].folds)
			why += fmt.Sprintf("; no candidate meets the constraints (%.1f pages/week at best)", best.pagesPerWeek())
		}
		if o.thresholdNote != "" {
			why += "; " + o.thresholdNote
		}
		return why
	}
	// The forward validation: the procedure's choices against the rule as
	// written on folds it had not seen.
	vb, va := o.validationScores()
	if len(o.valid.folds) > 0 {
		bs, as := 0.0, 0.0
		for i, k := range o.valid.folds {
			bs += o.cands[o.orig].folds[k].score(o.leadWindow)
			as += o.cands[o.valid.after[i]].folds[k].score(o.leadWindow)
		}
		vOrig, vAfter := cfg.Objective.violation(&vb, 0), cfg.Objective.violation(&va, 0)
		if vAfter > vOrig+1e-9 || vAfter >= vOrig-1e-9 && as < bs-1e-9 {
			why := fmt.Sprintf("no change: the choice did not hold on the %d validation folds (caught %d → %d, pages %.1f → %.1f/week",
				len(o.valid.folds), vb.Caught, va.Caught, vb.pagesPerWeek(), va.pagesPerWeek())
			if mb, ma := vb.medianLead(), va.medianLead(); mb != nil && ma != nil {
				why += fmt.Sprintf(", median lead %s → %s", fmtLead(*mb), fmtLead(*ma))
			}
			return why + ")"
		}
	}
	return ""
}

// validationScores returns the aggregates over the validation folds of
// the rule as written and of the choices made before each fold.
func (o *ruleOutcome) validationScores() (before, after foldScore) {
	var bs, as []foldScore
	for i, k := range o.valid.folds {
		bs = append(bs, o.cands[o.orig].folds[k])
		as = append(as, o.cands[o.valid.after[i]].folds[k])
	}
	return aggregate(bs), aggregate(as)
}

func sameVariant(a, b Variant) bool {
	if (a.Threshold == nil) != (b.Threshold == nil) || a.Threshold != nil && *a.Threshold != *b.Threshold {
		return false
	}
	return a.For == b.For && a.KeepFiringFor == b.KeepFiringFor
}

// signalOf evaluates the threshold's signal once over the range at the
// rule's interval and summarises it: the median of all its samples, the
// range, and the first and last instants with data.
func signalOf(ctx context.Context, q Querier, r Rule, cfg ReplayConfig) (signalStats, []series.Series, error) {
	ev := newEvaluator(q, cfg)
	g := newGrid(cfg.Start, cfg.End, r.Interval)
	if g.n == 0 {
		return signalStats{}, nil, fmt.Errorf("%w [%s, %s] at %s", ErrNoInstants, rfc3339(cfg.Start), rfc3339(cfg.End), r.Interval)
	}
	ss, _, err := ev.rangeQuery(ctx, r.Threshold.Signal, g)
	if err != nil {
		return signalStats{}, nil, fmt.Errorf("%s: alert %s: signal %q: %w", ruleWhere(r), r.Alert, oneLine(r.Threshold.Signal), err)
	}
	return summarise(ss), ss, nil
}

// groupThresholds returns, for splits, the candidate thresholds of each
// group of the signal's series by label value (the labels want names:
// "auto" for every label with 2 to MaxSplitValues values): the group's
// own grid, spread over its observed range on the quiet side of its
// median (above it for > and >=, below for < and <=), and the groups'
// summaries by "label\x00value".
func (g Guardrails) groupThresholds(op string, ss []series.Series, want string) ([]float64, map[string]signalStats) {
	values := map[string]map[string][]series.Series{}
	for _, s := range ss {
		for _, l := range s.Labels {
			if l.Name == series.MetricName || want != "auto" && l.Name != want {
				continue
			}
			if values[l.Name] == nil {
				values[l.Name] = map[string][]series.Series{}
			}
			values[l.Name][l.Value] = append(values[l.Name][l.Value], s)
		}
	}
	var out []float64
	groups := map[string]signalStats{}
	for name, vs := range values {
		if len(vs) < 2 || len(vs) > MaxSplitValues {
			continue
		}
		for v, members := range vs {
			st := summarise(members)
			if st.n == 0 {
				continue
			}
			groups[name+"\x00"+v] = st
			for _, x := range g.candidateThresholds(st.typical, st) {
				if groupSide(x, op, st) {
					out = append(out, x)
				}
			}
		}
	}
	return out, groups
}

// groupSide reports whether x lies within the group's observed range
// (st) on the quiet side of its median for the comparison op (above it
// for > and >=, below it for < and <=): a split moves a group's threshold
// anywhere it has data, never into its typical level.
func groupSide(x float64, op string, st signalStats) bool {
	if x < st.min || x > st.max {
		return false
	}
	switch op {
	case ">", ">=":
		return x > st.typical
	case "<", "<=":
		return x < st.typical
	}
	return false
}

func summarise(ss []series.Series) signalStats {
	st := signalStats{min: math.Inf(1), max: math.Inf(-1)}
	var all []float64
	for _, s := range ss {
		for i, v := range s.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			all = append(all, v)
			st.min, st.max = math.Min(st.min, v), math.Max(st.max, v)
			t := time.UnixMilli(s.Timestamps[i]).UTC()
			if st.first.IsZero() || t.Before(st.first) {
				st.first = t
			}
			if t.After(st.last) {
				st.last = t
			}
		}
	}
	st.n = len(all)
	if st.n > 0 {
		st.typical = stats.Median(all)
	}
	return st
}

// fitTotalBudget makes rules quieter, one step at a time, until the rule
// set's pages per week are within the total budget: each step moves the
// rule whose next quieter candidate loses the least score per page a week
// saved.
func fitTotalBudget(outs []ruleOutcome, cfg TuneConfig) {
	budget := cfg.Objective.MaxPagesPerWeekTotal
	active := func(o *ruleOutcome) int {
		if o.err != nil || o.cands == nil {
			return -1
		}
		if o.skip != "" {
			return o.orig
		}
		return o.chosen
	}
	total := 0.0
	for i := range outs {
		if c := active(&outs[i]); c >= 0 {
			a := aggregate(outs[i].cands[c].folds)
			total += a.pagesPerWeek()
		}
	}
	for total > budget+1e-9 {
		bestRule, bestCand, bestRatio, bestSaved := -1, -1, math.Inf(1), 0.0
		for i := range outs {
			o := &outs[i]
			c := active(o)
			if c < 0 || OptedOut(o.rule) || o.skip != "" && !strings.HasPrefix(o.skip, "no change") {
				continue
			}
			cur := aggregate(o.cands[c].folds)
			curScore := sumScore(o.cands[c].folds, o.leadWindow)
			for j := range o.cands {
				a := aggregate(o.cands[j].folds)
				saved := cur.pagesPerWeek() - a.pagesPerWeek()
				if saved <= 1e-9 {
					continue
				}
				ratio := (curScore - sumScore(o.cands[j].folds, o.leadWindow)) / saved
				if ratio < bestRatio || ratio == bestRatio && saved > bestSaved {
					bestRule, bestCand, bestRatio, bestSaved = i, j, ratio, saved
				}
			}
		}
		if bestRule < 0 {
			return
		}
		o := &outs[bestRule]
		o.chosen, o.skip, o.quieterForRest = bestCand, "", true
		if o.chosen == o.orig {
			o.skip = "no change"
		}
		total -= bestSaved
	}
}

func sumScore(fs []foldScore, leadWindow time.Duration) float64 {
	s := 0.0
	for i := range fs {
		s += fs[i].score(leadWindow)
	}
	return s
}

// onceQuerier answers a query it has answered before from memory: the
// signal of a rule is summarised, then swept by the what-if.
type onceQuerier struct {
	q    Querier
	mu   sync.Mutex
	seen map[string][]series.Series
	// misses counts the requests made.
	misses int
}

func (o *onceQuerier) QueryRange(ctx context.Context, expr string, start, end time.Time, step time.Duration) ([]series.Series, error) {
	key := fmt.Sprintf("%s\x00%d\x00%d\x00%d", expr, start.UnixMilli(), end.UnixMilli(), step)
	o.mu.Lock()
	ss, ok := o.seen[key]
	o.mu.Unlock()
	if ok {
		return ss, nil
	}
	ss, err := o.q.QueryRange(ctx, expr, start, end, step)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	o.misses++
	if o.seen == nil {
		o.seen = map[string][]series.Series{}
	}
	o.seen[key] = ss
	o.mu.Unlock()
	return ss, nil
}
