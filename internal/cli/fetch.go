package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/omenhq/omen/internal/seriesio"
	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/units"
)

// fetchOptions are the flags of omen fetch.
type fetchOptions struct {
	Query  string
	Start  string
	End    string
	Range  time.Duration
	Step   time.Duration
	Output string
	// Exclude are --exclude files: incidents and maintenance windows whose
	// samples are treated as missing before fitting (forecast, detect).
	Exclude []string
}

var fetchFormats = []string{"table", "json", "yaml", "csv", "markdown", "openmetrics"}

func newFetchCmd(g *globalOptions) *cobra.Command {
	o := &fetchOptions{}
	cmd := &cobra.Command{
		Use:   "fetch",
		Short: "Export raw series from a server or a file, or summarise them",
		Long: `fetch reads the series of a query and writes them out: as CSV, as the JSON body of a
Prometheus query_range response (which --input reads back), as OpenMetrics text (which
promtool and VictoriaMetrics import), or, with --format table or markdown, one line per
series with its points, first and last sample and gaps.

Long ranges are split into windows under Prometheus's 11,000 points per series and
fetched with bounded concurrency and retries; nothing is lost or duplicated at the
borders. Without --step the server source picks one from the range; a file source
returns its raw samples.

The range is --start/--end, or --range ending at --end (default: --at, or now).
With --input and no range, the whole file is read.`,
		Example: `  # 30 days at 1-minute resolution, as CSV
  omen fetch --prometheus http://localhost:9090 --query 'node_filesystem_avail_bytes{mountpoint="/"}' \
      --range 30d --step 1m --format csv > avail.csv

  # what is in a file
  omen fetch --input avail.csv

  # as of a past instant, as query_range JSON
  omen fetch --input avail.csv --at 2026-11-01T00:00:00Z --range 7d --format json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runFetch(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Query, "query", "q", "", "PromQL/MetricsQL expression (with --input: a series selector; empty = every series)")
	f.StringVar(&o.Start, "start", "", "start `TIME` of the range (RFC3339, date, Unix seconds, now-2d)")
	f.StringVar(&o.End, "end", "", "end `TIME` of the range (default --at, or now)")
	f.Var(durationValue{d: &o.Range}, "range", "length of the range ending at --end, e.g. 30d (default 1d for servers)")
	f.Var(durationValue{d: &o.Step}, "step", "resolution, e.g. 1m (default: chosen from the range for servers, raw samples for files)")
	f.StringVar(&o.Output, "output", "", "write to `FILE` instead of stdout (atomically)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(fetchFormats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runFetch(ctx context.Context, g *globalOptions, o *fetchOptions) error {
	if err := g.checkFormat(fetchFormats...); err != nil {
		return err
	}
	res, _, err := g.query(ctx, o, 0, false)
	if err != nil {
		return err
	}
	return writeOutput(ctx, o.Output, g.stdout, func(w io.Writer) error {
		if g.Format == "table" || g.Format == "markdown" {
			return writeTable(w, g.Format, g.display(o.Output), summarize(res.Series, res.Step))
		}
		return writeSeries(w, g.Format, res.Series)
	})
}

// writeSeries writes raw series in one of the file formats omen reads.
func writeSeries(w io.Writer, format string, ss []series.Series) error {
	switch format {
	case "csv":
		return seriesio.WriteCSV(w, ss)
	case "json":
		return seriesio.WritePromJSON(w, ss)
	case "yaml":
		var buf bytes.Buffer
		if err := seriesio.WritePromJSON(&buf, ss); err != nil {
			return err
		}
		return jsonToYAML(w, buf.Bytes())
	case "openmetrics":
		return seriesio.WriteOpenMetrics(w, ss)
	}
	return fmt.Errorf("cannot write series as %q", format)
}

// query opens the source, resolves the range flags into a query (with
// defaultRange when neither --start nor --range is given for a server) and
// runs it. Source warnings are logged; no series at all is an error when
// need is set, a warning otherwise.
func (g *globalOptions) query(ctx context.Context, o *fetchOptions, defaultRange time.Duration, need bool) (*source.Result, source.Query, error) {
	if g.Prometheus != "" && o.Query == "" {
		return nil, source.Query{}, usagef("--query is required with --prometheus")
	}
	if g.Input == "" && o.Range == 0 && o.Start == "" && defaultRange > 0 {
		o.Range = defaultRange
	}
	src, err := g.source()
	if err != nil {
		return nil, source.Query{}, err
	}
	q, err := fetchQuery(g, o)
	if err != nil {
		return nil, q, err
	}
	p := g.startProgress("fetching")
	defer p.Finish("")
	res, err := src.QueryRange(ctx, q)
	if err != nil {
		return nil, q, err
	}
	p.Finish("fetched", "query", q.Expr, "series", len(res.Series))
	if len(o.Exclude) > 0 {
		excl, err := g.exclusions(o.Exclude)
		if err != nil {
			return nil, q, err
		}
		masked := 0
		for i := range res.Series {
			var n int
			res.Series[i], n = pir.Exclude(res.Series[i], excl)
			masked += n
		}
		g.logger.Info("excluded windows", "windows", len(excl), "samples", masked)
	}
	for _, w := range res.Warnings {
		g.logger.Warn("source warning", "query", q.Expr, "warning", w)
	}
	if len(res.Series) == 0 {
		if need {
			return nil, q, fmt.Errorf("the query %q returned no series %s", q.Expr, g.describeRange(q))
		}
		g.logger.Warn("the query returned no series "+g.describeRange(q), "query", q.Expr)
	}
	return res, q, nil
}

// describeRange says which range a query covered, for messages: a file
// read whole has no start.
func (g *globalOptions) describeRange(q source.Query) string {
	end := q.End.UTC().Format(time.RFC3339)
	if q.Start.Equal(wholeFile) {
		return fmt.Sprintf("in %s up to %s", g.input.Name(), end)
	}
	return fmt.Sprintf("between %s and %s", q.Start.UTC().Format(time.RFC3339), end)
}

// wholeFile is the start of a query over all of an --input file.
var wholeFile = time.UnixMilli(math.MinInt64 / 2)

// fetchQuery resolves the range flags into a query.
func fetchQuery(g *globalOptions, o *fetchOptions) (source.Query, error) {
	now := g.now()
	q := source.Query{Expr: o.Query, Step: o.Step}
	at, err := g.asOf()
	if err != nil {
		return q, err
	}
	if o.Start != "" && o.Range != 0 {
		return q, usagef("--start and --range are alternatives: give one")
	}
	switch {
	case o.End != "":
		if q.End, err = parseTime(o.End, now); err != nil {
			return q, usagef("invalid --end: %v", err)
		}
	case !at.IsZero():
		q.End = at
	default:
		q.End = now
		if end, ok := g.inputEnd(); ok {
			q.End = end // a file's history ends at its last sample
		}
	}
	switch {
	case o.Start != "":
		if q.Start, err = parseTime(o.Start, now); err != nil {
			return q, usagef("invalid --start: %v", err)
		}
	case o.Range != 0:
		q.Start = q.End.Add(-o.Range)
	case g.Input != "":
		// A file with no range asked: everything it holds up to --end.
		q.Start = wholeFile
	default:
		q.Start = q.End.Add(-24 * time.Hour)
	}
	if q.End.Before(q.Start) {
		return q, usagef("the range ends (%s) before it starts (%s)", q.End.UTC().Format(time.RFC3339), q.Start.UTC().Format(time.RFC3339))
	}
	return q, nil
}

// summarize describes each series on one line: labels, points, first and
// last sample, step, gaps and the value range. Labels shared by every
// series go to the title, so the rows show what tells series apart. Values
// of metrics named *_bytes are shown in binary units.
func summarize(ss []series.Series, step time.Duration) tableData {
	t := tableData{
		Header:   []string{"SERIES", "POINTS", "FIRST", "LAST", "STEP", "GAPS", "MISSING", "MIN", "MAX", "LAST VALUE"},
		Right:    []int{1, 4, 5, 6, 7, 8, 9},
		Optional: []string{"MISSING", "FIRST", "MIN", "MAX"},
		Cut:      []string{"SERIES"},
	}
	common := commonLabels(ss)
	if len(ss) > 1 && len(common) > 0 {
		t.Title = "common labels: " + common.String()
	}
	for _, s := range ss {
		st := step.Milliseconds()
		if st == 0 {
			st = series.Step(s)
		}
		gaps := series.Gaps(s, st, 1.5)
		var missing time.Duration
		for _, gp := range gaps {
			missing += gp.Duration() - time.Duration(st)*time.Millisecond
		}
		lo, hi, last := math.Inf(1), math.Inf(-1), math.NaN()
		for _, v := range s.Values {
			if math.IsNaN(v) {
				continue
			}
			lo, hi, last = min(lo, v), max(hi, v), v
		}
		if s.Len() == 0 || math.IsInf(lo, 1) {
			lo, hi = math.NaN(), math.NaN()
		}
		first, lastT := "-", "-"
		if s.Len() > 0 {
			first, lastT = fmtTime(s.First()), fmtTime(s.Last())
		}
		inBytes := units.IsBytes(s.Labels.Name()) || s.Labels.Get("unit") == "byte"
		fv := func(v float64) string { return fmtValue(v, inBytes) }
		ls := s.Labels
		if len(ss) > 1 {
			ls = ls.Without(labelNames(common)...)
		}
		t.Rows = append(t.Rows, []string{
			ls.String(), strconv.Itoa(s.Len()), first, lastT,
			fmtDuration(time.Duration(st) * time.Millisecond), strconv.Itoa(len(gaps)), fmtDuration(missing),
			fv(lo), fv(hi), fv(last),
		})
	}
	return t
}

// commonLabels returns the labels every series of ss has with equal values.
func commonLabels(ss []series.Series) series.Labels {
	if len(ss) == 0 {
		return nil
	}
	var out series.Labels
	for _, l := range ss[0].Labels {
		shared := true
		for _, s := range ss[1:] {
			if s.Labels.Get(l.Name) != l.Value {
				shared = false
				break
			}
		}
		if shared {
			out = append(out, l)
		}
	}
	return out
}

func labelNames(ls series.Labels) []string {
	names := make([]string, len(ls))
	for i, l := range ls {
		names[i] = l.Name
	}
	return names
}

// exclusions loads the --exclude files (incidents in any format omen
// incidents reads, maintenance windows as minimal YAML: id, start, end):
// every record is a window, drills included.
func (g *globalOptions) exclusions(paths []string) ([]pir.Incident, error) {
	l, err := pir.Load(paths...)
	if err != nil {
		return nil, usagef("invalid --exclude: %v", err)
	}
	if len(l.Incidents) == 0 {
		return nil, usagef("invalid --exclude %s: no incident or window found in it", strings.Join(paths, ", "))
	}
	return l.Incidents, nil
}

// excludeFlag registers --exclude on a command.
func excludeFlag(f *pflag.FlagSet, paths *[]string) {
	f.StringArrayVar(paths, "exclude", nil, "treat the windows of these incidents or maintenance windows (`PATH`: any incident format, or minimal YAML of id, start, end) as missing data when fitting (repeatable)")
}
