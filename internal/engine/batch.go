package engine

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metricsql"
	"github.com/prometheus/common/model"

	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/series"
)

// DefaultBatchSize is the number of usage series fetched and predicted at a
// time when a spec can be split: it bounds the memory of a run over a large
// fleet (500 series of 14 days at 5 minutes are about 32 MB of samples).
const DefaultBatchSize = 500

// maxMatcherBytes bounds the matcher a batch adds, so that a query stays
// well under the servers' limits on its length (VictoriaMetrics refuses
// queries over 16 KiB by default).
const maxMatcherBytes = 8 << 10

// split returns spec narrowed into batches of at most size usage series.
//
// A spec is split when its usage query is a plain series selector and it
// has On labels. The usage series are listed with one cheap query — every
// series with a sample anywhere in the window, with
// last_over_time(selector[window]) at end, or on a source that evaluates
// only selectors (a file) the selector itself — and grouped by the value of
// the first On label; each batch adds label=~"v1|v2|…" to every selector of
// the spec, so the limit, capacity and restart series of a batch come with
// it. A batch also closes when its matcher would exceed maxMatcherBytes. A
// value with more series than a batch is split again by the next On label.
// Anything else — an aggregation, no On labels — is one batch.
//
// With an active shard, only the listed series the shard owns are batched
// (none: no batch), even when they are fewer than size, and the On labels
// are tried finest first (the label with the most distinct values: pod
// before namespace), so that a batch fetches few series of other shards;
// Predict drops those.
func split(ctx context.Context, src source.Source, spec TargetSpec, start, end time.Time, size int, shard Shard) ([]TargetSpec, error) {
	if len(spec.On) == 0 || !isSelector(spec.Usage) || (size <= 0 && !shard.Active()) {
		return []TargetSpec{spec}, nil
	}
	listed, err := list(ctx, src, spec.Usage, start, end)
	if err != nil {
		return nil, err
	}
	if !shard.Active() {
		if len(listed) <= size {
			return []TargetSpec{spec}, nil
		}
		return splitBy(spec, listed, spec.On, size), nil
	}
	listed = slices.DeleteFunc(listed, func(ls series.Labels) bool { return !shard.Owns(spec, ls) })
	if len(listed) == 0 {
		return nil, nil
	}
	if size <= 0 {
		size = len(listed)
	}
	return splitBy(spec, listed, finestFirst(spec.On, listed), size), nil
}

// finestFirst orders the labels on by their number of distinct values in
// listed, most first (stable among equals).
func finestFirst(on []string, listed []series.Labels) []string {
	distinct := make(map[string]int, len(on))
	for _, l := range on {
		seen := map[string]struct{}{}
		for _, ls := range listed {
			seen[ls.Get(l)] = struct{}{}
		}
		distinct[l] = len(seen)
	}
	out := slices.Clone(on)
	slices.SortStableFunc(out, func(a, b string) int { return distinct[b] - distinct[a] })
	return out
}

// list returns the label sets of the series of a selector with a sample in
// [start, end].
func list(ctx context.Context, src source.Source, selector string, start, end time.Time) ([]series.Labels, error) {
	res, err := src.QueryRange(ctx, source.Query{Expr: lastOverTime(selector, end.Sub(start)), Start: end, End: end, Step: time.Minute})
	if errors.Is(err, source.ErrUnsupportedQuery) {
		res, err = src.QueryRange(ctx, source.Query{Expr: selector, Start: start, End: end})
	}
	if err != nil {
		return nil, fmt.Errorf("cannot list the series of %s: %w", shorten(selector), err)
	}
	out := make([]series.Labels, len(res.Series))
	for i, s := range res.Series {
		// last_over_time drops the metric name; the On labels are kept.
		out[i] = s.Labels
	}
	return out, nil
}

// splitBy groups listed by the value of on[0] into batches of at most size
// series and maxMatcherBytes of matcher; a value with more than size series
// is split again by on[1:] with that value pinned.
func splitBy(spec TargetSpec, listed []series.Labels, on []string, size int) []TargetSpec {
	label := on[0]
	groups := map[string][]series.Labels{}
	for _, ls := range listed {
		v := ls.Get(label)
		groups[v] = append(groups[v], ls)
	}
	values := make([]string, 0, len(groups))
	for v := range groups {
		values = append(values, v)
	}
	slices.Sort(values)
	var out []TargetSpec
	var batch []string
	n, bytes := 0, 0
	flush := func() {
		if len(batch) > 0 {
			out = append(out, narrow(spec, label, batch))
		}
		batch, n, bytes = nil, 0, 0
	}
	for _, v := range values {
		g := groups[v]
		if len(g) > size && len(on) > 1 {
			// Too many series for one value: pin it and split by the next label.
			out = append(out, splitBy(narrow(spec, label, []string{v}), g, on[1:], size)...)
			continue
		}
		q := len(regexp.QuoteMeta(v)) + 1
		if n > 0 && (n+len(g) > size || bytes+q > maxMatcherBytes) {
			flush()
		}
		batch = append(batch, v)
		n += len(g)
		bytes += q
	}
	flush()
	return out
}

// lastOverTime wraps a selector: the last sample of each series within
// window.
func lastOverTime(selector string, window time.Duration) string {
	return fmt.Sprintf("last_over_time(%s[%s])", selector, model.Duration(window))
}

// shorten trims a query for error messages.
func shorten(q string) string {
	if len(q) <= 200 {
		return q
	}
	return q[:200] + "…"
}

// narrow adds label=~"v1|v2|…" to every selector of spec.
func narrow(spec TargetSpec, label string, values []string) TargetSpec {
	alts := make([]string, len(values))
	for i, v := range values {
		alts[i] = regexp.QuoteMeta(v)
	}
	m := label + "=~" + strconv.Quote(strings.Join(alts, "|"))
	spec.Usage = addMatcher(spec.Usage, m)
	spec.Limit = addMatcher(spec.Limit, m)
	spec.LimitFallback = addMatcher(spec.LimitFallback, m)
	spec.Capacity = addMatcher(spec.Capacity, m)
	spec.Restarts = addMatcher(spec.Restarts, m)
	spec.ReadOnly = addMatcher(spec.ReadOnly, m)
	return spec
}

// isSelector reports whether expr is a plain series selector without "or"
// groups, to which a matcher can be added.
func isSelector(expr string) bool {
	e, err := metricsql.Parse(expr)
	if err != nil {
		return false
	}
	me, ok := e.(*metricsql.MetricExpr)
	return ok && len(me.LabelFilterss) <= 1
}

// addMatcher adds the matcher m to the selector expr, textually, so the
// rest of the expression stays as the user wrote it. Expressions that are
// not selectors are returned unchanged.
func addMatcher(expr, m string) string {
	if expr == "" || !isSelector(expr) {
		return expr
	}
	e := strings.TrimSpace(expr)
	if strings.HasSuffix(e, "}") {
		inner := strings.TrimSpace(e[strings.LastIndex(e[:len(e)-1], "{")+1 : len(e)-1])
		if inner == "" {
			return e[:len(e)-1] + m + "}"
		}
		return e[:len(e)-1] + "," + m + "}"
	}
	return fmt.Sprintf("%s{%s}", e, m)
}
