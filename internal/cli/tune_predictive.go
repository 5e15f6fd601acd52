package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/tuner"
)

// tunePredictiveOptions are omen tune's flags for the predict_linear
// rules: with --predictive, each predict_linear rule on a disk or memory
// signal is backtested against the rule of omen rules predictive that
// would replace it, and listed under "skipped" with the evidence (a tune
// proposal changes only numbers and durations; the replacement is a rule
// of another kind).
type tunePredictiveOptions struct {
	Enabled  bool
	Interval time.Duration
	Horizon  time.Duration
	Workers  int
}

func (o *tunePredictiveOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVar(&o.Enabled, "predictive", false, "also backtest the predict_linear rules on disk and memory against omen rules predictive's and list them with the evidence (as omen rules predictive --backtest)")
	f.Var(durationValue{d: &o.Interval}, "predictive-interval", "with --predictive: how often omen runs, the step of the past predictions (default 1h)")
	f.Var(durationValue{d: &o.Horizon}, "predictive-horizon", "with --predictive: how soon after a page an exhaustion must begin (default 24h for critical, 7d for warning)")
	f.IntVar(&o.Workers, "predictive-workers", 1, "with --predictive: predictions made at once")
}

// extra is the TuneConfig.Extra of the options: nil without --predictive.
func (o *tunePredictiveOptions) extra() func(ctx context.Context, q tuner.Querier, rules []tuner.Rule, tc tuner.TuneConfig) ([]tuner.Proposal, []tuner.Skipped, error) {
	if !o.Enabled {
		return nil
	}
	return tuner.PredictiveTuneExtra(tuner.PredictiveBacktestConfig{Step: o.Interval, Horizon: o.Horizon, Workers: o.Workers})
}
