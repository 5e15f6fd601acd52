package capacity

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	omencap "github.com/omenhq/omen/capacity"
	"github.com/omenhq/omen/fixtures"
	"github.com/omenhq/omen/series"
)

// Options configure Run. The zero value runs the default benchmark.
type Options struct {
	// Seed and N select the scenarios: fixtures.CapacitySuite(Seed, N).
	// Defaults 1 and 160.
	Seed uint64
	N    int
	// Scenarios, when set, replaces the generated suite.
	Scenarios []fixtures.Scenario
	// ScenarioAsOfs, when set, holds the as-of instants of each of
	// Scenarios (parallel to it) and replaces AsOfs: scenarios with their
	// own histories, as fixtures.CapacityDraws makes them.
	ScenarioAsOfs [][]time.Time
	// AsOfs are the instants every scenario is predicted at. Default:
	// every 6 hours from 5 days before fixtures.SuiteAt() to 5 days after.
	AsOfs []time.Time
	// TrapStep is the spacing of the as-of instants at which traps are
	// predicted to count false alarms, between the first and the last of
	// AsOfs; 0 means 1 hour.
	TrapStep time.Duration
	// Within is the "full within" horizon of the detection scores; 0 means
	// 24 hours.
	Within time.Duration
	// Workers predicts scenarios in parallel; 0 means GOMAXPROCS.
	Workers int
	// Config is passed to capacity.Predict.
	Config omencap.Config
	// Rules are the baselines; nil means Rules().
	Rules []Rule
	// UsageOnly predicts from the usage series and a constant limit alone,
	// without restart counters, limit series or sizes: what the CSV
	// evaluation contract (omen predict --input) gives.
	UsageOnly bool
}

