package file

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"time"

	"github.com/VictoriaMetrics/metricsql"

	"github.com/omenhq/omen/internal/seriesio"
	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/series"
)

// Lookback is how far back a grid point of a stepped query looks for the
// latest sample: 5 minutes, Prometheus's default --query.lookback-delta.
const Lookback = 5 * time.Minute

// MaxPoints bounds the grid of a stepped query, (End-Start)/Step+1 points
// per series, so that a tiny step cannot exhaust memory.
const MaxPoints = 1 << 24

// Source serves a fixed set of series, read from a file or given in memory,
// as a source.Source. It is safe for concurrent use: queries never modify
// it and return copies.
type Source struct {
	name   string
	series []series.Series
	// rows[i] holds the samples of series[i] in file order.
	rows    []seriesio.Rows
	repairs seriesio.Repairs
}

var _ source.Source = (*Source)(nil)

// New returns a Source over ss. It keeps ss (sorted by labels in a new
// slice), so the caller must not modify the series afterwards. Every series
// must satisfy series.Validate and label sets must be unique; anything else
// is a programmer error and New panics.
func New(ss []series.Series) *Source {
	own := slices.Clone(ss)
	series.Sort(own)
	for i, s := range own {
		if err := s.Validate(); err != nil {
			panic(fmt.Sprintf("file.New: invalid series: %v", err))
		}
		if i > 0 && own[i-1].Labels.Equal(s.Labels) {
			panic(fmt.Sprintf("file.New: series %s given twice", s.Labels))
		}
	}
	rows := make([]seriesio.Rows, len(own))
	for i, x := range own {
		rows[i] = seriesio.Rows{Labels: x.Labels, Timestamps: x.Timestamps, Values: x.Values}
	}
	return &Source{name: "memory", series: own, rows: rows}
}

// Name returns the name the source was read under ("memory" for New).
func (s *Source) Name() string { return s.name }

// Repairs says what reading the file repaired (sorted, dropped) or
// assumed; the zero value for New.
func (s *Source) Repairs() seriesio.Repairs { return s.repairs }

// QueryRows is QueryRange without a step for per-row output: the samples
// of every matching series in [q.Start, q.End] as the file holds them, in
// file order with repeated timestamps kept. q.Step must be 0. The result
// is ordered by labels and shares no memory with s.
func (s *Source) QueryRows(ctx context.Context, q source.Query) ([]seriesio.Rows, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("cannot query %s for %q: %w", s.name, q.Expr, err)
	}
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("cannot query %s: %w", s.name, err)
	}
	if q.Step != 0 {
		return nil, fmt.Errorf("cannot query the rows of %s for %q: rows have no step, got %s", s.name, q.Expr, q.Step)
	}
	m, err := compileSelector(q.Expr)
	if err != nil {
		return nil, fmt.Errorf("cannot query %s: %w", s.name, err)
	}
	start, end := q.Start.UnixMilli(), q.End.UnixMilli()
	var out []seriesio.Rows
	for _, r := range s.rows {
		if !m.matches(r.Labels) {
			continue
		}
		c := seriesio.Rows{Labels: slices.Clone(r.Labels)}
		for i, t := range r.Timestamps {
			if t >= start && t <= end {
				c.Timestamps = append(c.Timestamps, t)
				c.Values = append(c.Values, r.Values[i])
			}
		}
		if c.Len() > 0 {
			out = append(out, c)
		}
	}
	return out, nil
}

// Series returns a deep copy of every series, sorted by labels.
func (s *Source) Series() []series.Series {
	out := make([]series.Series, len(s.series))
	for i, x := range s.series {
		out[i] = x.Clone()
	}
	return out
}

// Last returns the timestamp (Unix ms) of the latest sample of any series,
// and false when the source holds no sample: a file's "now".
func (s *Source) Last() (int64, bool) {
	var last int64
	found := false
	for _, x := range s.series {
		if x.Len() > 0 && (!found || x.Last() > last) {
			last, found = x.Last(), true
		}
	}
	return last, found
}

