package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/tuner"
)

// rulesListOptions are the flags of `omen rules list`.
type rulesListOptions struct {
	Rules    string
	Interval time.Duration
}

func newRulesListCmd(g *globalOptions) *cobra.Command {
	var o rulesListOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the alerting and recording rules of rule files, with their thresholds",
		Long: `list reads Prometheus rule files (groups:), Kubernetes PrometheusRule manifests (one or
several YAML documents; other kinds are skipped) or a directory searched recursively for
*.yml and *.yaml files, and prints every rule: where it is, its group and interval, for,
keep_firing_for, labels, and its threshold — the plain number on one side of the
expression's outermost comparison (the left operand of a top-level and/or/unless is
searched; bool comparisons, 5*60 or (5) have none).

An expression that does not parse is listed with its parse error. In a directory, files
that are not rule files are skipped with a warning on stderr.`,
		Example: `  omen rules list --rules rules/
  omen rules list --rules kube-prometheus/manifests --format json | jq '.rules[] | select(.threshold != null)'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.checkFormat("table", "json", "yaml", "csv", "markdown"); err != nil {
				return err
			}
			rules, err := o.load(g)
			if err != nil {
				return err
			}
			switch g.Format {
			case "json":
				// Expressions are full of < and >: no HTML escaping.
				enc := json.NewEncoder(g.stdout)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				return enc.Encode(rulesJSON(rules))
			case "yaml":
				return writeData(g.stdout, g.Format, rulesJSON(rules))
			}
			return writeTable(g.stdout, g.Format, g.display(""), rulesTable(rules))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Rules, "rules", "", "rule file, PrometheusRule manifests or directory (`PATH`)")
	f.Var(durationValue{d: &o.Interval}, "interval", "evaluation interval of groups that set none (default 1m)")
	return cmd
}

// load reads the rules of --rules, warning about skipped files.
func (o rulesListOptions) load(g *globalOptions) ([]tuner.Rule, error) {
	if o.Rules == "" {
		return nil, usagef("--rules is required")
	}
	return tuner.Load(o.Rules, tuner.LoadOptions{
		Interval: o.Interval,
		OnSkip: func(path string, err error) {
			g.logger.Warn("skipped, not a rule file", "file", path, "reason", err)
		},
	})
}

// ruleJSON is one rule of `omen rules list --format json`.
type ruleJSON struct {
	File                 string            `json:"file"`
	Line                 int               `json:"line"`
	Manifest             string            `json:"manifest,omitempty"`
	Group                string            `json:"group"`
	IntervalSeconds      float64           `json:"interval_seconds"`
	Alert                string            `json:"alert,omitempty"`
	Record               string            `json:"record,omitempty"`
	Expr                 string            `json:"expr"`
	For                  *string           `json:"for"`
	ForSeconds           float64           `json:"for_seconds"`
	KeepFiringFor        *string           `json:"keep_firing_for"`
	KeepFiringForSeconds float64           `json:"keep_firing_for_seconds"`
	Threshold            any               `json:"threshold"`
	Comparison           *string           `json:"comparison"`
	Labels               map[string]string `json:"labels"`
	Annotations          map[string]string `json:"annotations"`
	ParseError           string            `json:"parse_error,omitempty"`
}

func rulesJSON(rules []tuner.Rule) map[string][]ruleJSON {
	out := make([]ruleJSON, 0, len(rules))
	for _, r := range rules {
		j := ruleJSON{
			File: r.File, Line: r.Line, Manifest: r.Manifest, Group: r.Group,
			IntervalSeconds: r.Interval.Seconds(), Alert: r.Alert, Record: r.Record, Expr: r.Expr,
			ForSeconds: r.ForDuration.Seconds(), KeepFiringForSeconds: r.KeepFiringForDuration.Seconds(),
			Labels: r.Labels, Annotations: r.Annotations, ParseError: r.ParseError,
		}
		if r.For != "" {
			j.For = &r.For
		}
		if r.KeepFiringFor != "" {
			j.KeepFiringFor = &r.KeepFiringFor
		}
		if th := r.Threshold; th != nil {
			op := th.Op
			j.Comparison = &op
			j.Threshold = th.Value
			if math.IsInf(th.Value, 0) {
				j.Threshold = fmt.Sprint(th.Value) // "+Inf" or "-Inf": JSON has no infinity
			}
		}
		if j.Labels == nil {
			j.Labels = map[string]string{}
		}
		if j.Annotations == nil {
			j.Annotations = map[string]string{}
		}
		out = append(out, j)
	}
	return map[string][]ruleJSON{"rules": out}
}

func rulesTable(rules []tuner.Rule) tableData {
	t := tableData{
		Title:    fmt.Sprintf("%s (%d alerting)", plural(len(rules), "rule"), countAlerts(rules)),
		Header:   []string{"FILE:LINE", "GROUP", "ALERT / RECORD", "INTERVAL", "FOR", "THRESHOLD", "LABELS", "NOTE"},
		Detail:   "NOTE",
		Optional: []string{"LABELS", "INTERVAL", "GROUP"},
		Cut:      []string{"FILE:LINE", "GROUP", "ALERT / RECORD", "THRESHOLD", "LABELS"},
	}
	for _, r := range rules {
		name := r.Alert
		if name == "" {
			name = "record: " + r.Record
		}
		forText := r.For
		if r.KeepFiringFor != "" {
			forText += " (keep " + r.KeepFiringFor + ")"
		}
		th, note := "", ""
		if r.Threshold != nil {
			th = r.Threshold.Op + " " + r.Threshold.Text
			switch ne := r.Threshold.NotEditable; {
			case strings.Contains(ne, "anchor or alias"):
				note = "threshold under a YAML anchor or alias: set refuses it"
			case ne != "":
				note = "threshold written with an escape or a fold: set refuses it"
			}
		}
		if r.ParseError != "" {
			note = "does not parse: " + r.ParseError
		}
		labels := labelList(r.Labels)
		t.Rows = append(t.Rows, []string{
			fmt.Sprintf("%s:%d", r.File, r.Line), r.Group, name, fmtDuration(r.Interval), forText, th, labels, note,
		})
	}
	return t
}

func countAlerts(rules []tuner.Rule) int {
	n := 0
	for _, r := range rules {
		if r.IsAlert() {
			n++
		}
	}
	return n
}

// labelList writes labels as k=v,k=v in key order.
func labelList(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + l[k]
	}
	return strings.Join(parts, ",")
}
