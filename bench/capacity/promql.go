package benchcap

import (
	"time"

	"github.com/omenhq/omen/tuner"
)

// The predict_linear kernel (PromQL's linearRegression with Kahan sums)
// and the rule's pending → firing replay live in package tuner
// (tuner.PredictLinear, tuner.PredictLinearRule); this file holds only the
// rules the benchmark compares with.

// Rule is a predict_linear alerting rule on a headroom series, as
// tuner.PredictLinearRule describes it.
type Rule = tuner.PredictLinearRule

// Rules returns the rules the benchmark compares with: the bare mixin
// expression on a 6h and a 24h window, and the full mixin condition with
// the 40% threshold on both windows, all held for 1h.
func Rules() []Rule {
	return []Rule{
		{Name: "predict_linear[6h] for 1h", Range: 6 * time.Hour, Predict: 24 * time.Hour, Hold: time.Hour},
		{Name: "predict_linear[24h] for 1h", Range: 24 * time.Hour, Predict: 24 * time.Hour, Hold: time.Hour},
		{Name: "mixin: <40% and predict_linear[6h]", Range: 6 * time.Hour, Predict: 24 * time.Hour, Hold: time.Hour, PercentBelow: 40},
		{Name: "mixin: <40% and predict_linear[24h]", Range: 24 * time.Hour, Predict: 24 * time.Hour, Hold: time.Hour, PercentBelow: 40},
	}
}

// instant is an instant vector selector's value (tuner.InstantValue).
func instant(ts []int64, vs []float64, evalT int64, lookback time.Duration) (float64, bool) {
	return tuner.InstantValue(ts, vs, evalT, lookback)
}