// QueryRange returns the series matching q.Expr with their samples in
// [q.Start, q.End], both inclusive. q.Expr is "" for every series or a
// series selector — a metric name and/or label matchers with =, !=, =~ and
// !~, regular expressions anchored as in Prometheus, and MetricsQL's
// {a="1" or b="2"}; any other expression fails with an error wrapping
// source.ErrUnsupportedQuery.
//
// With q.Step == 0 the raw samples are returned and Result.Step is 0. With a
// positive step (truncated to whole milliseconds, as Result.Step reports) the
// series are sampled on the grid of source.GridStart — the multiples of the
// step in [Start, End], or End alone when there is none — by the Prometheus rule (the latest sample at or before each point, no
// older than Lookback; see series.Align), and, as Prometheus does, points
// with no such sample are left out rather than returned as NaN; a NaN sample
// in the data stays a NaN point. Series with nothing in the range are left
// out. The result is sorted by labels and shares no memory with s.
func (s *Source) QueryRange(ctx context.Context, q source.Query) (*source.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("cannot query %s for %q: %w", s.name, q.Expr, err)
	}
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("cannot query %s: %w", s.name, err)
	}
	m, err := compileSelector(q.Expr)
	if err != nil {
		return nil, fmt.Errorf("cannot query %s: %w", s.name, err)
	}
	start, end := q.Start.UnixMilli(), q.End.UnixMilli()
	var step int64
	if q.Step > 0 {
		if step = q.Step.Milliseconds(); step < 1 {
			return nil, fmt.Errorf("cannot query %s for %q: step %s is below the 1ms resolution", s.name, q.Expr, q.Step)
		}
		// The grid every source uses (servers too): multiples of the step.
		start = source.GridStart(q.Start, q.End, time.Duration(step)*time.Millisecond).UnixMilli()
		if n := (series.Range{Start: start, End: end, Step: step}).Points(); n > MaxPoints {
			return nil, fmt.Errorf("cannot query %s for %q: step %s over %s gives %d points per series, more than %d; use a larger step",
				s.name, q.Expr, q.Step, q.End.Sub(q.Start), n, MaxPoints)
		}
	}
	res := &source.Result{Step: time.Duration(step) * time.Millisecond}
	for i, x := range s.series {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("cannot query %s for %q: %w", s.name, q.Expr, err)
			}
		}
		if !m.matches(x.Labels) {
			continue
		}
		var out series.Series
		if step == 0 {
			out = x.Slice(start, end).Clone()
		} else {
			out = sampleOnGrid(x, start, end, step, Lookback.Milliseconds())
		}
		if out.Len() > 0 {
			res.Series = append(res.Series, out)
		}
	}
	return res, nil
}

// sampleOnGrid returns the points of the grid start, start+step, … ≤ end
// that have a sample in [t-lookback, t], valued as the latest such sample:
// the points of series.Align that come from a sample, in a new series.
func sampleOnGrid(s series.Series, start, end, step, lookback int64) series.Series {
	out := series.Series{Labels: slices.Clone(s.Labels)}
	x := s.Slice(start-lookback, end)
	j := 0
	for t := start; t <= end; {
		for j < len(x.Timestamps) && x.Timestamps[j] <= t {
			j++
		}
		if j > 0 && x.Timestamps[j-1] >= t-lookback {
			out.Timestamps = append(out.Timestamps, t)
			out.Values = append(out.Values, x.Values[j-1])
		} else if j < len(x.Timestamps) {
			// Nothing until the next sample: jump to the first grid point
			// at or after it.
			next := x.Timestamps[j]
			if k := (next - start + step - 1) / step; start+k*step > t {
				t = start + k*step
				continue
			}
		} else {
			break
		}
		if t > end-step {
			break
		}
		t += step
	}
	return out
}

// matcher evaluates a series selector: a series matches when every filter
// of any one group matches.
type matcher struct {
	groups [][]filter
}

type filter struct {
	label      string
	value      string
	re         *regexp.Regexp
	isNegative bool
}

func (m *matcher) matches(ls series.Labels) bool {
	if m == nil {
		return true
	}
	for _, g := range m.groups {
		ok := true
		for _, f := range g {
			v := ls.Get(f.label)
			var hit bool
			if f.re != nil {
				hit = f.re.MatchString(v)
			} else {
				hit = v == f.value
			}
			if hit == f.isNegative {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// compileSelector parses expr as a series selector; "" matches everything.
func compileSelector(expr string) (*matcher, error) {
	if expr == "" {
		return nil, nil
	}
	e, err := metricsql.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("cannot parse query %q: %w", expr, err)
	}
	me, ok := e.(*metricsql.MetricExpr)
	if !ok {
		return nil, fmt.Errorf("query %q: %w: a file source evaluates only series selectors like name{label=\"v\"}", expr, source.ErrUnsupportedQuery)
	}
	if len(me.LabelFilterss) == 0 {
		return nil, fmt.Errorf("query %q: the selector has no matcher; expected a metric name or label matchers, or an empty query for every series", expr)
	}
	m := &matcher{}
	for _, lfs := range me.LabelFilterss {
		var g []filter
		for _, lf := range lfs {
			f := filter{label: lf.Label, value: lf.Value, isNegative: lf.IsNegative}
			if f.label == "" {
				f.label = series.MetricName
			}
			if lf.IsRegexp {
				re, err := regexp.Compile("^(?:" + lf.Value + ")$")
				if err != nil {
					return nil, fmt.Errorf("query %q: cannot compile regular expression %q of label %s: %w", expr, lf.Value, f.label, err)
				}
				f.re = re
			}
			g = append(g, f)
		}
		m.groups = append(m.groups, g)
	}
	return m, nil
}

// Open reads the file at path ("-" for standard input) into a Source. The
// format comes from the extension or the content (see seriesio.DetectFormat); gzip
// content (whatever the name) is decompressed first.
func Open(path string) (*Source, error) {
	if path == "-" {
		return ReadSource(os.Stdin, "stdin")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open metric file: %w", err)
	}
	defer f.Close()
	return ReadSource(f, path)
}

// ReadSource reads r (any format, gzip or not) into a Source named name.
func ReadSource(r io.Reader, name string) (*Source, error) {
	d, err := seriesio.Decode(r, name, seriesio.FormatAuto)
	if err != nil {
		return nil, err
	}
	return &Source{name: name, series: d.Series, rows: d.Rows, repairs: d.Repairs}, nil
}
