package tuner

import (
	"strings"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metricsql"
)

// FuzzInlineRecord checks the expression scanner on any text: it never
// panics, every reference it finds is the name (or its quoted form), and
// an inlined expression always parses.
func FuzzInlineRecord(f *testing.F) {
	for _, s := range []string{
		"job:x:rate5m > 0.5",
		`sum by (job) (job:x:rate5m{a="b"}) / job:x:rate5m offset 5m`,
		"rate(job:x:rate5m[5m]) and on(job) up == 1 # job:x:rate5m",
		`{__name__="job:x:rate5m"} > bool 1`,
		"job:x:rate5m @ start() unless `job:x:rate5m`",
	} {
		f.Add(s)
	}
	rec := Rule{Record: "job:x:rate5m", Expr: "sum by (job) (rate(x[5m]))", Interval: time.Minute}
	f.Fuzz(func(t *testing.T, expr string) {
		for _, r := range metricRefs(expr, rec.Record) {
			if got := strings.Trim(expr[r.start:r.end], "\"'`"); got != rec.Record {
				t.Fatalf("reference %q at %d in %q", got, r.start, expr)
			}
		}
		_ = metricNames(expr)
		if _, err := metricsql.Parse(expr); err != nil {
			return
		}
		out, reason := inlineRecord(expr, []Rule{rec}, time.Minute)
		if reason != "" {
			return
		}
		if _, err := metricsql.Parse(out); err != nil {
			t.Fatalf("inlined %q into %q, which does not parse: %v", expr, out, err)
		}
	})
}
