package anomaly

import (
	"math"
	"sort"
)

// IntervalConfig configures the metrics listed with a machine's intervals.
// The zero value uses the documented defaults.
type IntervalConfig struct {
	// MinMetricScore is the peak score, within an interval, a metric needs
	// to be listed as contributing; default 0.3.
	MinMetricScore float64
	// MaxMetrics caps the contributing metrics listed per interval;
	// default 5.
	MaxMetrics int
}

func (c IntervalConfig) withDefaults() IntervalConfig {
	if c.MinMetricScore <= 0 {
		c.MinMetricScore = 0.3
	}
	if c.MaxMetrics <= 0 {
		c.MaxMetrics = 5
	}
	return c
}

// Interval is one anomalous stretch of a series or a machine: a run of
// anomalous samples.
type Interval struct {
	// Start and End are the timestamps (Unix ms) of its first and last
	// sample; StartIndex and EndIndex their indices (inclusive).
	Start, End           int64
	StartIndex, EndIndex int
	// Peak is the largest score of its samples and PeakAt the timestamp of
	// the first sample with that score.
	Peak   float64
	PeakAt int64
	// Metrics lists the metrics that contributed (machine intervals only),
	// strongest first.
	Metrics []Contribution
}

// Contribution is one metric's part in a machine-level score or interval.
type Contribution struct {
	// Metric is the metric's name and Index its column.
	Metric string
	Index  int
	// Score is the metric's own score (its peak within an interval).
	Score float64
}

// Intervals returns the anomalous intervals: each maximal run of samples
// with anomalous[i] set is one interval, and its peak is the largest of
// their scores (NaN scores count as 0). Built this way, the intervals and
// the per-sample scores and flags they come from cannot disagree. It
// panics if the slices differ in length.
func Intervals(ts []int64, scores []float64, anomalous []bool) []Interval {
	if len(ts) != len(scores) || len(ts) != len(anomalous) {
		panic("anomaly: Intervals needs as many timestamps, scores and flags")
	}
	var out []Interval
	for i := 0; i < len(ts); i++ {
		if !anomalous[i] {
			continue
		}
		iv := Interval{Start: ts[i], StartIndex: i, Peak: math.Inf(-1)}
		for ; i < len(ts) && anomalous[i]; i++ {
			s := scores[i]
			if math.IsNaN(s) {
				s = 0
			}
			if s > iv.Peak {
				iv.Peak, iv.PeakAt = s, ts[i]
			}
			iv.End, iv.EndIndex = ts[i], i
		}
		out = append(out, iv)
	}
	return out
}

// attachMetrics fills the Metrics of each interval with the metrics whose
// peak score inside it is at least cfg.MinMetricScore, strongest first, at
// most cfg.MaxMetrics.
func attachMetrics(iv []Interval, metricScores [][]float64, names []string, cfg IntervalConfig) {
	cfg = cfg.withDefaults()
	for k := range iv {
		var cs []Contribution
		for j, ms := range metricScores {
			peak := 0.0
			for i := iv[k].StartIndex; i <= iv[k].EndIndex; i++ {
				if ms[i] > peak {
					peak = ms[i]
				}
			}
			if peak >= cfg.MinMetricScore {
				cs = append(cs, Contribution{Metric: names[j], Index: j, Score: peak})
			}
		}
		sort.SliceStable(cs, func(a, b int) bool { return cs[a].Score > cs[b].Score })
		if len(cs) > cfg.MaxMetrics {
			cs = cs[:cfg.MaxMetrics]
		}
		iv[k].Metrics = cs
	}
}
