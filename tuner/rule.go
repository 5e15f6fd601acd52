package tuner

import (
	"context"
	"time"

	"github.com/omenhq/omen/series"
)

// Rule is one alerting or recording rule as written in a rule file.
type Rule struct {
	// File is the rule file's path relative to the root it was read from
	// (the file's own name when a single file was read), with slashes.
	File string
	// Path is the file's path on disk, as opened.
	Path string
	// Doc is the 0-based index of the YAML document in the file (a
	// multi-document stream of Kubernetes manifests has several).
	Doc int
	// Item is the index of the PrometheusRule in the items of a
	// `kind: List` document, -1 otherwise.
	Item int
	// Manifest is "namespace/name" (or "name") of the PrometheusRule
	// manifest holding the rule; "" in a plain rule file.
	Manifest string
	// GroupIndex is the 0-based index of the rule's group in the
	// document's groups, and Index the rule's in the group's rules.
	GroupIndex, Index int
	// Line is the 1-based line of the rule's first key in the file.
	Line int
	// ExprLine is the 1-based line where the expression's value starts
	// (its block indicator for | and > scalars).
	ExprLine int
	// Group is the name of the rule's group.
	Group string
	// Interval is the group's evaluation interval, or the default given to
	// the reader when the group sets none.
	Interval time.Duration
	// Alert is the alert name; empty for a recording rule.
	Alert string
	// Record is the recorded series name; empty for an alerting rule.
	Record string
	// Expr is the expression exactly as written (block scalars folded or
	// kept as YAML defines them).
	Expr string
	// For is the rule's `for` as written ("" when absent) and ForDuration
	// its value.
	For         string
	ForDuration time.Duration
	// KeepFiringFor is the rule's `keep_firing_for` as written ("" when
	// absent) and KeepFiringForDuration its value.
	KeepFiringFor         string
	KeepFiringForDuration time.Duration
	// Labels and Annotations are the rule's, as written (templates
	// unexpanded).
	Labels      map[string]string
	Annotations map[string]string
	// Threshold is the plain number on one side of the expression's
	// outermost comparison; nil when there is none.
	Threshold *Threshold
	// ParseError is the metricsql parse error of Expr; "" when it parsed.
	ParseError string
}

// IsAlert reports whether r is an alerting rule.
func (r Rule) IsAlert() bool { return r.Alert != "" }

// Name returns the alert name or the recorded series name.
func (r Rule) Name() string {
	if r.Alert != "" {
		return r.Alert
	}
	return r.Record
}

// Querier evaluates an expression over a range at a fixed step, as a
// Prometheus-compatible server's query_range does: one sample per series
// at each instant start + k·step ≤ end where the expression has a value.
// omen's sources implement it (the CLI adapts them); tests may use a file.
type Querier interface {
	QueryRange(ctx context.Context, expr string, start, end time.Time, step time.Duration) ([]series.Series, error)
}
