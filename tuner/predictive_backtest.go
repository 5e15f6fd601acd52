package tuner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/omenhq/omen/capacity"
	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/series"
)

// Defaults applied to zero PredictiveBacktestConfig fields.
const (
	// DefaultPredictiveStep is the default PredictiveBacktestConfig.Step:
	// omen run hourly.
	DefaultPredictiveStep = time.Hour
	// DefaultPredictiveDataStep is the default
	// PredictiveBacktestConfig.DataStep.
	DefaultPredictiveDataStep = 5 * time.Minute
)

// PredictiveBacktestConfig configures BacktestPredictive. Start and End
// are required; every other field has a useful zero value.
type PredictiveBacktestConfig struct {
	// Start and End bound the backtest, both included: the predict_linear
	// rule is replayed over them, omen predicts at every Step in them, and
	// the exhaustions and incidents starting in them are scored.
	Start, End time.Time
	// Step is how often omen runs (the as-of instants of the capacity
	// predictions, multiples of Step since the Unix epoch, and the
	// Interval of the proposed rules). Default DefaultPredictiveStep (1h).
	Step time.Duration
	// DataStep is the resolution at which the rule's signal and limit are
	// read for the predictions and the exhaustion events. Default
	// DefaultPredictiveDataStep (5m).
	DataStep time.Duration
	// Capacity configures the predictions (Capacity.Window of history
	// before each as-of instant is read too; Critical and Warning decide
	// the risk the proposed rules page on). Its zero value is capacity's
	// defaults; ForecastPoints is forced to -1 (no chart path).
	Capacity capacity.Config
	// Horizon is how soon after a page an exhaustion must begin for the
	// page to be true, and how long before an exhaustion a page still
	// catches it. Zero means the proposed rule's own horizon: the
	// Capacity.Critical time (default 24h) when comparing with a rule of
	// severity other than warning, Capacity.Warning (default 7 days) with
	// a warning.
	Horizon time.Duration
	// Incidents, when any, are the events scored: those starting in
	// [Start, End] (drills left out unless IncludeDrills) whose labels
	// agree with one of the rule's targets, as pir.LabelsAgree has it (an
	// incident without labels is every rule's). Otherwise the events are
	// the exhaustions seen in the history: the signal reaching its limit.
	Incidents []pir.Incident
	// IncludeDrills counts drills, tests and game days among Incidents.
	IncludeDrills bool
	// Rules are all the rules read (recording rules an alert uses are
	// inlined by the replay, see ReplayConfig.Rules); nil skips that.
	Rules []Rule
	// AllSignals compares predict_linear rules on any signal; by default
	// only disk and memory signals (PredictLinearUse.Kind) are.
	AllSignals bool
	// MaxPointsPerQuery and Concurrency are the replay's (ReplayConfig).
	MaxPointsPerQuery, Concurrency int
	// Workers is the number of predictions made at once; 0 means 1.
	Workers int
}

func (c PredictiveBacktestConfig) withDefaults() PredictiveBacktestConfig {
	if c.Step <= 0 {
		c.Step = DefaultPredictiveStep
	}
	if c.DataStep <= 0 {
		c.DataStep = DefaultPredictiveDataStep
	}
	if c.Capacity.Window <= 0 {
		c.Capacity.Window = 14 * 24 * time.Hour
	}
	if c.Capacity.Critical <= 0 {
		c.Capacity.Critical = 24 * time.Hour
	}
	if c.Capacity.Warning <= 0 {
		c.Capacity.Warning = 7 * 24 * time.Hour
	}
	c.Capacity.ForecastPoints = -1
	if c.Workers <= 0 {
		c.Workers = 1
	}
	return c
}

// PredictiveBacktest is what BacktestPredictive found.
type PredictiveBacktest struct {
	// Start, End and Step are the backtest's (Step with its default).
	Start, End time.Time
	Step       time.Duration
	// Weeks is (End − Start) in weeks, the denominator of the rates.
	Weeks float64
	// Comparisons holds one entry per predict_linear rule compared, in the
	// order of the rules given.
	Comparisons []PredictiveComparison
	// Skipped are the alerting rules not compared, with the reason.
	Skipped []PredictiveSkip
	// Queries is the number of query_range requests made.
	Queries int
}

