package source

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/omenhq/omen/series"
)

// ErrUnsupportedQuery is returned by sources that cannot evaluate a query
// expression (files only understand series selectors).
var ErrUnsupportedQuery = errors.New("source: unsupported query")

// ErrAfterAsOf is returned by a source wrapped with AsOf for a query that
// starts after the as-of instant: nothing it asks for is known yet.
var ErrAfterAsOf = errors.New("source: range after the as-of instant")

// Query asks for the samples of Expr between Start and End inclusive.
type Query struct {
	// Expr is a PromQL/MetricsQL expression. File sources accept only a
	// series selector (metric name and label matchers) or "" for every series.
	Expr string
	// Start and End bound the range, both inclusive.
	Start, End time.Time
	// Step is the resolution. Zero lets the source choose: servers pick a
	// step from the range (see prom.ChooseStep); files return raw samples.
	Step time.Duration
}

// Validate checks that the range is well formed.
func (q Query) Validate() error {
	if q.Start.IsZero() || q.End.IsZero() {
		return fmt.Errorf("query %q: start and end are required", q.Expr)
	}
	if q.End.Before(q.Start) {
		return fmt.Errorf("query %q: end %s is before start %s", q.Expr, q.End.Format(time.RFC3339), q.Start.Format(time.RFC3339))
	}
	if q.Step < 0 {
		return fmt.Errorf("query %q: negative step %s", q.Expr, q.Step)
	}
	return nil
}

// Result is what a query returns: the series sorted by labels, and any
// warnings the source raised (partial data, server warnings).
type Result struct {
	Series   []series.Series
	Warnings []string
	// Step is the resolution actually used; 0 for raw samples.
	Step time.Duration
}

// Source is anything omen can read metric history from.
type Source interface {
	// QueryRange returns the series of q. Implementations honour ctx
	// cancellation and wrap errors with what was asked.
	QueryRange(ctx context.Context, q Query) (*Result, error)
}

// AsOf wraps src so that nothing after at is ever returned: a query's End is
// clipped to at and later samples are dropped. It is how --at works.
func AsOf(src Source, at time.Time) Source {
	if at.IsZero() {
		return src
	}
	return asOf{src: src, at: at}
}

type asOf struct {
	src Source
	at  time.Time
}

func (a asOf) QueryRange(ctx context.Context, q Query) (*Result, error) {
	if q.End.After(a.at) {
		q.End = a.at
	}
	if q.Start.After(q.End) {
		return nil, fmt.Errorf("query %q: the range starts at %s, after the as-of instant %s: %w", q.Expr,
			q.Start.UTC().Format(time.RFC3339Nano), a.at.UTC().Format(time.RFC3339Nano), ErrAfterAsOf)
	}
	res, err := a.src.QueryRange(ctx, q)
	if err != nil {
		return nil, err
	}
	at := a.at.UnixMilli()
	for i := range res.Series {
		res.Series[i] = res.Series[i].AsOf(at)
	}
	return res, nil
}
