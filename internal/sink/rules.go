package sink

import "github.com/omenhq/omen/tuner"

// Metric names omen writes back; the alerting rules on them are
// tuner.PredictiveRules.
const (
	// MetricETA is the predicted time to exhaustion in seconds from the
	// run, with a quantile label (0.1, 0.5, 0.9).
	MetricETA = tuner.MetricETA
	// MetricRisk is the risk level: 0 ok, 1 info, 2 warning, 3 critical,
	// with the pattern seen as a label.
	MetricRisk = tuner.MetricRisk
	// MetricAt is the predicted instant of exhaustion, in Unix seconds,
	// with a quantile label (0.1, 0.5, 0.9): `MetricAt - time()` counts
	// down between runs.
	MetricAt = tuner.MetricAt
)