// PredictiveSkip is an alerting rule BacktestPredictive did not compare.
type PredictiveSkip struct {
	Rule   Rule
	Reason string
}

// PredictiveComparison is one predict_linear rule against the omen rule
// that would replace it, on the same history.
type PredictiveComparison struct {
	// Rule is the predict_linear rule and Use how it uses predict_linear.
	Rule Rule
	Use  PredictLinearUse
	// Severity is the rule's severity label ("" when it has none).
	Severity string
	// Horizon is the horizon the pages and events were judged with.
	Horizon time.Duration
	// Proposal is the alert of PredictiveRules that replaces the rule
	// (OmenExhaustionCritical, or OmenExhaustionWarning for a warning),
	// and ProposalConfig the configuration that writes it.
	Proposal       string
	ProposalConfig PredictiveRulesConfig
	// Targets are the label sets of the signal's series, each predicted
	// as a capacity target.
	Targets []series.Labels
	// Events are the exhaustions (or incidents) scored, and
	// FromIncidents reports whether they are incidents.
	Events        []ExhaustionEvent
	FromIncidents bool
	// PredictLinear is the rule's score as replayed; Omen the proposal's,
	// from the capacity predictions as of every Step.
	PredictLinear, Omen BacktestScore
	// Predictions is the number of capacity predictions made.
	Predictions int
	// Warnings are things the backtest had to work around.
	Warnings []string
}

// ExhaustionEvent is one event a page should have come before: the signal
// reaching its limit in the history, or an incident.
type ExhaustionEvent struct {
	// ID is the incident's ID, or the target's labels and the start.
	ID string
	// Labels are the target's labels (or the incident's), matched with a
	// page's labels as pir.LabelsAgree does.
	Labels map[string]string
	// Start is when the limit was reached (the incident started); End when
	// the signal was back within its limit (the incident's end; End when
	// still exhausted at the end of the history).
	Start, End time.Time
	// Incident reports whether the event is an incident.
	Incident bool
}

// BacktestScore is how one rule's pages did against the events.
type BacktestScore struct {
	// Alert is the alert's name.
	Alert string
	// Firings are the rule's firings over [Start, End].
	Firings []pir.Firing
	// Pages is the number of firings that started in [Start, End], and
	// PagesPerWeek that over the weeks of the backtest.
	Pages        int
	PagesPerWeek float64
	// FalsePages are pages that caught no event of theirs (labels
	// agreeing; see Caught) and came during none, and FalsePagesPerWeek
	// their rate. Unjudged are such pages within Horizon of End: the
	// history does not tell yet.
	FalsePages        int
	FalsePagesPerWeek float64
	Unjudged          int
	// Caught are the events a firing of the rule, started before the
	// event, was active for at some instant of [event start − Horizon,
	// event start), with the lead time: the event's start − the start of
	// the earliest such firing (at most Horizon). Missed are the others,
	// by ID: a page at or after the start is no warning.
	Caught []CaughtEvent
	Missed []string
	// LeadMedian is the median lead time of the caught events; nil when
	// none was caught.
	LeadMedian *time.Duration
}

// CaughtEvent is an event caught ahead, with the lead time.
type CaughtEvent struct {
	ID   string
	Lead time.Duration
}

