package tuner

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metricsql"

	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/series"
)

// Plan says how a what-if evaluates a rule's variants.
type Plan string

// The plans of a what-if, cheapest first.
const (
	// PlanRule: only `for` or keep_firing_for change, so the expression
	// as written is evaluated once and the state machine rerun per variant.
	PlanRule Plan = "rule"
	// PlanSignal: the threshold's comparison is the expression's top, so
	// the other side of it (the signal) is evaluated once and every
	// threshold applied locally.
	PlanSignal Plan = "signal"
	// PlanSignalOperands: the comparison sits in the left operand of
	// and/unless; the signal and the other operands are each evaluated
	// once and combined locally with PromQL's set semantics (which
	// MetricsQL shares for these two, point by point).
	PlanSignalOperands Plan = "signal+operands"
	// PlanPerThreshold: the expression could not be split exactly (an
	// `or`, which Prometheus and VictoriaMetrics evaluate differently; a
	// recording rule inlined; modifiers), so the rule is evaluated once
	// per threshold with the number replaced.
	PlanPerThreshold Plan = "per-threshold"
)

// WhatIfConfig configures WhatIf. Start and End (in ReplayConfig) are
// required; nil Thresholds, Fors or KeepFiringFors keep the rule's own.
type WhatIfConfig struct {
	ReplayConfig
	// Thresholds are the threshold values to try.
	Thresholds []float64
	// Fors are the `for` durations to try.
	Fors []time.Duration
	// KeepFiringFors are the keep_firing_for durations to try.
	KeepFiringFors []time.Duration
	// Measure configures the metrics of each variant.
	Measure MeasureConfig
}

// Variant is the rule with one combination of threshold, `for` and
// keep_firing_for, and what it would have done.
type Variant struct {
	// Threshold is nil when the rule has none.
	Threshold     *float64
	For           time.Duration
	KeepFiringFor time.Duration
	Firings       []pir.Firing
	Metrics       Metrics
}

// WhatIfResult compares the rule as written with its variants.
type WhatIfResult struct {
	Rule       Rule
	Start, End time.Time
	// Plan is how the variants were evaluated and PlanReason why a
	// cheaper plan was not possible ("" for PlanRule and PlanSignal).
	Plan       Plan
	PlanReason string
	// Evaluations is the number of evaluation instants.
	Evaluations int
	// Before is the rule as written.
	Before Variant
	// After holds the variants: every threshold × for × keep_firing_for,
	// thresholds varying slowest.
	After []Variant
	// Queries is the number of query_range requests made.
	Queries int
	// Warnings are as in RuleReplay.
	Warnings []string
}

