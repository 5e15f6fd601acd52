package cli

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/anomaly"
	"github.com/omenhq/omen/internal/engine"
	"github.com/omenhq/omen/internal/seriesio"
	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/series"
)

// detectOptions are the flags of omen detect.
type detectOptions struct {
	fetchOptions
	Machine   bool
	PushTo    string
	Threshold float64
}

func newDetectCmd(g *globalOptions) *cobra.Command {
	o := &detectOptions{}
	cmd := &cobra.Command{
		Use:   "detect",
		Short: "Find anomalies with a causal, seasonal-aware streaming detector",
		Long: `detect scores every sample of every series with omen's streaming detector: a seasonal
baseline (the level, the daily and the weekly profile) and five statistics of its residuals
(the sample, the recent average, the recent spread, how long the value has not changed, the
range), each judged against the same series' own past, combined into a score in [0,1]
where 0.5 is a tail probability of 1e-5. It is causal: the score of a sample depends only on
the samples before it, so what it reports on history is what it would have said live.

An episode of unusual samples is reported once: one sample carries its score and the others
are capped at 0.125. Samples are anomalous from the sample whose score reaches --threshold
(default 0.5) until the series has been ordinary again for 12 samples. The intervals are the
runs of anomalous samples and their peak is the highest score among them, so every format
tells the same story: --format csv prints every input row with its score and its flag
(timestamp,value,anomaly_score,anomaly; with several series a series column first), the other
formats list the intervals: start, end, peak score, the series, and for a machine the metrics
that contributed.
With --input, --format csv scores and echoes the rows in file order, rows out of time order
and repeated timestamps included, as NAB scores them; every other output reads the series
sorted in time with the last row of a repeated timestamp (see "Reading data" in the README).

--machine scores all the series of the query as one machine (or a multi-column CSV, one
metric per column, which is read that way by default): per-metric deviations are combined
and each interval names the metrics behind it. --push-to writes omen_anomaly_score back.`,
		Example: `  omen detect --input requests.csv --format csv
  omen detect --prometheus http://prometheus:9090 --query 'sum by (job) (rate(http_requests_total[5m]))' --range 7d
  omen detect --prometheus http://prometheus:9090 --query '{instance="db-1:9100",__name__=~"node_load1|node_memory_Active_bytes"}' --machine
  omen detect --input machine.csv --format markdown`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDetect(cmd.Context(), g, o) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.Query, "query", "q", "", "PromQL/MetricsQL expression (with --input: a series selector; empty = every series)")
	f.StringVar(&o.Start, "start", "", "start `TIME` of the range")
	f.StringVar(&o.End, "end", "", "end `TIME` of the range (default --at, or now)")
	f.Var(durationValue{d: &o.Range}, "range", "length of the range, e.g. 7d (default 7d for servers; the whole file for --input)")
	f.Var(durationValue{d: &o.Step}, "step", "resolution (default: chosen from the range; files: raw samples)")
	excludeFlag(f, &o.Exclude)
	f.BoolVar(&o.Machine, "machine", false, "score all series together as the metrics of one machine")
	f.StringVar(&o.PushTo, "push-to", "", "write omen_anomaly_score back to this VictoriaMetrics or Prometheus (remote write) `URL`")
	f.Float64Var(&o.Threshold, "threshold", anomaly.Threshold, "score in (0,1] at which a sample is anomalous")
	f.StringVar(&o.Output, "output", "", "write to `FILE` instead of stdout (atomically)")
	return cmd
}

// detected is the outcome for one series or one machine, as rendered.
type detected = engine.Detection