// BacktestPredictive compares, for every alerting rule built on
// predict_linear over a disk or memory signal (see FindPredictLinear),
// the rule with the omen rule of PredictiveRules that would replace it,
// on the history q holds:
//
//   - the predict_linear rule is replayed as Prometheus would have
//     evaluated it (Replay, at its group's interval);
//   - the signal's series (and the limit's) are read at DataStep from
//     Capacity.Window before Start to End, each series is a capacity
//     target (a number compared with is its limit, a series its limit
//     series), and capacity.Predict runs as of every Step in [Start, End]
//     on the history up to that instant; the proposed rule fires from a
//     run whose risk meets its severity (critical: ≥ critical; warning:
//     warning) to the first run whose risk does not, as the generated
//     rule, reading the last run's risk, does;
//   - both are scored on the same events (Config.Incidents, or the
//     signal's exhaustions in the history) with the same Horizon: events
//     caught ahead and the lead time, pages and false pages per week.
//
// Rules it cannot compare are listed in Skipped with the reason. An error
// is returned for a bad configuration, a cancelled context or a failed
// query or prediction.
func BacktestPredictive(ctx context.Context, q Querier, rules []Rule, cfg PredictiveBacktestConfig) (*PredictiveBacktest, error) {
	if cfg.Start.IsZero() || cfg.End.IsZero() {
		return nil, errors.New("tuner: backtest start and end are required")
	}
	if cfg.End.Before(cfg.Start) {
		return nil, fmt.Errorf("tuner: backtest end %s is before start %s", cfg.End.UTC().Format(time.RFC3339), cfg.Start.UTC().Format(time.RFC3339))
	}
	cfg = cfg.withDefaults()
	rcfg := ReplayConfig{Start: cfg.Start, End: cfg.End, MaxPointsPerQuery: cfg.MaxPointsPerQuery, Concurrency: cfg.Concurrency, Rules: cfg.Rules}.withDefaults()
	ev := newEvaluator(q, rcfg)
	res := &PredictiveBacktest{Start: cfg.Start, End: cfg.End, Step: cfg.Step, Weeks: cfg.End.Sub(cfg.Start).Hours() / (24 * 7)}
	cache := map[string]*predicted{}
	for _, r := range rules {
		if !r.IsAlert() {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		u, err := FindPredictLinear(r.Expr)
		if err != nil {
			if errors.Is(err, ErrNoPredictLinear) && !containsPredictLinear(r.Expr) {
				continue // not a predict_linear rule: nothing to say
			}
			res.Skipped = append(res.Skipped, PredictiveSkip{Rule: r, Reason: err.Error()})
			continue
		}
		if u.Kind == "" && !cfg.AllSignals {
			res.Skipped = append(res.Skipped, PredictiveSkip{Rule: r, Reason: fmt.Sprintf("predict_linear on %s: not a disk or memory signal", u.Metric)})
			continue
		}
		c, n, err := compareOne(ctx, ev, cache, r, *u, cfg)
		res.Queries += n
		if err != nil {
			return nil, err
		}
		res.Comparisons = append(res.Comparisons, *c)
	}
	return res, nil
}

func containsPredictLinear(expr string) bool {
	return strings.Contains(strings.ToLower(expr), "predict_linear")
}

// predicted are the targets of one signal and limit, and their risk as of
// every Step: rules on the same signal (the mixin's warning and critical)
// share them.
type predicted struct {
	targets  []capacity.Target
	warnings []string
	asOfs    []time.Time
	risks    [][]capacity.Risk
}

// compareOne backtests one rule; it returns the number of queries made.
func compareOne(ctx context.Context, ev *evaluator, cache map[string]*predicted, r Rule, u PredictLinearUse, cfg PredictiveBacktestConfig) (*PredictiveComparison, int, error) {
	c := &PredictiveComparison{Rule: r, Use: u, Severity: r.Labels["severity"]}
	c.Proposal, c.Horizon = AlertExhaustionCritical, cfg.Capacity.Critical
	if c.Severity == "warning" {
		c.Proposal, c.Horizon = AlertExhaustionWarning, cfg.Capacity.Warning
	}
	if cfg.Horizon > 0 {
		c.Horizon = cfg.Horizon
	}
	c.ProposalConfig = PredictiveRulesConfig{Interval: cfg.Step}
	queries := 0

	// The predict_linear rule, replayed.
	rr := RuleReplay{Rule: r}
	ev.replayRule(ctx, &rr)
	queries += rr.Queries
	if rr.Err != nil {
		return nil, queries, rr.Err
	}
	c.Warnings = append(c.Warnings, rr.Warnings...)
	c.PredictLinear.Alert = r.Alert
	c.PredictLinear.Firings = rr.Firings

	key := fmt.Sprint(u.Signal, "\x00", u.LimitExpr, "\x00", u.Direction, u.Limit, u.On, u.Ignoring)
	p := cache[key]
	if p == nil {
		var n int
		var err error
		p, n, err = predictSignal(ctx, ev, u, cfg)
		queries += n
		if err != nil {
			return nil, queries, fmt.Errorf("%s: alert %s: %w", ruleWhere(r), r.Alert, err)
		}
		cache[key] = p
	}
	targets := p.targets
	c.Warnings = append(c.Warnings, p.warnings...)
	for _, t := range targets {
		c.Targets = append(c.Targets, t.Labels)
	}
	c.Predictions = len(targets) * len(p.asOfs)
	c.Omen.Alert = c.Proposal
	c.Omen.Firings = p.firings(c.Proposal)

	// The events, and the scores.
	if len(cfg.Incidents) > 0 {
		c.FromIncidents = true
		for _, in := range pir.Counted(cfg.Incidents, cfg.Start, cfg.End, cfg.IncludeDrills) {
			if slices.ContainsFunc(targets, func(t capacity.Target) bool { return pir.LabelsAgree(in.Labels, t.Labels) }) {
				c.Events = append(c.Events, ExhaustionEvent{ID: in.ID, Labels: in.Labels, Start: in.StartedAt, End: in.End(), Incident: true})
			}
		}
	} else {
		for _, t := range targets {
			c.Events = append(c.Events, exhaustions(t, cfg.Start, cfg.End, cfg.Step)...)
		}
		slices.SortFunc(c.Events, func(a, b ExhaustionEvent) int { return a.Start.Compare(b.Start) })
	}
	weeks := cfg.End.Sub(cfg.Start).Hours() / (24 * 7)
	c.PredictLinear.score(c.Events, cfg.Start, cfg.End, c.Horizon, weeks)
	c.Omen.score(c.Events, cfg.Start, cfg.End, c.Horizon, weeks)
	return c, queries, nil
}

// buildTargets makes one capacity target per usage series.
func buildTargets(usage, limits []series.Series, u PredictLinearUse) ([]capacity.Target, []string) {
	var out []capacity.Target
	var warns []string
	for _, s := range usage {
		t := capacity.Target{Labels: s.Labels.Without(series.MetricName), Usage: s, Direction: u.Direction, LimitValue: u.Limit}
		t.Usage.Labels = t.Labels
		if u.LimitExpr != "" {
			l, ok := matchLimit(t.Labels, limits, u)
			if !ok {
				warns = append(warns, fmt.Sprintf("%s: no series of %s matches: not predicted", t.Labels, u.LimitExpr))
				continue
			}
			if u.Limit != 1 {
				l.Values = slices.Clone(l.Values)
				for i := range l.Values {
					l.Values[i] *= u.Limit
				}
			}
			t.Limit, t.LimitValue = l, math.NaN()
		}
		out = append(out, t)
	}
	return out, warns
}

// matchLimit finds the limit series of a target as PromQL's one-to-one
// vector matching would: equal on the On labels, or on all labels but the
// Ignoring ones (and the metric name).
func matchLimit(target series.Labels, limits []series.Series, u PredictLinearUse) (series.Series, bool) {
	key := func(ls series.Labels) series.Labels {
		ls = ls.Without(series.MetricName)
		if len(u.On) > 0 {
			var kv []string
			for _, n := range u.On {
				if ls.Has(n) {
					kv = append(kv, n, ls.Get(n))
				}
			}
			return series.New(kv...)
		}
		return ls.Without(u.Ignoring...)
	}
	want := key(target)
	for _, l := range limits {
		if key(l.Labels).Equal(want) {
			return l, true
		}
	}
	return series.Series{}, false
}

// predictSignal reads the signal and its limit at DataStep from
// Capacity.Window before Start to End, and predicts every target as of
// every Step in [Start, End].
func predictSignal(ctx context.Context, ev *evaluator, u PredictLinearUse, cfg PredictiveBacktestConfig) (*predicted, int, error) {
	queries := 0
	step := cfg.DataStep.Milliseconds()
	from := floorDiv(cfg.Start.Add(-cfg.Capacity.Window).UnixMilli(), step) * step
	to := floorDiv(cfg.End.UnixMilli(), step) * step
	usage, n, err := ev.rangeQueryStep(ctx, u.Signal, from, to, step)
	queries += n
	if err != nil {
		return nil, queries, fmt.Errorf("reading %s: %w", u.Signal, err)
	}
	var limits []series.Series
	if u.LimitExpr != "" {
		limits, n, err = ev.rangeQueryStep(ctx, u.LimitExpr, from, to, step)
		queries += n
		if err != nil {
			return nil, queries, fmt.Errorf("reading %s: %w", u.LimitExpr, err)
		}
	}
	p := &predicted{}
	p.targets, p.warnings = buildTargets(usage, limits, u)
	first := ceilDiv(cfg.Start.UnixMilli(), cfg.Step.Milliseconds()) * cfg.Step.Milliseconds()
	for t := first; t <= cfg.End.UnixMilli(); t += cfg.Step.Milliseconds() {
		p.asOfs = append(p.asOfs, time.UnixMilli(t).UTC())
	}
	p.risks = make([][]capacity.Risk, len(p.targets))
	for i := range p.risks {
		p.risks[i] = make([]capacity.Risk, len(p.asOfs))
	}
	type job struct{ ti, ai int }
	jobs := make(chan job)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range cfg.Workers {
		wg.Go(func() {
			for j := range jobs {
				pr, err := capacity.Predict(p.targets[j.ti], p.asOfs[j.ai], cfg.Capacity)
				if err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, fmt.Errorf("predicting %s as of %s: %w", p.targets[j.ti].Labels, p.asOfs[j.ai].Format(time.RFC3339), err))
					mu.Unlock()
					continue
				}
				p.risks[j.ti][j.ai] = pr.Risk
			}
		})
	}
