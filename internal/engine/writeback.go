package engine

import (
	"time"

	"github.com/omenhq/omen/internal/sink"
	"github.com/omenhq/omen/series"
)

// WriteBackSeries turns results into the series omen writes back, one
// sample each at the as-of instant:
//
//	omen_exhaustion_eta_seconds{quantile="0.1|0.5|0.9", target, pattern, …}  (seconds from the run)
//	omen_exhaustion_at_seconds{quantile="0.1|0.5|0.9", target, pattern, …}   (the instant, Unix seconds)
//	omen_exhaustion_risk{target, pattern, …}  (0 ok, 1 info, 2 warning, 3 critical)
//
// with the target's own labels (the metric name becomes the label
// "metric"). A quantile beyond the horizon is not written: absence means
// "not within the horizon".
func WriteBackSeries(rep *Report) []series.Series {
	at := rep.AsOf.UnixMilli()
	var out []series.Series
	for _, r := range rep.Results {
		base := r.Labels.Without(series.MetricName)
		if name := r.Labels.Name(); name != "" {
			base = base.With("metric", name)
		}
		base = base.With("target", r.Spec).With("pattern", string(r.Pattern))
		out = append(out, series.Series{
			Labels:     base.With(series.MetricName, sink.MetricRisk),
			Timestamps: []int64{at}, Values: []float64{float64(r.Risk)},
		})
		if r.ETA == nil {
			continue
		}
		for _, q := range []struct {
			quantile string
			d        *time.Duration
		}{{"0.1", r.ETA.P10}, {"0.5", r.ETA.P50}, {"0.9", r.ETA.P90}} {
			if q.d == nil {
				continue
			}
			out = append(out, series.Series{
				Labels:     base.With(series.MetricName, sink.MetricETA).With("quantile", q.quantile),
				Timestamps: []int64{at}, Values: []float64{q.d.Seconds()},
			}, series.Series{
				Labels:     base.With(series.MetricName, sink.MetricAt).With("quantile", q.quantile),
				Timestamps: []int64{at}, Values: []float64{float64(rep.AsOf.Add(*q.d).UnixMilli()) / 1e3},
			})
		}
	}
	series.Sort(out)
	return out
}

// AnomalyWriteBackSeries turns detections into the series omen writes
// back: omen_anomaly_score{metric, …} per sample, with the series' labels
// (the metric name becomes the label "metric"). A machine's score is one
// series with machine="input".
func AnomalyWriteBackSeries(ds []Detection) []series.Series {
	out := make([]series.Series, 0, len(ds))
	for _, d := range ds {
		ls := d.Labels.Without(series.MetricName)
		if n := d.Labels.Name(); n != "" {
			ls = ls.With("metric", n)
		}
		out = append(out, series.Series{Labels: ls.With(series.MetricName, MetricAnomalyScore), Timestamps: d.Timestamps, Values: d.Scores})
	}
	return out
}

// MetricAnomalyScore is the anomaly score omen writes back, in [0, 1].
const MetricAnomalyScore = "omen_anomaly_score"
