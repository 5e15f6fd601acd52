package tuner

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metricsql"
)

// coverageBuckets is about how many stretches a dependency check divides
// the replay into: one cheap request per recording rule tells in which of
// them the server holds the recorded series.
const coverageBuckets = 500

// maxInlineDepth bounds recording rules inlined within recording rules.
const maxInlineDepth = 8

type coverageResult struct {
	missing []Interval
	queries int
	err     error
	done    chan struct{}
}

// recordingRules returns the recording rules of rules by recorded name.
func recordingRules(rules []Rule) map[string][]Rule {
	m := map[string][]Rule{}
	for _, r := range rules {
		if r.Record != "" {
			m[r.Record] = append(m[r.Record], r)
		}
	}
	return m
}

// resolveDependencies checks the recording rules rr's expression uses and
// returns the expression to evaluate, with those whose series are missing
// inlined where that is exact, and the requests it cost.
func (ev *evaluator) resolveDependencies(ctx context.Context, rr *RuleReplay, g grid) (string, int, error) {
	records := recordingRules(ev.cfg.Rules)
	if len(records) == 0 {
		return rr.Rule.Expr, 0, nil
	}
	expr := rr.Rule.Expr
	queries := 0
	seen := map[string]bool{}
	for depth := 0; depth < maxInlineDepth; depth++ {
		changed := false
		for _, name := range metricNames(expr) {
			recs, ok := records[name]
			if !ok || seen[name] {
				continue
			}
			seen[name] = true
			dep := Dependency{Record: name, File: recs[0].File, Line: recs[0].Line}
			missing, n, err := ev.coverageOf(ctx, name, g)
			queries += n
			if err != nil {
				return "", queries, fmt.Errorf("%s: alert %s: cannot check recording rule %s: %w", ruleWhere(rr.Rule), rr.Rule.Alert, name, err)
			}
			dep.Missing = missing
			if len(missing) > 0 {
				inlined, reason := inlineRecord(expr, recs, rr.Rule.Interval)
				if reason == "" {
					expr, dep.Inlined, changed = inlined, true, true
				} else {
					dep.Reason = reason
				}
				rr.Warnings = append(rr.Warnings, dependencyWarning(dep))
			}
			rr.Dependencies = append(rr.Dependencies, dep)
		}
		if !changed {
			break
		}
	}
	return expr, queries, nil
}

func dependencyWarning(d Dependency) string {
	var b strings.Builder
	fmt.Fprintf(&b, "recording rule %s (%s:%d): the server holds no series", d.Record, d.File, d.Line)
	for i, m := range d.Missing {
		if i == 3 {
			fmt.Fprintf(&b, " and %d more stretches", len(d.Missing)-3)
			break
		}
		sep := ","
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(&b, "%s from %s to %s", sep, m.From.UTC().Format(time.RFC3339), m.To.UTC().Format(time.RFC3339))
	}
	if d.Inlined {
		b.WriteString("; evaluated with its expression inlined")
	} else {
		b.WriteString("; not inlined: " + d.Reason + ", so firings there may be missing")
	}
	return b.String()
}

// coverageOf returns the stretches of g's span where the server holds no
// series named name, asking once per name and grid.
func (ev *evaluator) coverageOf(ctx context.Context, name string, g grid) ([]Interval, int, error) {
	bucket := g.step * max(1, ceilDiv(int64(g.n), coverageBuckets))
	key := fmt.Sprintf("%s@%d/%d/%d", name, g.first, g.last(), bucket)
	ev.mu.Lock()
	c, ok := ev.coverage[key]
	if !ok {
		c = &coverageResult{done: make(chan struct{})}
		ev.coverage[key] = c
	}
	ev.mu.Unlock()
	if ok {
		select {
		case <-c.done:
		case <-ctx.Done():
			return nil, 0, context.Cause(ctx)
		}
		return c.missing, 0, c.err
	}
	defer close(c.done)
	// Bucket j covers (t_j − bucket, t_j]; the last one ends at the last
	// instant of g.
	last := g.last()
	first := last - ceilDiv(last-g.first, bucket)*bucket
	expr := fmt.Sprintf("count(last_over_time(%s[%dms]))", name, bucket)
	if !isPlainIdent(name) {
		expr = fmt.Sprintf("count(last_over_time({__name__=%q}[%dms]))", name, bucket)
	}
	ss, n, err := ev.rangeQueryStep(ctx, expr, first, last, bucket)
	c.queries, c.err = n, err
	if err != nil {
		return nil, n, err
	}
	have := map[int64]bool{}
	for _, s := range ss {
		for _, t := range s.Timestamps {
			have[t] = true
		}
	}
	for t := first; t <= last; t += bucket {
		if have[t] || t < g.first {
			continue
		}
		from, to := max(t-bucket, g.first), t
		if to == from {
			to = from + g.step
		}
		if k := len(c.missing) - 1; k >= 0 && c.missing[k].To.UnixMilli() >= from {
			c.missing[k].To = time.UnixMilli(to).UTC()
			continue
		}
		c.missing = append(c.missing, Interval{From: time.UnixMilli(from).UTC(), To: time.UnixMilli(to).UTC()})
	}
	return c.missing, n, nil
}

func isPlainIdent(s string) bool {
	if s == "" || !isIdentByte(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentCharByte(s[i]) || s[i] == '.' {
			return false
		}
	}
	return true
}

// inlineRecord replaces every use of the recorded series of recs in expr by
// the recording rule's expression in brackets, and returns the new text,
// or a reason why that would not be exact.
func inlineRecord(expr string, recs []Rule, interval time.Duration) (string, string) {
	if len(recs) > 1 {
		return "", fmt.Sprintf("%d recording rules record it", len(recs))
	}
	rec := recs[0]
	switch {
	case rec.ParseError != "":
		return "", "its expression does not parse"
	case len(rec.Labels) > 0:
		return "", "it adds labels"
	case rec.Interval != interval:
		return "", fmt.Sprintf("it is evaluated every %s, the alert every %s", rec.Interval, interval)
	}
	refs := metricRefs(expr, rec.Record)
	if len(refs) == 0 {
		return "", "it is not used as a plain selector"
	}
	for _, r := range refs {
		if !r.bare {
			return "", "it is used with label matchers, a range, an offset or @"
		}
	}
	// Replace back to front so offsets stay valid.
	sort.Slice(refs, func(i, j int) bool { return refs[i].start > refs[j].start })
	out := expr
	for _, r := range refs {
		out = out[:r.start] + "(" + strings.TrimSpace(rec.Expr) + ")" + out[r.end:]
	}
	if _, err := metricsql.Parse(out); err != nil {
		return "", "the inlined expression does not parse: " + err.Error()
	}
	return out, ""
}
