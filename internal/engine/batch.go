package engine

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metricsql"

	"github.com/omenhq/omen/internal/source"
)

// DefaultBatchSize is the number of usage series fetched and predicted at a
// time when a spec can be split: it bounds the memory of a run over a large
// fleet (500 series of 14 days at 5 minutes are about 32 MB of samples).
const DefaultBatchSize = 500

// split returns spec narrowed into batches of at most size usage series (a
// single value of the batching label with more series stays one batch).
//
// A spec is split when its usage query is a plain series selector and it
// has On labels: the series active in the last hour before end are listed
// with one cheap query, grouped by the value of the first On label, and each
// batch adds a matcher label=~"v1|v2|…" to every selector of the spec, so
// the limit, capacity and restart series of a batch come with it. Anything
// else — an aggregation, no On labels — is one batch.
func split(ctx context.Context, src source.Source, spec TargetSpec, end time.Time, size int) ([]TargetSpec, error) {
	if size <= 0 || len(spec.On) == 0 || !isSelector(spec.Usage) {
		return []TargetSpec{spec}, nil
	}
	res, err := fetch(ctx, src, spec.Usage, end.Add(-time.Hour), end, 5*time.Minute)
	if err != nil {
		return nil, err
	}
	if len(res.Series) <= size {
		return []TargetSpec{spec}, nil
	}
	label := spec.On[0]
	counts := map[string]int{}
	for _, s := range res.Series {
		counts[s.Labels.Get(label)]++
	}
	values := make([]string, 0, len(counts))
	for v := range counts {
		values = append(values, v)
	}
	slices.Sort(values)
	var out []TargetSpec
	var batch []string
	n := 0
	flush := func() {
		if len(batch) == 0 {
			return
		}
		out = append(out, narrow(spec, label, batch))
		batch, n = nil, 0
	}
	for _, v := range values {
		if n > 0 && n+counts[v] > size {
			flush()
		}
		batch = append(batch, v)
		n += counts[v]
	}
	flush()
	return out, nil
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
