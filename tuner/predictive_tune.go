package tuner

import (
	"context"
	"fmt"
	"time"
)

// PredictiveTuneExtra returns a TuneConfig.Extra that backtests the
// predict_linear rules among those tuned against the omen rules that
// would replace them (BacktestPredictive with cfg, whose Start, End,
// Incidents, IncludeDrills, Rules, MaxPointsPerQuery and Concurrency are
// taken from the TuneConfig), and lists every rule compared in Skipped
// with the evidence in its reason: a tune proposal changes only numbers
// and durations, while the replacement is a rule of another kind, which
// `omen rules predictive` writes. The rules it could not compare are
// listed with the reason too.
func PredictiveTuneExtra(cfg PredictiveBacktestConfig) func(ctx context.Context, q Querier, rules []Rule, tc TuneConfig) ([]Proposal, []Skipped, error) {
	return func(ctx context.Context, q Querier, rules []Rule, tc TuneConfig) ([]Proposal, []Skipped, error) {
		c := cfg
		c.Start, c.End = tc.Start, tc.End
		c.Incidents, c.IncludeDrills = tc.Incidents, tc.IncludeDrills
		c.Rules, c.MaxPointsPerQuery, c.Concurrency = tc.Rules, tc.MaxPointsPerQuery, tc.Concurrency
		res, err := BacktestPredictive(ctx, q, rules, c)
		if err != nil {
			return nil, nil, err
		}
		var out []Skipped
		for _, cmp := range res.Comparisons {
			out = append(out, skippedOf(cmp.Rule, cmp.Advice()))
		}
		for _, s := range res.Skipped {
			out = append(out, skippedOf(s.Rule, "predict_linear, not compared with omen's predictions: "+s.Reason))
		}
		return nil, out, nil
	}
}

// Advice says in one sentence how the predict_linear rule and the omen
// rule replacing it did on the backtest, and whether the replacement does
// better: it catches at least as many events with no more false pages a
// week, and more events, fewer false pages or a longer median lead.
func (c PredictiveComparison) Advice() string {
	what := "exhaustions"
	if c.FromIncidents {
		what = "incidents"
	}
	one := func(s BacktestScore) string {
		lead := ""
		if s.LeadMedian != nil {
			lead = " " + FormatDuration(s.LeadMedian.Round(time.Minute)) + " ahead (median)"
		}
		return fmt.Sprintf("caught %d/%d %s%s, %.1f pages/week, %.1f false/week", len(s.Caught), len(c.Events), what, lead, s.PagesPerWeek, s.FalsePagesPerWeek)
	}
	verdict := "omen's prediction does not do better"
	if c.OmenBetter() {
		verdict = "omen's prediction does better"
	}
	return fmt.Sprintf("predict_linear rule; %s: %s of `omen rules predictive --interval %s` %s where this rule %s (horizon %s)",
		verdict, c.Proposal, FormatDuration(c.ProposalConfig.Interval), one(c.Omen), one(c.PredictLinear), FormatDuration(c.Horizon))
}

// OmenBetter reports whether the omen rule did better than the
// predict_linear rule on the backtest: at least as many events caught,
// no more false pages, and more caught, fewer false pages or a longer
// median lead time.
func (c PredictiveComparison) OmenBetter() bool {
	o, p := c.Omen, c.PredictLinear
	if len(o.Caught) < len(p.Caught) || o.FalsePages > p.FalsePages {
		return false
	}
	longer := o.LeadMedian != nil && (p.LeadMedian == nil || *o.LeadMedian > *p.LeadMedian)
	return len(o.Caught) > len(p.Caught) || o.FalsePages < p.FalsePages || longer
}
