package anomaly

import (
	"math"
	"sort"
)

// IntervalConfig configures how scores become anomalous intervals. The
// zero value uses the documented defaults.
type IntervalConfig struct {
	// Open is the score at which an interval opens; default Threshold.
	Open float64
	// Close: the interval ends at the last sample scoring ≥ Close before
	// Gap samples in a row score below it; default 0.3.
	Close float64
	// Gap is that number of samples; default 12.
	Gap int
	// MaxMetrics caps the contributing metrics listed per interval;
	// default 5.
	MaxMetrics int
}

func (c IntervalConfig) withDefaults() IntervalConfig {
	if c.Open <= 0 {
		c.Open = Threshold
	}
	if c.Close <= 0 {
		c.Close = 0.3
	}
	if c.Close > c.Open {
		c.Close = c.Open
	}
	if c.Gap <= 0 {
		c.Gap = 12
	}
	if c.MaxMetrics <= 0 {
		c.MaxMetrics = 5
	}
	return c
}

// Interval is one anomalous stretch of a series or a machine.
type Interval struct {
	// Start and End are the timestamps (Unix ms) of its first and last
	// sample; StartIndex and EndIndex their indices (inclusive).
	Start, End           int64
	StartIndex, EndIndex int
	// Peak is the largest score inside and PeakAt its timestamp.
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
	// Score is the metric's own unsuppressed score (its peak within an
	// interval).
	Score float64
}

// Intervals groups scores into anomalous intervals: an interval opens at a
// sample scoring ≥ cfg.Open and closes at the last sample scoring
// ≥ cfg.Close before cfg.Gap samples in a row score below cfg.Close (or at
// the end). Use the unsuppressed scores (Result.Unsuppressed) so that an
// interval covers the whole event. NaN scores count as 0. It panics if ts
// and scores differ in length.
func Intervals(ts []int64, scores []float64, cfg IntervalConfig) []Interval {
	if len(ts) != len(scores) {
		panic("anomaly: Intervals needs as many timestamps as scores")
	}
	cfg = cfg.withDefaults()
	var out []Interval
	open := false
	var cur Interval
	below := 0
	for i, s := range scores {
		if math.IsNaN(s) {
			s = 0
		}
		if !open {
			if s >= cfg.Open {
				open = true
				cur = Interval{Start: ts[i], End: ts[i], StartIndex: i, EndIndex: i, Peak: s, PeakAt: ts[i]}
				below = 0
			}
			continue
		}
		if s >= cfg.Close {
			cur.End, cur.EndIndex = ts[i], i
			below = 0
		} else {
			below++
		}
		if s > cur.Peak {
			cur.Peak, cur.PeakAt = s, ts[i]
		}
		if below >= cfg.Gap {
			out = append(out, cur)
			open = false
		}
	}
	if open {
		out = append(out, cur)
	}
	return out
}

// attachMetrics fills the Metrics of each interval with the metrics whose
// peak score inside it is at least cfg.Close, strongest first, at most
// cfg.MaxMetrics.
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
			if peak >= cfg.Close {
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