// WhatIf replays rule r as written and with each combination of the
// thresholds, `for` and keep_firing_for durations of cfg, over [Start,
// End]. A sweep costs the queries of one replay whenever the expression
// can be split exactly (see Plan): the signal is evaluated once and the
// thresholds, `for` and keep_firing_for applied locally. Each variant's
// firings equal those of a replay of the rule edited to it.
func WhatIf(ctx context.Context, q Querier, r Rule, cfg WhatIfConfig) (*WhatIfResult, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if !r.IsAlert() {
		return nil, fmt.Errorf("%s: %s is a recording rule: only alerting rules can be replayed", ruleWhere(r), r.Record)
	}
	if r.ParseError != "" {
		return nil, fmt.Errorf("%s: alert %s: expression does not parse: %s", ruleWhere(r), r.Alert, r.ParseError)
	}
	if len(cfg.Thresholds) > 0 && r.Threshold == nil {
		return nil, fmt.Errorf("%s: alert %s: %w to change", ruleWhere(r), r.Alert, ErrNoThreshold)
	}
	for _, x := range cfg.Thresholds {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("tuner: threshold %v is not a finite number", x)
		}
	}
	for _, d := range slices.Concat(cfg.Fors, cfg.KeepFiringFors) {
		if d < 0 {
			return nil, fmt.Errorf("tuner: negative duration %s", d)
		}
	}
	cfg.ReplayConfig = cfg.withDefaults()
	ev := newEvaluator(q, cfg.ReplayConfig)
	g := newGrid(cfg.Start, cfg.End, r.Interval)
	res := &WhatIfResult{Rule: r, Start: cfg.Start, End: cfg.End, Evaluations: g.n}
	if g.n == 0 {
		return nil, fmt.Errorf("%w [%s, %s] at %s", ErrNoInstants, cfg.Start.UTC().Format(time.RFC3339), cfg.End.UTC().Format(time.RFC3339), r.Interval)
	}

	rr := &RuleReplay{Rule: r}
	expr, n, err := ev.resolveDependencies(ctx, rr, g)
	res.Queries += n
	if err != nil {
		return nil, err
	}
	res.Warnings = append(res.Warnings, rr.Warnings...)
	rt := newRuleTemplates(r)

	thresholds := cfg.Thresholds
	var own *float64
	if r.Threshold != nil {
		v := r.Threshold.Value
		own = &v
		if len(thresholds) == 0 {
			thresholds = []float64{v}
		}
	} else {
		thresholds = []float64{0} // no threshold: one placeholder
	}
	fors := cfg.Fors
	if len(fors) == 0 {
		fors = []time.Duration{r.ForDuration}
	}
	keeps := cfg.KeepFiringFors
	if len(keeps) == 0 {
		keeps = []time.Duration{r.KeepFiringForDuration}
	}

	// alertsFor returns the alert label sets of the rule with threshold x
	// (ignored when the rule has none).
	var alertsFor func(ctx context.Context, x float64) (alertSet, error)
	changesThreshold := own != nil && slices.ContainsFunc(thresholds, func(x float64) bool { return x != *own })
	var plan *thresholdPlan
	if changesThreshold {
		var reason string
		plan, reason = planThreshold(expr, r.Threshold, expr != r.Expr)
		if plan == nil {
			res.Plan, res.PlanReason = PlanPerThreshold, reason
		}
	}
	switch {
	case !changesThreshold:
		res.Plan = PlanRule
		ss, n, err := ev.rangeQuery(ctx, expr, g)
		res.Queries += n
		if err != nil {
			return nil, fmt.Errorf("%s: alert %s: %w", ruleWhere(r), r.Alert, err)
		}
		gs, off := toGrid(ss, g)
		res.Warnings = appendOffGrid(res.Warnings, off)
		set := buildAlerts(r, g, rt, gs)
		alertsFor = func(context.Context, float64) (alertSet, error) { return set, nil }
	case plan != nil:
		res.Plan = PlanSignal
		if len(plan.levels) > 0 {
			res.Plan = PlanSignalOperands
		}
		sig, n, err := ev.rangeQuery(ctx, plan.signal, g)
		res.Queries += n
		if err != nil {
			return nil, fmt.Errorf("%s: alert %s: signal %q: %w", ruleWhere(r), r.Alert, plan.signal, err)
		}
		signal, off := toGrid(sig, g)
		res.Warnings = appendOffGrid(res.Warnings, off)
		others := make([][]gridSeries, len(plan.levels))
		for i, lv := range plan.levels {
			ss, n, err := ev.rangeQuery(ctx, lv.other, g)
			res.Queries += n
			if err != nil {
				return nil, fmt.Errorf("%s: alert %s: operand %q: %w", ruleWhere(r), r.Alert, lv.other, err)
			}
			others[i], off = toGrid(ss, g)
			res.Warnings = appendOffGrid(res.Warnings, off)
		}
		// The other operands do not depend on the threshold: where each
		// signature is present is worked out once.
		haves := make([]map[string]bitset, len(plan.levels))
		for i, lv := range plan.levels {
			haves[i] = lv.presenceBySignature(others[i], g.n)
		}
		alertsFor = func(_ context.Context, x float64) (alertSet, error) {
			gs := compareSeries(signal, plan.op, plan.left, x)
			for i, lv := range plan.levels {
				gs = lv.filter(gs, haves[i])
			}
			return buildAlerts(r, g, rt, gs), nil
		}
	default:
		th := r.Threshold
		alertsFor = func(ctx context.Context, x float64) (alertSet, error) {
			e := r.Expr
			if x != th.Value {
				e = r.Expr[:th.Offset] + formatNumber(x) + r.Expr[th.Offset+len(th.Text):]
			}
			if expr != r.Expr {
				// Dependencies were inlined: inline them into the edited
				// expression too.
				e2, _, err := ev.resolveDependencies(ctx, &RuleReplay{Rule: Rule{Alert: r.Alert, Expr: e, Interval: r.Interval, File: r.File, Line: r.Line}}, g)
				if err != nil {
					return alertSet{}, err
				}
				e = e2
			}
			ss, n, err := ev.rangeQuery(ctx, e, g)
			res.Queries += n
			if err != nil {
				return alertSet{}, fmt.Errorf("%s: alert %s: %w", ruleWhere(r), r.Alert, err)
			}
			gs, off := toGrid(ss, g)
			res.Warnings = appendOffGrid(res.Warnings, off)
			return buildAlerts(r, g, rt, gs), nil
		}
	}

	variant := func(set alertSet, x *float64, hold, keep time.Duration) Variant {
		v := Variant{For: hold, KeepFiringFor: keep}
		if x != nil {
			xv := *x
			v.Threshold = &xv
		}
		v.Firings = set.firings(r, g, timing{hold: hold.Milliseconds(), keep: keep.Milliseconds()}, nil)
		v.Metrics = Measure(r, v.Firings, cfg.Start, cfg.End, cfg.Measure)
		return v
	}
	sets := map[float64]alertSet{}
	get := func(x float64) (alertSet, error) {
		if s, ok := sets[x]; ok {
			return s, nil
		}
		s, err := alertsFor(ctx, x)
		if err != nil {
			return alertSet{}, err
		}
		sets[x] = s
		res.Warnings = append(res.Warnings, s.warnings()...)
		return s, nil
	}
	ownX := 0.0
	if own != nil {
		ownX = *own
	}
	before, err := get(ownX)
	if err != nil {
		return nil, err
	}
	res.Before = variant(before, own, r.ForDuration, r.KeepFiringForDuration)
	for _, x := range thresholds {
		set, err := get(x)
		if err != nil {
			return nil, err
		}
		var xp *float64
		if own != nil {
			xp = &x
		}
		for _, hold := range fors {
			for _, keep := range keeps {
				res.After = append(res.After, variant(set, xp, hold, keep))
			}
		}
	}
	res.Warnings = dedupe(res.Warnings)
	return res, nil
}

