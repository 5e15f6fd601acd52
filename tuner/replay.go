package tuner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/series"
)

// Defaults applied to zero ReplayConfig fields.
const (
	// DefaultMaxPointsPerQuery is the default ReplayConfig.MaxPointsPerQuery:
	// under Prometheus's limit of 11,000 points per series and request.
	DefaultMaxPointsPerQuery = 11000
	// DefaultConcurrency is the default ReplayConfig.Concurrency.
	DefaultConcurrency = 4
)

// ErrNoInstants is returned when [start, end] holds no evaluation instant.
var ErrNoInstants = errors.New("tuner: no evaluation instant in the range")

// ReplayConfig configures Replay. Start and End are required; the zero
// value of every other field is useful.
type ReplayConfig struct {
	// Start and End bound the replay, both included. Each rule is
	// evaluated at the instants of [Start, End] that are multiples of its
	// group's interval since the Unix epoch, with its state fresh at the
	// first of them.
	Start, End time.Time
	// MaxPointsPerQuery is the most instants one query_range request asks
	// for; a longer range is split into consecutive windows. Default
	// DefaultMaxPointsPerQuery (11,000): one rule over 30 days at 1m costs
	// four requests.
	MaxPointsPerQuery int
	// Concurrency is the number of requests in flight at once, over all
	// rules. Default DefaultConcurrency (4).
	Concurrency int
	// Rules are all the rules read, recording rules included: an alert
	// whose expression uses a recording rule's series is checked against
	// the server (is the series there over the range?) and, where that is
	// exact, evaluated with the recording rule's expression inlined. Nil
	// skips the check.
	Rules []Rule
}