func runDetect(ctx context.Context, g *globalOptions, o *detectOptions) error {
	if err := g.checkFormat(tableFormats...); err != nil {
		return err
	}
	if !(o.Threshold > 0 && o.Threshold <= 1) {
		return usagef("--threshold %g: want a score in (0, 1]", o.Threshold)
	}
	// Per-row output of a file scores and echoes every row in file order,
	// repeated timestamps included; everything else works on the series
	// in time order with one sample per timestamp.
	g.perRow = g.Format == "csv" && g.Input != "" && o.Step == 0 && !o.Machine
	res, q, err := g.query(ctx, &o.fetchOptions, 7*24*time.Hour, true)
	if err != nil {
		return err
	}
	machine := o.Machine || (g.Input != "" && len(res.Series) > 1 && wide(res.Series))
	var rows []seriesio.Rows
	if g.perRow {
		if at, _ := g.asOf(); !at.IsZero() && q.End.After(at) {
			q.End = at
		}
		if rows, err = g.input.QueryRows(ctx, q); err != nil {
			return err
		}
	}
	p := g.startProgress("detecting")
	defer p.Finish("")
	opts := engine.DetectOptions{Threshold: o.Threshold, Machine: machine, Progress: p.Counter("series")}
	var out []detected
	if rows != nil && (!machine || engine.SameTimestamps(rows)) {
		out, err = engine.DetectRows(ctx, rows, opts)
	} else {
		if machine && g.perRow {
			if w := g.input.Repairs().DuplicateWarning(g.input.Name()); w != "" {
				g.logger.Warn(w)
			}
		}
		out, err = engine.Detect(ctx, res.Series, opts)
	}
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("nothing written: %w", err)
		}
		return err
	}
	intervals := 0
	for _, d := range out {
		intervals += len(d.Intervals)
	}
	p.Finish("detected", "series", len(out), "intervals", intervals)
	err = writeOutput(ctx, o.Output, g.stdout, func(w io.Writer) error {
		if g.Format == "csv" {
			return detectCSV(w, g.Input, q, out)
		}
		return detectIntervals(w, g.Format, g.display(o.Output), out)
	})
	if err != nil {
		return err
	}
	if o.PushTo != "" {
		return g.push(ctx, o.PushTo, engine.AnomalyWriteBackSeries(out))
	}
	return nil
}

// wide reports whether the series look like the columns of a multi-column
// CSV: nothing but a metric name each.
func wide(ss []series.Series) bool {
	for _, s := range ss {
		if len(s.Labels) != 1 || s.Labels.Name() == "" {
			return false
		}
	}
	return true
}