func appendOffGrid(ws []string, off int) []string {
	if off == 0 {
		return ws
	}
	return append(ws, fmt.Sprintf("%d samples off the evaluation instants were ignored", off))
}

func dedupe(ws []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range ws {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// formatNumber writes x as the shortest PromQL number literal that reads
// back as x.
func formatNumber(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// thresholdPlan is how to evaluate a rule's expression with any threshold
// from one evaluation of its signal (and of the operands around it).
type thresholdPlan struct {
	signal string
	op     string
	left   bool // the number is the comparison's left operand
	// levels are the set operators from the comparison up to the top,
	// innermost first.
	levels []setLevel
}

// setLevel is `cur op other`, cur being the side holding the comparison.
type setLevel struct {
	op       string // and, unless
	on       bool   // on(labels) rather than ignoring(labels)
	matching []string
	other    string
}

// planThreshold works out whether expr can be evaluated for any threshold
// from its signal: the comparison holding th must be the expression's top
// (brackets aside) or sit, through and/or/unless only, in their left
// operands. It returns nil and the reason otherwise. The operands' text is
// taken from the threshold scanner's tree (byte spans of the text as
// written) and each is checked against metricsql's parse of the whole.
func planThreshold(expr string, th *Threshold, inlined bool) (*thresholdPlan, string) {
	if inlined {
		return nil, "recording rules were inlined into the expression"
	}
	if th == nil || th.Offset < 0 || th.Offset+len(th.Text) > len(expr) || expr[th.Offset:th.Offset+len(th.Text)] != th.Text {
		return nil, "the threshold is not located in the expression"
	}
	me, err := metricsql.Parse(expr)
	if err != nil {
		return nil, "the expression does not parse"
	}
	p := &pparser{s: expr, toks: lexPromQL(expr)}
	root := p.expr(-10)
	if p.bad || p.peek().kind != tkEOF {
		return nil, "the expression could not be split exactly"
	}
	n := unparen(root)
	var levels []setLevel
	for n.kind == pBinary && (n.op == "and" || n.op == "or" || n.op == "unless") {
		if n.op == "or" {
			// Prometheus adds the right operand's series whose labels the
			// left lacks at that instant; MetricsQL matches whole series
			// over the range and fills the left's gaps from the right, so
			// no local combination is exact on both.
			return nil, "`or` is evaluated differently by Prometheus and VictoriaMetrics, so the rule is evaluated once per threshold"
		}
		be, ok := me.(*metricsql.BinaryOpExpr)
		if !ok || strings.ToLower(be.Op) != n.op {
			return nil, "the top of the expression is not the " + n.op + " the text shows"
		}
		other := strings.TrimSpace(expr[n.rhs.start:n.rhs.end])
		if !sameAST(be.Right, other) {
			return nil, "the operands of " + n.op + " could not be separated exactly"
		}
		if be.KeepMetricNames || be.JoinModifier.Op != "" || be.FillLeft != nil || be.FillRight != nil {
			return nil, n.op + " has modifiers not evaluated locally"
		}
		lv := setLevel{op: n.op, other: other}
		switch strings.ToLower(be.GroupModifier.Op) {
		case "on":
			lv.on, lv.matching = true, be.GroupModifier.Args
		case "ignoring":
			lv.matching = be.GroupModifier.Args
		}
		if slices.Contains(lv.matching, series.MetricName) {
			return nil, n.op + " matches on the metric name"
		}
		levels = append(levels, lv)
		n, me = unparen(n.lhs), be.Left
	}
	slices.Reverse(levels)
	be, ok := me.(*metricsql.BinaryOpExpr)
	if n.kind != pBinary || !ok || be.Op != n.op || n.op != th.Op || be.Bool || be.GroupModifier.Op != "" || be.JoinModifier.Op != "" || be.KeepMetricNames {
		return nil, "the threshold's comparison is not the expression's top or the left operand of and/or/unless"
	}
	if th.Offset < n.start || th.Offset >= n.end || th.SignalOffset < n.start || th.SignalOffset+len(th.Signal) > n.end {
		return nil, "the threshold is not in the comparison at the top"
	}
	signalSide, numSide := be.Left, be.Right
	if th.Left {
		signalSide, numSide = be.Right, be.Left
	}
	if ne, ok := numSide.(*metricsql.NumberExpr); !ok || ne.N != th.Value && !(math.IsNaN(ne.N) && math.IsNaN(th.Value)) {
		return nil, "the threshold's side of the comparison is not the plain number"
	}
	if !sameAST(signalSide, th.Signal) {
		return nil, "the signal could not be separated exactly"
	}
	return &thresholdPlan{signal: th.Signal, op: th.Op, left: th.Left, levels: levels}, ""
}

// sameAST reports whether text parses to the same expression as e.
func sameAST(e metricsql.Expr, text string) bool {
	p, err := metricsql.Parse(text)
	return err == nil && string(p.AppendString(nil)) == string(e.AppendString(nil))
}

// compare applies a PromQL comparison; NaN compares false except with !=.
func compare(op string, a, b float64) bool {
	switch op {
	case ">":
		return a > b
	case ">=":
		return a >= b
	case "<":
		return a < b
	case "<=":
		return a <= b
	case "==":
		return a == b
	case "!=":
		return a != b
	}
	panic("tuner: unknown comparison " + op)
}

// compareSeries filters the signal as `signal op x` (or `x op signal`
// when left) does in PromQL: the samples for which the comparison holds,
// with the signal's value.
func compareSeries(signal []gridSeries, op string, left bool, x float64) []gridSeries {
	out := make([]gridSeries, 0, len(signal))
	for _, s := range signal {
		f := gridSeries{labels: s.labels, name: s.name}
		for i, v := range s.vals {
			ok := compare(op, v, x)
			if left {
				ok = compare(op, x, v)
			}
			if ok {
				f.idx = append(f.idx, s.idx[i])
				f.vals = append(f.vals, v)
			}
		}
		if len(f.idx) > 0 {
			out = append(out, f)
		}
	}
	return out
}

// signature returns the matching key of ls for a set operator: the
// labels named by on(…), or all but those named by ignoring(…) (the
// metric name is already dropped).
func (lv setLevel) signature(ls series.Labels) string {
	var b strings.Builder
	for _, l := range ls {
		if lv.on != slices.Contains(lv.matching, l.Name) {
			continue
		}
		b.WriteString(l.Name)
		b.WriteByte(0xff)
		b.WriteString(l.Value)
		b.WriteByte(0xff)
	}
	return b.String()
}

// presenceBySignature returns, per signature, the instants at which some
// series with it has a sample.
func (lv setLevel) presenceBySignature(ss []gridSeries, n int) map[string]bitset {
	m := map[string]bitset{}
	for _, s := range ss {
		sig := lv.signature(s.labels)
		b, ok := m[sig]
		if !ok {
			b = newBitset(n)
			m[sig] = b
		}
		for _, k := range s.idx {
			b.set(int(k))
		}
	}
	return m
}

// setOp combines cur and other instant by instant as PromQL's and and
// unless do.
func setOp(lv setLevel, cur, other []gridSeries, n int) []gridSeries {
	return lv.filter(cur, lv.presenceBySignature(other, n))
}

// filter keeps, for and, the samples of cur whose signature the other
// operand has at that instant (have, from presenceBySignature), and for
// unless those it has not.
func (lv setLevel) filter(cur []gridSeries, have map[string]bitset) []gridSeries {
	keep := lv.op == "and"
	if lv.op != "and" && lv.op != "unless" {
		panic("tuner: set operator " + lv.op + " is not combined locally")
	}
	var out []gridSeries
	for _, s := range cur {
		b := have[lv.signature(s.labels)]
		f := gridSeries{labels: s.labels, name: s.name}
		for i, k := range s.idx {
			if b.has(int(k)) == keep {
				f.idx = append(f.idx, k)
				f.vals = append(f.vals, s.vals[i])
			}
		}
		if len(f.idx) > 0 {
			out = append(out, f)
		}
	}
	return out
}
