package engine

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/omenhq/omen/anomaly"
	"github.com/omenhq/omen/internal/seriesio"
	"github.com/omenhq/omen/series"
)

// DetectOptions configure Detect and DetectRows. The zero value is usable.
type DetectOptions struct {
	// Threshold is the score at which a sample is anomalous; default
	// anomaly.Threshold.
	Threshold float64
	// Machine scores all the series as the metrics of one machine.
	Machine bool
	// Progress, when set, is called after each series with the number
	// done and the total.
	Progress func(done, total int)
}

// Detection is the outcome for one series, or for one machine: a score and
// a flag per sample, from one threshold, and the intervals of flagged
// samples (an interval's peak is a score in Scores).
type Detection struct {
	// Labels are the series' labels, or machine="input" for a machine.
	Labels series.Labels
	// Timestamps are the samples' instants (Unix ms), as scored.
	Timestamps []int64
	// Values are the series' values; nil for a machine.
	Values []float64
	// Scores and Flags are per sample.
	Scores []float64
	Flags  []bool
	// Metrics are a machine's metrics, in column order.
	Metrics []string
	// Intervals are the runs of flagged samples.
	Intervals []anomaly.Interval
}

// Detect scores every series of ss with the streaming detector, in order,
// or, with opts.Machine, all of them as one machine on the union of their
// timestamps (a metric without a sample at an instant is NaN). It stops
// when ctx is done, saying how many series were done.
func Detect(ctx context.Context, ss []series.Series, opts DetectOptions) ([]Detection, error) {
	if opts.Machine {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("detection stopped before it began: %w", context.Cause(ctx))
		}
		return []Detection{detectMachine(ss, opts.Threshold)}, nil
	}
	out := make([]Detection, 0, len(ss))
	for i, s := range ss {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("detection stopped after %d of %d series: %w", i, len(ss), context.Cause(ctx))
		}
		out = append(out, detectOne(s.Labels, s.Timestamps, s.Values, opts.Threshold))
		if opts.Progress != nil {
			opts.Progress(i+1, len(ss))
		}
	}
	return out, nil
}

// DetectRows scores the rows of a file as the file holds them — in file
// order, rows out of time order and repeated timestamps included, as NAB
// scores them — for per-row output. With opts.Machine the rows must be the
// columns of a wide file (the same timestamps in the same order, see
// SameTimestamps) and are scored as one machine, row by row.
func DetectRows(ctx context.Context, rows []seriesio.Rows, opts DetectOptions) ([]Detection, error) {
	if opts.Machine {
		if !SameTimestamps(rows) {
			return nil, fmt.Errorf("cannot score the rows as one machine: the series do not share their timestamps row by row")
		}
		return []Detection{detectMachineRows(rows, opts.Threshold)}, nil
	}
	out := make([]Detection, 0, len(rows))
	for i, r := range rows {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("detection stopped after %d of %d series: %w", i, len(rows), context.Cause(ctx))
		}
		out = append(out, detectOne(r.Labels, r.Timestamps, r.Values, opts.Threshold))
		if opts.Progress != nil {
			opts.Progress(i+1, len(rows))
		}
	}
	return out, nil
}

// SameTimestamps reports whether every series of rows has the same
// timestamps in the same order: the columns of a wide CSV.
func SameTimestamps(rows []seriesio.Rows) bool {
	if len(rows) == 0 {
		return false
	}
	for _, r := range rows[1:] {
		if !slices.Equal(r.Timestamps, rows[0].Timestamps) {
			return false
		}
	}
	return true
}

func detectOne(ls series.Labels, ts []int64, vs []float64, threshold float64) Detection {
	r := anomaly.Detect(ts, vs, anomaly.Config{Threshold: threshold})
	return Detection{Labels: ls, Timestamps: ts, Values: vs, Scores: r.Scores, Flags: r.Anomalous, Intervals: r.Intervals}
}

// metricName is how a machine names one of its metrics: the metric name
// when it is the only label (a column of a wide file), else the labels.
func metricName(ls series.Labels) string {
	if len(ls) == 1 && ls.Name() != "" {
		return ls.Name()
	}
	return ls.String()
}

func detectMachine(ss []series.Series, threshold float64) Detection {
	var ts []int64
	for _, s := range ss {
		ts = append(ts, s.Timestamps...)
	}
	slices.Sort(ts)
	ts = slices.Compact(ts)
	metrics := make([]string, len(ss))
	rows := matrix(len(ts), len(ss))
	for i := range rows {
		for j := range rows[i] {
			rows[i][j] = math.NaN()
		}
	}
	for j, s := range ss {
		metrics[j] = metricName(s.Labels)
		k := 0
		for i, t := range s.Timestamps {
			for ts[k] < t {
				k++
			}
			rows[k][j] = s.Values[i]
		}
	}
	return machineDetection(ts, rows, metrics, threshold)
}

func detectMachineRows(rows []seriesio.Rows, threshold float64) Detection {
	ts := rows[0].Timestamps
	metrics := make([]string, len(rows))
	for j, r := range rows {
		metrics[j] = metricName(r.Labels)
	}
	vals := matrix(len(ts), len(rows))
	for i := range vals {
		for j, r := range rows {
			vals[i][j] = r.Values[i]
		}
	}
	return machineDetection(ts, vals, metrics, threshold)
}

// matrix returns n rows of m values over one allocation.
func matrix(n, m int) [][]float64 {
	flat := make([]float64, n*m)
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = flat[i*m : (i+1)*m]
	}
	return rows
}

func machineDetection(ts []int64, vals [][]float64, metrics []string, threshold float64) Detection {
	r := anomaly.DetectMachine(ts, vals, metrics, anomaly.MachineOptions{Config: anomaly.MachineConfig{Threshold: threshold}})
	return Detection{Labels: series.New("machine", "input"), Timestamps: ts, Scores: r.Scores, Flags: r.Anomalous, Metrics: metrics, Intervals: r.Intervals}
}