func (c ReplayConfig) withDefaults() ReplayConfig {
	if c.MaxPointsPerQuery <= 0 {
		c.MaxPointsPerQuery = DefaultMaxPointsPerQuery
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	return c
}

func (c ReplayConfig) validate() error {
	if c.Start.IsZero() || c.End.IsZero() {
		return errors.New("tuner: replay start and end are required")
	}
	if c.End.Before(c.Start) {
		return fmt.Errorf("tuner: replay end %s is before start %s", c.End.UTC().Format(time.RFC3339), c.Start.UTC().Format(time.RFC3339))
	}
	return nil
}

// ReplayResult is what Replay found.
type ReplayResult struct {
	// Start and End are the range asked for.
	Start, End time.Time
	// Rules holds one entry per alerting rule replayed, in the order given.
	Rules []RuleReplay
	// Queries is the number of query_range requests made.
	Queries int
}

// RuleReplay is the replay of one alerting rule.
type RuleReplay struct {
	// Rule is the rule replayed.
	Rule Rule
	// Expr is the expression evaluated: the rule's, or with recording
	// rules inlined (see Dependencies).
	Expr string
	// Evaluations is the number of evaluation instants.
	Evaluations int
	// Firings are the periods during which a label set fired, ordered by
	// FiringAt and then by labels. Pending periods that never fired are
	// not listed.
	Firings []pir.Firing
	// Dependencies are the recording rules the expression uses.
	Dependencies []Dependency
	// Queries is the number of query_range requests this rule cost.
	Queries int
	// Warnings are things the replay had to work around: failed
	// evaluations, samples off the grid, missing recording rule series.
	Warnings []string
	// Err is why the rule could not be replayed (its expression does not
	// parse, the server rejected it); nil when it was.
	Err error
}

// Interval is a half-open stretch of time [From, To).
type Interval struct {
	From, To time.Time
}

// Dependency is a recording rule an alert's expression uses.
type Dependency struct {
	// Record is the recorded series' name; File and Line locate the
	// recording rule.
	Record string
	File   string
	Line   int
	// Missing are the stretches of the replay where the server held no
	// series of Record (empty when it held them throughout).
	Missing []Interval
	// Inlined reports whether the alert was evaluated with the recording
	// rule's expression in place of its series, which is exact when the
	// series is used as a plain instant selector, the recording rule adds
	// no labels and is evaluated at the alert's interval.
	Inlined bool
	// Reason says why a dependency with missing series was not inlined.
	Reason string
}

// Replay evaluates every alerting rule of rules over [cfg.Start, cfg.End]
// as Prometheus would have, through q's query_range at step = the rule's
// interval, and returns the firings. Recording rules in rules are not
// replayed (they serve as dependencies, see ReplayConfig.Rules). A rule
// that fails has its RuleReplay.Err set and the others go on; only a
// cancelled ctx or an invalid configuration fails the whole replay.
func Replay(ctx context.Context, q Querier, rules []Rule, cfg ReplayConfig) (*ReplayResult, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ev := newEvaluator(q, cfg)
	res := &ReplayResult{Start: cfg.Start, End: cfg.End}
	for _, r := range rules {
		if r.IsAlert() {
			res.Rules = append(res.Rules, RuleReplay{Rule: r, Expr: r.Expr})
		}
	}
	var wg sync.WaitGroup
	for i := range res.Rules {
		wg.Go(func() { ev.replayRule(ctx, &res.Rules[i]) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	for _, rr := range res.Rules {
		res.Queries += rr.Queries
	}
	return res, nil
}

// evaluator runs the range queries of a replay or what-if within one
// concurrency limit.
type evaluator struct {
	q   Querier
	cfg ReplayConfig
	sem chan struct{}

	mu       sync.Mutex
	coverage map[string]*coverageResult // by record name and interval
}

func newEvaluator(q Querier, cfg ReplayConfig) *evaluator {
	return &evaluator{q: q, cfg: cfg, sem: make(chan struct{}, cfg.Concurrency), coverage: map[string]*coverageResult{}}
}

func (ev *evaluator) replayRule(ctx context.Context, rr *RuleReplay) {
	r := rr.Rule
	if r.ParseError != "" {
		rr.Err = fmt.Errorf("%s: alert %s: expression does not parse: %s", ruleWhere(r), r.Alert, r.ParseError)
		return
	}
	if r.Interval <= 0 {
		rr.Err = fmt.Errorf("%s: alert %s: no evaluation interval", ruleWhere(r), r.Alert)
		return
	}
	g := newGrid(ev.cfg.Start, ev.cfg.End, r.Interval)
	rr.Evaluations = g.n
	if g.n == 0 {
		return
	}
	expr, n, err := ev.resolveDependencies(ctx, rr, g)
	rr.Queries += n
	if err != nil {
		rr.Err = err
		return
	}
	rr.Expr = expr
	ss, n, err := ev.rangeQuery(ctx, expr, g)
	rr.Queries += n
	if err != nil {
		rr.Err = fmt.Errorf("%s: alert %s: %w", ruleWhere(r), r.Alert, err)
		return
	}
	gs, off := toGrid(ss, g)
	if off > 0 {
		rr.Warnings = append(rr.Warnings, fmt.Sprintf("%d samples off the evaluation instants were ignored", off))
	}
	set := buildAlerts(r, g, newRuleTemplates(r), gs)
	rr.Warnings = append(rr.Warnings, set.warnings()...)
	rr.Firings = set.firings(r, g, timingOf(r), nil)
}

func timingOf(r Rule) timing {
	return timing{hold: r.ForDuration.Milliseconds(), keep: r.KeepFiringForDuration.Milliseconds()}
}

func ruleWhere(r Rule) string {
	if r.Line > 0 {
		return fmt.Sprintf("%s:%d", r.File, r.Line)
	}
	return r.File
}

// rangeQuery evaluates expr at every instant of g, in windows of at most
// MaxPointsPerQuery instants fetched concurrently, and returns the series
// and the number of requests made.
func (ev *evaluator) rangeQuery(ctx context.Context, expr string, g grid) ([]series.Series, int, error) {
	return ev.rangeQueryStep(ctx, expr, g.first, g.last(), g.step)
}

func (ev *evaluator) rangeQueryStep(ctx context.Context, expr string, first, last, step int64) ([]series.Series, int, error) {
	if last < first {
		return nil, 0, nil
	}
	n := int((last-first)/step) + 1
	per := ev.cfg.MaxPointsPerQuery
	windows := (n + per - 1) / per
	parts := make([][]series.Series, windows)
	errs := make([]error, windows)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for w := range windows {
		from := first + int64(w*per)*step
		to := min(from+int64(per-1)*step, last)
		wg.Go(func() {
			select {
			case ev.sem <- struct{}{}:
			case <-ctx.Done():
				errs[w] = context.Cause(ctx)
				return
			}
			defer func() { <-ev.sem }()
			ss, err := ev.q.QueryRange(ctx, expr, time.UnixMilli(from).UTC(), time.UnixMilli(to).UTC(), time.Duration(step)*time.Millisecond)
			if err != nil {
				errs[w] = err
				cancel()
				return
			}
			parts[w] = ss
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, windows, err
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, windows, err
	}
	var all []series.Series
	for _, p := range parts {
		all = append(all, p...)
	}
	if windows == 1 {
		return all, windows, nil
	}
	return series.Merge(all), windows, nil
}

// gridSeries is one result series on the evaluation grid: the indices of
// the instants where it has a sample, and the samples.
type gridSeries struct {
	labels series.Labels // without __name__
	name   string        // the metric name, which label templates see

	idx  []int32
	vals []float64
}

// toGrid places ss on g, dropping __name__, and returns how many samples
// were not on an instant of g.
func toGrid(ss []series.Series, g grid) ([]gridSeries, int) {
	out := make([]gridSeries, 0, len(ss))
	off := 0
	for _, s := range ss {
		gs := gridSeries{labels: s.Labels.Without(series.MetricName), name: s.Labels.Name(), idx: make([]int32, 0, s.Len()), vals: make([]float64, 0, s.Len())}
		for i, t := range s.Timestamps {
			k, ok := g.index(t)
			if !ok {
				off++
				continue
			}
			gs.idx = append(gs.idx, int32(k))
			gs.vals = append(gs.vals, s.Values[i])
		}
		if len(gs.idx) > 0 {
			out = append(out, gs)
		}
	}
	return out, off
}

// ruleTemplates are a rule's labels, sorted by name, ready to expand.
type ruleTemplates struct {
	labels    []labelTemplate
	templated bool // some label is a template
	usesValue bool // some label template uses the value
}

func newRuleTemplates(r Rule) ruleTemplates {
	var rt ruleTemplates
	for _, k := range slices.Sorted(maps.Keys(r.Labels)) {
		lt := newLabelTemplate(r.Alert, k, r.Labels[k])
		rt.labels = append(rt.labels, lt)
		rt.templated = rt.templated || lt.tmpl != nil || lt.parseErr != nil
		rt.usesValue = rt.usesValue || lt.usesValue
	}
	return rt
}

// alertLabels returns the labels of the alert for a result series with
// labels base (without __name__) and value v: base, then each rule label
// set to its expanded value (deleted when that is empty), then alertname,
// as Prometheus's AlertingRule.Eval builds them.
func (rt ruleTemplates) alertLabels(alert string, base series.Labels, baseMap map[string]string, v float64) series.Labels {
	m := make(map[string]string, len(base)+len(rt.labels)+1)
	for _, l := range base {
		m[l.Name] = l.Value
	}
	for _, lt := range rt.labels {
		m[lt.name] = lt.expand(baseMap, v)
	}
	m["alertname"] = alert
	return series.FromMap(m) // drops empty values
}

// alertSet is the label sets a rule's results give and the instants at
// which each was returned.
type alertSet struct {
	labels  []series.Labels
	present [][]int32
	// skip marks the instants at which two result series had the same
	// alert labels; Prometheus fails such an evaluation and changes no
	// state.
	skip    bitset
	skipped int
	first   int // first failed instant, when skipped > 0
	g       grid
}

// buildAlerts groups the result series gs of rule r into alert label sets.
func buildAlerts(r Rule, g grid, rt ruleTemplates, gs []gridSeries) alertSet {
	set := alertSet{g: g}
	ids := map[string]int{}
	multi := map[int]bool{} // ids fed by more than one series
	owner := []int{}        // the series that last fed each id
	add := func(ls series.Labels, si int) int {
		key := ls.String()
		id, ok := ids[key]
		if !ok {
			id = len(set.labels)
			ids[key] = id
			set.labels = append(set.labels, ls)
			set.present = append(set.present, nil)
			owner = append(owner, si)
		} else if owner[id] != si {
			multi[id] = true
			owner[id] = si
		}
		return id
	}
	for si, s := range gs {
		var baseMap map[string]string
		if rt.templated {
			// $labels is the result's labels, the metric name included.
			baseMap = s.labels.Map()
			if s.name != "" {
				baseMap[series.MetricName] = s.name
			}
		}
		if !rt.usesValue {
			id := add(rt.alertLabels(r.Alert, s.labels, baseMap, s.vals[0]), si)
			set.present[id] = append(set.present[id], s.idx...)
			continue
		}
		for i, k := range s.idx {
			id := add(rt.alertLabels(r.Alert, s.labels, baseMap, s.vals[i]), si)
			set.present[id] = append(set.present[id], k)
		}
	}
	for id := range multi {
		p := set.present[id]
		slices.Sort(p)
		out := p[:0]
		for i, k := range p {
			if i > 0 && p[i-1] == k {
				if set.skip == nil {
					set.skip = newBitset(g.n)
				}
				if !set.skip.has(int(k)) {
					set.skip.set(int(k))
					set.skipped++
					if set.skipped == 1 || int(k) < set.first {
						set.first = int(k)
					}
				}
				continue
			}
			out = append(out, k)
		}
		set.present[id] = out
	}
	return set
}

func (set alertSet) warnings() []string {
	if set.skipped == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%d evaluations failed (first at %s): the result held several series with the same labels after applying the alert labels, and Prometheus leaves the state unchanged then",
		set.skipped, set.g.time(set.first).Format(time.RFC3339))}
}

// firings runs the state machine over every label set and returns the
// firings sorted by FiringAt then labels, appended to dst.
func (set alertSet) firings(r Rule, g grid, t timing, dst []pir.Firing) []pir.Firing {
	var spans []span
	start := len(dst)
	for id, p := range set.present {
		spans = alertSpans(spans[:0], g, p, set.skip, t)
		for _, sp := range spans {
			f := pir.Firing{Alert: r.Alert, Labels: set.labels[id], ActiveAt: g.time(sp.active), FiringAt: g.time(sp.fired)}
			if sp.resolved >= 0 {
				f.ResolvedAt = g.time(sp.resolved)
			}
			dst = append(dst, f)
		}
	}
	sortFirings(dst[start:])
	return dst
}

func sortFirings(fs []pir.Firing) {
	slices.SortFunc(fs, func(a, b pir.Firing) int {
		return cmp.Or(a.FiringAt.Compare(b.FiringAt), a.Labels.Compare(b.Labels))
	})
}