feed:
	for ti := range p.targets {
		for ai := range p.asOfs {
			select {
			case jobs <- job{ti, ai}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, queries, err
	}
	if firstErr != nil {
		return nil, queries, firstErr
	}
	return p, queries, nil
}

// firings are the firings of the proposed alert: from a run whose risk
// meets the alert's severity to the first run whose risk does not.
func (p *predicted) firings(alert string) []pir.Firing {
	fires := func(r capacity.Risk) bool { return r >= capacity.RiskCritical }
	severity := "critical"
	if alert == AlertExhaustionWarning {
		fires, severity = func(r capacity.Risk) bool { return r == capacity.RiskWarning }, "warning"
	}
	var out []pir.Firing
	for ti, t := range p.targets {
		labels := t.Labels.With("alertname", alert).With("severity", severity)
		open := -1
		for ai, r := range p.risks[ti] {
			switch {
			case fires(r) && open < 0:
				open = ai
			case !fires(r) && open >= 0:
				out = append(out, pir.Firing{Alert: alert, Labels: labels, ActiveAt: p.asOfs[open], FiringAt: p.asOfs[open], ResolvedAt: p.asOfs[ai]})
				open = -1
			}
		}
		if open >= 0 {
			out = append(out, pir.Firing{Alert: alert, Labels: labels, ActiveAt: p.asOfs[open], FiringAt: p.asOfs[open]})
		}
	}
	sortFirings(out)
	return out
}

// exhaustions returns the stretches in [start, end] where the target's
// usage is at or beyond its limit, starting after a sample within it;
// stretches less than gap apart are one (a series hovering at its limit).
func exhaustions(t capacity.Target, start, end time.Time, gap time.Duration) []ExhaustionEvent {
	s := t.Usage
	var out []ExhaustionEvent
	within := false // a sample within the limit was seen
	var cur *ExhaustionEvent
	for i, ts := range s.Timestamps {
		v := s.Values[i]
		if math.IsNaN(v) {
			continue
		}
		lim := t.LimitValue
		if t.Limit.Len() > 0 {
			if lv, ok := lastAtOrBefore(t.Limit, ts); ok {
				lim = lv
			}
		}
		if math.IsNaN(lim) || math.IsInf(lim, 0) || t.Direction == series.Up && lim <= 0 {
			continue
		}
		beyond := v >= lim
		if t.Direction == series.Down {
			beyond = v <= lim
		}
		at := time.UnixMilli(ts).UTC()
		switch {
		case beyond && cur == nil && len(out) > 0 && at.Sub(out[len(out)-1].End) < gap:
			cur = &out[len(out)-1] // the same event, briefly back within the limit
		case beyond && cur == nil && within && !at.Before(start) && !at.After(end):
			out = append(out, ExhaustionEvent{ID: t.Labels.String() + " " + at.Format(time.RFC3339), Labels: t.Labels.Map(), Start: at, End: end})
			cur = &out[len(out)-1]
		case !beyond:
			within = true
			if cur != nil {
				cur.End = at
				cur = nil
			}
		}
	}
	return out
}

func lastAtOrBefore(s series.Series, ts int64) (float64, bool) {
	i, found := slices.BinarySearch(s.Timestamps, ts)
	if !found {
		i--
	}
	for ; i >= 0; i-- {
		if !math.IsNaN(s.Values[i]) {
			return s.Values[i], true
		}
	}
	return 0, false
}

// score fills the score from the firings and the events.
func (s *BacktestScore) score(events []ExhaustionEvent, start, end time.Time, horizon time.Duration, weeks float64) {
	agree := func(e ExhaustionEvent, f pir.Firing) bool { return pir.LabelsAgree(e.Labels, f.Labels) }
	for _, f := range s.Firings {
		if f.FiringAt.Before(start) || f.FiringAt.After(end) {
			continue
		}
		s.Pages++
		justified := false
		for _, e := range events {
			if !agree(e, f) {
				continue
			}
			// The page caught the event (see Caught), or came during it.
			if catches(f, e, horizon) || !f.FiringAt.Before(e.Start) && !f.FiringAt.After(e.End) {
				justified = true
				break
			}
		}
		switch {
		case justified:
		case f.FiringAt.Add(horizon).After(end):
			s.Unjudged++
		default:
			s.FalsePages++
		}
	}
	var leads []time.Duration
	for _, e := range events {
		var best *pir.Firing
		for i := range s.Firings {
			f := &s.Firings[i]
			if !agree(e, *f) || !catches(*f, e, horizon) {
				continue
			}
			if best == nil || f.FiringAt.Before(best.FiringAt) {
				best = f
			}
		}
		if best == nil {
			s.Missed = append(s.Missed, e.ID)
			continue
		}
		lead := min(e.Start.Sub(best.FiringAt), horizon)
		s.Caught = append(s.Caught, CaughtEvent{ID: e.ID, Lead: lead})
		leads = append(leads, lead)
	}
	if weeks > 0 {
		s.PagesPerWeek = float64(s.Pages) / weeks
		s.FalsePagesPerWeek = float64(s.FalsePages) / weeks
	}
	if len(leads) > 0 {
		slices.Sort(leads)
		m := leads[len(leads)/2]
		if len(leads)%2 == 0 {
			m = (leads[len(leads)/2-1] + leads[len(leads)/2]) / 2
		}
		s.LeadMedian = &m
	}
}

// catches reports whether the firing, started before the event, was
// active at some instant of [event start − horizon, event start).
func catches(f pir.Firing, e ExhaustionEvent, horizon time.Duration) bool {
	return f.FiringAt.Before(e.Start) && (!f.Resolved() || f.ResolvedAt.After(e.Start.Add(-horizon)))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