func (o Options) withDefaults() Options {
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.N <= 0 {
		o.N = 160
	}
	if len(o.AsOfs) == 0 {
		at := fixtures.SuiteAt()
		for k := -20; k <= 20; k++ {
			o.AsOfs = append(o.AsOfs, at.Add(time.Duration(k)*6*time.Hour))
		}
	}
	if o.TrapStep <= 0 {
		o.TrapStep = time.Hour
	}
	if o.Within <= 0 {
		o.Within = 24 * time.Hour
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Rules == nil {
		o.Rules = Rules()
	}
	return o
}

// Score is the accuracy of one predictor on the suite.
type Score struct {
	// Name is "omen" or the rule's name.
	Name string
	// TP, FP, FN, TN count (scenario, as-of) pairs by truth "full within
	// Within" against the predictor's decision (omen: P50 ≤ Within; a
	// rule: firing). Pairs whose resource is already exhausted, or past
	// the first crossing of a scenario that is not a leak, are left out.
	TP, FP, FN, TN        int
	Precision, Recall, F1 float64
	// FalseAlarms is the number of alarms started on the traps (an alarm
	// starts at a check where the decision is positive and was not at the
	// check before), per trap series-day; omen is checked every TrapStep,
	// a rule at every evaluation.
	FalseAlarms float64
	// Alarms is the number of alarms started on the traps.
	Alarms int
	// AlarmedFraction is the fraction of trap checks with a positive
	// decision.
	AlarmedFraction float64
	// ETA accuracy, omen only, over the pairs whose true time to full is
	// within the horizon: the median and 90th percentile of
	// |P50 − truth|/truth (a P50 beyond the horizon counts as the horizon),
	// and the fraction with P10 ≤ truth ≤ P90 (an absent P90 is unbounded,
	// an absent P10 a miss).
	ETAPairs      int
	MedianRelErr  float64
	P90RelErr     float64
	Coverage      float64
	MissedInRange int // pairs within the horizon whose P50 is beyond it
}

// TemplateScore is omen's score on the scenarios of one template.
type TemplateScore struct {
	Template  string
	Trap      bool
	Scenarios int
	Score
	// Rules are the rules' scores on the same scenarios.
	Rules []Score
}

// Report is the result of Run.
type Report struct {
	Seed        uint64
	Scenarios   int
	AsOfs       int
	Pairs       int
	TrapDays    float64
	Within      time.Duration
	Horizon     time.Duration
	Omen        Score
	Rules       []Score
	Templates   []TemplateScore
	Predictions int
	Elapsed     time.Duration
	// PerPrediction is the mean wall time of capacity.Predict.
	PerPrediction time.Duration
}

// pairResult is one omen prediction scored against the truth.
type pairResult struct {
	truth         time.Duration // 0 with !full
	full          bool          // truth within the horizon exists on the grid
	eligible      bool
	p10, p50, p90 *time.Duration
}

type scenarioResult struct {
	sc       fixtures.Scenario
	pairs    []pairResult
	rulesPos [][]bool // [rule][asof] firing at the as-of
	// Trap checks.
	omenTrap  []bool
	rulesTrap [][]bool
	trapDays  float64
	predTime  time.Duration
	preds     int
	err       error
}

// Target returns the capacity target of a scenario as the presets build
// it: a disk's available bytes falling to 0 (its size as Capacity), a
// container's working set rising to its limit with its restart counter.
func Target(sc fixtures.Scenario) omencap.Target {
	t := omencap.Target{Labels: sc.Series.Labels, Usage: sc.Series, Restarts: sc.Restarts}
	if sc.Direction == fixtures.Down {
		t.Direction = series.Down
		t.LimitValue = 0
		t.Capacity = sc.Limit
		return t
	}
	t.Direction = series.Up
	t.Limit = sc.Limit
	if sc.Limit.Len() == 0 {
		t.LimitValue = math.NaN()
	}
	return t
}

// asOf returns the target with every series cut at at, so that nothing
// after it can leak into the prediction.
func asOfTarget(t omencap.Target, at time.Time) omencap.Target {
	ms := at.UnixMilli()
	t.Usage = t.Usage.AsOf(ms)
	t.Limit = t.Limit.AsOf(ms)
	t.Capacity = t.Capacity.AsOf(ms)
	t.Restarts = t.Restarts.AsOf(ms)
	return t
}

// headroom returns the raw samples (no NaN) of the series the rules run
// on — available bytes, or limit − working set — and of the size.
func headroom(sc fixtures.Scenario) (ts []int64, hs []float64, sts []int64, svs []float64) {
	s := fixtures.Sparse(sc.Series)
	size := fixtures.Sparse(sc.Limit)
	if sc.Direction == fixtures.Down {
		return s.Timestamps, s.Values, size.Timestamps, size.Values
	}
	if size.Len() == 0 {
		return nil, nil, nil, nil
	}
	hs = make([]float64, s.Len())
	for i, t := range s.Timestamps {
		l, _ := instant(size.Timestamps, size.Values, t, 5*time.Minute)
		hs[i] = l - s.Values[i]
	}
	return s.Timestamps, hs, size.Timestamps, size.Values
}

// Run scores omen and the rules on the suite. It returns an error only
// when ctx is cancelled or a prediction fails.
func Run(ctx context.Context, o Options) (*Report, error) {
	o = o.withDefaults()
	scs := o.Scenarios
	if scs == nil {
		scs = fixtures.CapacitySuite(o.Seed, o.N)
	}
	cfg := o.Config
	horizon := cfg.Horizon
	if horizon <= 0 {
		horizon = 7 * 24 * time.Hour
	}
	asofs := slices.Clone(o.AsOfs)
	slices.SortFunc(asofs, time.Time.Compare)
	if o.ScenarioAsOfs != nil {
		if len(o.ScenarioAsOfs) != len(scs) {
			return nil, fmt.Errorf("benchcap: %d lists of as-of instants for %d scenarios", len(o.ScenarioAsOfs), len(scs))
		}
		asofs = o.ScenarioAsOfs[0]
	}
	start := time.Now()
	results := make([]scenarioResult, len(scs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				at := asofs
				if o.ScenarioAsOfs != nil {
					at = slices.Clone(o.ScenarioAsOfs[k])
					slices.SortFunc(at, time.Time.Compare)
				}
				results[k] = runScenario(scs[k], at, at[0], at[len(at)-1], o, horizon)
			}
		}()
	}
feed:
	for k := range scs {
		select {
		case <-ctx.Done():
			break feed
		case next <- k:
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep := &Report{Seed: o.Seed, Scenarios: len(scs), AsOfs: len(asofs), Within: o.Within, Horizon: horizon}
	if o.Scenarios != nil && o.ScenarioAsOfs == nil {
		// Given scenarios have no seed; draws (DrawOptions) keep theirs.
		rep.Seed = 0
	}
	var predTime time.Duration
	for _, r := range results {
		if r.err != nil {
			return nil, r.err
		}
		predTime += r.predTime
		rep.Predictions += r.preds
		rep.TrapDays += r.trapDays
	}
	rep.Elapsed = time.Since(start)
	if rep.Predictions > 0 {
		rep.PerPrediction = predTime / time.Duration(rep.Predictions)
	}
	rep.Omen = score("omen", results, o.Within, func(r *scenarioResult, j int) bool {
		p := r.pairs[j].p50
		return p != nil && *p <= o.Within
	}, func(r *scenarioResult) []bool { return r.omenTrap })
	rep.Omen.addETA(results, horizon)
	for ri, rule := range o.Rules {
		rep.Rules = append(rep.Rules, score(rule.Name, results, o.Within, func(r *scenarioResult, j int) bool {
			return r.rulesPos[ri][j]
		}, func(r *scenarioResult) []bool { return r.rulesTrap[ri] }))
	}
	for _, r := range results {
		for _, p := range r.pairs {
			if p.eligible {
				rep.Pairs++
			}
		}
	}
	// Per template.
	byT := map[string][]scenarioResult{}
	var keys []string
	for _, r := range results {
		k := template(r.sc)
		if _, ok := byT[k]; !ok {
			keys = append(keys, k)
		}
		byT[k] = append(byT[k], r)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rs := byT[k]
		s := score(k, rs, o.Within, func(r *scenarioResult, j int) bool {
			p := r.pairs[j].p50
			return p != nil && *p <= o.Within
		}, func(r *scenarioResult) []bool { return r.omenTrap })
		s.addETA(rs, horizon)
		ts := TemplateScore{Template: k, Trap: rs[0].sc.Trap, Scenarios: len(rs), Score: s}
		for ri, rule := range o.Rules {
			ts.Rules = append(ts.Rules, score(rule.Name, rs, o.Within, func(r *scenarioResult, j int) bool {
				return r.rulesPos[ri][j]
			}, func(r *scenarioResult) []bool { return r.rulesTrap[ri] }))
		}
		rep.Templates = append(rep.Templates, ts)
	}
	return rep, nil
}

// template names a scenario's template: kind and slug without the index.
func template(sc fixtures.Scenario) string {
	parts := strings.SplitN(sc.Name, "-", 3)
	if len(parts) == 3 {
		return parts[0] + "-" + parts[2]
	}
	return sc.Name
}

// meaningful reports whether the truth at at is meaningful: before the
// first crossing after the suite's as-of instant, or at any time for a
// leak, whose out-of-memory kills reset it (fixtures.Scenario.Clean keeps
// its course past the first crossing otherwise, so later crossings are not
// real events).
func meaningful(sc fixtures.Scenario, at time.Time) bool {
	return sc.FullAt.IsZero() || at.Before(sc.FullAt) || sc.Pattern == fixtures.PatternLeak
}

func runScenario(sc fixtures.Scenario, asofs []time.Time, first, last time.Time, o Options, horizon time.Duration) scenarioResult {
	r := scenarioResult{sc: sc}
	tgt := Target(sc)
	if o.UsageOnly {
		tgt.Restarts, tgt.Capacity = series.Series{}, series.Series{}
		if tgt.Limit.Len() > 0 {
			tgt.LimitValue = tgt.Limit.Values[tgt.Limit.Len()-1]
			tgt.Limit = series.Series{}
		}
	}
	predict := func(at time.Time) (omencap.Prediction, error) {
		t0 := time.Now()
		p, err := omencap.Predict(asOfTarget(tgt, at), at, o.Config)
		r.predTime += time.Since(t0)
		r.preds++
		return p, err
	}
	for _, at := range asofs {
		var pr pairResult
		ttf, ok := sc.TimeToFull(at)
		pr.eligible = (!ok || ttf > 0) && meaningful(sc, at)
		if ok && ttf <= horizon {
			pr.full, pr.truth = true, ttf
		} else if ok {
			pr.truth = ttf
		}
		p, err := predict(at)
		if err != nil {
			r.err = fmt.Errorf("cannot predict %s at %s: %w", sc.Name, at.Format(time.RFC3339), err)
			return r
		}
		if p.ETA != nil {
			pr.p10, pr.p50, pr.p90 = p.ETA.P10, p.ETA.P50, p.ETA.P90
		}
		r.pairs = append(r.pairs, pr)
	}
	ts, hs, sts, svs := headroom(sc)
	for _, rule := range o.Rules {
		pos := make([]bool, len(asofs))
		var trap []bool
		if len(ts) > 0 {
			evals, firing := rule.Timeline(ts, hs, sts, svs, first.UnixMilli(), last.UnixMilli())
			for j, at := range asofs {
				k := sort.Search(len(evals), func(i int) bool { return evals[i] > at.UnixMilli() }) - 1
				pos[j] = k >= 0 && firing[k]
			}
			if sc.Trap {
				trap = firing
			}
		} else if sc.Trap {
			trap = []bool{false}
		}
		r.rulesPos = append(r.rulesPos, pos)
		r.rulesTrap = append(r.rulesTrap, trap)
	}
	if sc.Trap {
		r.trapDays = last.Sub(first).Hours() / 24
		for at := first; !at.After(last); at = at.Add(o.TrapStep) {
			p, err := predict(at)
			if err != nil {
				r.err = fmt.Errorf("cannot predict %s at %s: %w", sc.Name, at.Format(time.RFC3339), err)
				return r
			}
			r.omenTrap = append(r.omenTrap, p.ETA != nil && p.ETA.P50 != nil && *p.ETA.P50 <= o.Within)
		}
	}
	return r
}

func score(name string, rs []scenarioResult, within time.Duration, pos func(*scenarioResult, int) bool, trap func(*scenarioResult) []bool) Score {
	s := Score{Name: name}
	var days, checks, alarmed float64
	var starts int
	for k := range rs {
		r := &rs[k]
		for j, p := range r.pairs {
			if !p.eligible {
				continue
			}
			got := pos(r, j)
			tw := p.full && p.truth > 0 && p.truth <= within
			switch {
			case tw && got:
				s.TP++
			case tw:
				s.FN++
			case got:
				s.FP++
			default:
				s.TN++
			}
		}
		if r.sc.Trap {
			days += r.trapDays
			prev := false
			for _, a := range trap(r) {
				checks++
				if a {
					alarmed++
					if !prev {
						starts++
					}
				}
				prev = a
			}
		}
	}
	if s.TP+s.FP > 0 {
		s.Precision = float64(s.TP) / float64(s.TP+s.FP)
	}
	if s.TP+s.FN > 0 {
		s.Recall = float64(s.TP) / float64(s.TP+s.FN)
	}
	if s.Precision+s.Recall > 0 {
		s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
	}
	s.Alarms = starts
	if days > 0 {
		s.FalseAlarms = float64(starts) / days
	}
	if checks > 0 {
		s.AlarmedFraction = alarmed / checks
	}
	return s
}

func (s *Score) addETA(rs []scenarioResult, horizon time.Duration) {
	var errs []float64
	covered := 0
	for _, r := range rs {
		for _, p := range r.pairs {
			if !p.eligible || !p.full || p.truth <= 0 {
				continue
			}
			truth := float64(p.truth)
			est := float64(horizon)
			if p.p50 != nil {
				est = float64(*p.p50)
			} else {
				s.MissedInRange++
			}
			errs = append(errs, math.Abs(est-truth)/truth)
			if p.p10 != nil && *p.p10 <= p.truth && (p.p90 == nil || p.truth <= *p.p90) {
				covered++
			}
		}
	}
	s.ETAPairs = len(errs)
	if len(errs) == 0 {
		return
	}
	slices.Sort(errs)
	s.MedianRelErr = pct(errs, 0.5)
	s.P90RelErr = pct(errs, 0.9)
	s.Coverage = float64(covered) / float64(len(errs))
}

func pct(sorted []float64, q float64) float64 {
	h := q * float64(len(sorted)-1)
	k := int(h)
	if k+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[k] + (h-float64(k))*(sorted[k+1]-sorted[k])
}