// detectCSV prints every row with its score and flag. For a single-series
// CSV input the timestamps and values are echoed as written, in input
// order.
func detectCSV(w io.Writer, input string, q source.Query, out []detected) error {
	cw := csv.NewWriter(w)
	flag := func(d detected, i int) string {
		if d.Flags[i] {
			return "1"
		}
		return "0"
	}
	score := func(s float64) string { return strconv.FormatFloat(s, 'f', 6, 64) }
	switch {
	case len(out) == 1 && out[0].Values != nil && strings.EqualFold(filepath.Ext(input), ".csv"):
		if rows, ok := rawRows(input, q, out[0]); ok {
			_ = cw.Write([]string{"timestamp", "value", "anomaly_score", "anomaly"})
			for _, r := range rows {
				_ = cw.Write([]string{r.ts, r.value, score(out[0].Scores[r.i]), flag(out[0], r.i)})
			}
			cw.Flush()
			return cw.Error()
		}
		fallthrough
	case len(out) == 1 && out[0].Values != nil:
		_ = cw.Write([]string{"timestamp", "value", "anomaly_score", "anomaly"})
		d := out[0]
		for i, t := range d.Timestamps {
			_ = cw.Write([]string{time.UnixMilli(t).UTC().Format(time.RFC3339Nano), num(d.Values[i]), score(d.Scores[i]), flag(d, i)})
		}
	case len(out) == 1:
		_ = cw.Write([]string{"timestamp", "anomaly_score", "anomaly", "top_metrics"})
		d := out[0]
		for i, t := range d.Timestamps {
			_ = cw.Write([]string{time.UnixMilli(t).UTC().Format(time.RFC3339Nano), score(d.Scores[i]), flag(d, i), ""})
		}
	default:
		_ = cw.Write([]string{"series", "timestamp", "value", "anomaly_score", "anomaly"})
		for _, d := range out {
			for i, t := range d.Timestamps {
				_ = cw.Write([]string{d.Labels.String(), time.UnixMilli(t).UTC().Format(time.RFC3339Nano), num(d.Values[i]), score(d.Scores[i]), flag(d, i)})
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// rawRow is one data row of the input as written, with the index of the
// sample it was read into.
type rawRow struct {
	ts, value string
	i         int
}

// rawRows reads a single-series CSV's rows as written (seriesio.ReadCSVRows),
// in file order, each with the index of its sample: d holds the rows of the
// file in [q.Start, q.End] in file order. It gives up (ok false) when the
// file cannot be read that way or its rows are not d's, and the caller
// then writes the samples as parsed.
func rawRows(path string, q source.Query, d detected) ([]rawRow, bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	recs, err := seriesio.ReadCSVRows(f, path)
	if err != nil || len(recs) == 0 {
		return nil, false
	}
	start, end := q.Start.UnixMilli(), q.End.UnixMilli()
	out := make([]rawRow, 0, len(d.Timestamps))
	for _, rec := range recs {
		if rec.Timestamp < start || rec.Timestamp > end {
			continue
		}
		i := len(out)
		if i >= len(d.Timestamps) || d.Timestamps[i] != rec.Timestamp {
			return nil, false
		}
		out = append(out, rawRow{ts: rec.Time, value: rec.Value, i: i})
	}
	return out, len(out) == len(d.Timestamps)
}

// detectIntervals lists the anomalous intervals, most anomalous first.
func detectIntervals(w io.Writer, format string, d display, out []detected) error {
	type ivalJSON struct {
		Series  map[string]string `json:"series"`
		Start   time.Time         `json:"start"`
		End     time.Time         `json:"end"`
		Peak    float64           `json:"peak_score"`
		PeakAt  time.Time         `json:"peak_at"`
		Metrics []string          `json:"metrics,omitempty"`
	}
	var all []ivalJSON
	for _, d := range out {
		for _, iv := range d.Intervals {
			j := ivalJSON{Series: d.Labels.Map(), Start: time.UnixMilli(iv.Start).UTC(), End: time.UnixMilli(iv.End).UTC(), Peak: iv.Peak, PeakAt: time.UnixMilli(iv.PeakAt).UTC()}
			for _, c := range iv.Metrics {
				j.Metrics = append(j.Metrics, fmt.Sprintf("%s (%.2f)", c.Metric, c.Score))
			}
			all = append(all, j)
		}
	}
	slices.SortStableFunc(all, func(a, b ivalJSON) int { return a.Start.Compare(b.Start) })
	if format == "json" || format == "yaml" {
		if all == nil {
			all = []ivalJSON{}
		}
		return writeData(w, format, map[string]any{"intervals": all})
	}
	n := 0
	for _, d := range out {
		n += len(d.Timestamps)
	}
	t := tableData{
		Title:  fmt.Sprintf("omen detect: %d anomalous intervals in %d series (%d samples)", len(all), len(out), n),
		Header: []string{"START", "END", "DURATION", "PEAK", "SERIES", "METRICS"},
		Right:  []int{2, 3},
		Detail: "METRICS",
		Cut:    []string{"SERIES"},
	}
	for _, iv := range all {
		t.Rows = append(t.Rows, []string{iv.Start.Format("2006-01-02 15:04"), iv.End.Format("2006-01-02 15:04"), fmtDuration(iv.End.Sub(iv.Start)),
			strconv.FormatFloat(iv.Peak, 'f', 2, 64), series.FromMap(iv.Series).String(), strings.Join(iv.Metrics, ", ")})
	}
	return writeTable(w, format, d, t)
}
