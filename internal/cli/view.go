package cli

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/capacity"
	"github.com/omenhq/omen/internal/engine"
	"github.com/omenhq/omen/series"
)

// viewOptions are the flags that choose and order the targets of a
// prediction report: predict, demo and run share them.
//
// --target and --match choose the targets: what is not chosen is not
// predicted, shown, written back or counted for --fail-on. --min-risk and
// --sort only change what is shown.
type viewOptions struct {
	Sort    string
	MinRisk string
	Targets []string
	Match   []string

	matchers []labelMatcher
	minRisk  capacity.Risk
}

// sortKeys are the values of --sort.
var sortKeys = []string{"risk", "eta", "usage", "name"}

func (v *viewOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&v.Sort, "sort", "risk", "order of the targets: risk (then time to full), eta (soonest P50 first), usage (fullest first) or name")
	f.StringVar(&v.MinRisk, "min-risk", "ok", "show only targets at least this risky: info, warning, critical (ok: all)")
	f.StringSliceVar(&v.Targets, "target", nil, "only these targets: a preset (disk, memory, …) or a target name, comma-separated or repeated")
	f.StringArrayVar(&v.Match, "match", nil, "only series whose labels match, e.g. 'namespace=shop' or 'namespace=~\"shop|pay\",pod!~\"test-.*\"' (repeatable: all must match)")
	_ = cmd.RegisterFlagCompletionFunc("sort", cobra.FixedCompletions(sortKeys, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("min-risk", cobra.FixedCompletions([]string{"ok", "info", "warning", "critical"}, cobra.ShellCompDirectiveNoFileComp))
}

// parse validates the flags; the other methods need it first.
func (v *viewOptions) parse() error {
	if !slices.Contains(sortKeys, v.Sort) {
		return usagef("invalid --sort %q: want %s", v.Sort, strings.Join(sortKeys, ", "))
	}
	if err := v.minRisk.UnmarshalText([]byte(v.MinRisk)); err != nil {
		return usagef("invalid --min-risk %q: want ok, info, warning or critical", v.MinRisk)
	}
	v.matchers = nil
	for _, m := range v.Match {
		ms, err := parseMatchers(m)
		if err != nil {
			return usagef("invalid --match %q: %v", m, err)
		}
		v.matchers = append(v.matchers, ms...)
	}
	return nil
}

// specs narrows specs to --target: a preset name stands for its specs
// (disk for disk and pvc), any other name for the spec of that name.
func (v *viewOptions) specs(specs []engine.TargetSpec) ([]engine.TargetSpec, error) {
	if len(v.Targets) == 0 {
		return specs, nil
	}
	want := map[string]bool{}
	for _, t := range v.Targets {
		t = strings.TrimSpace(t)
		found := false
		if ps, ok := engine.Preset(t); ok {
			for _, p := range ps {
				if slices.ContainsFunc(specs, func(s engine.TargetSpec) bool { return s.Name == p.Name }) {
					want[p.Name], found = true, true
				}
			}
		}
		if slices.ContainsFunc(specs, func(s engine.TargetSpec) bool { return s.Name == t }) {
			want[t], found = true, true
		}
		if !found {
			var names []string
			for _, s := range specs {
				names = append(names, s.Name)
			}
			return nil, usagef("invalid --target %q: this run predicts %s", t, strings.Join(slices.Compact(names), ", "))
		}
	}
	return slices.DeleteFunc(slices.Clone(specs), func(s engine.TargetSpec) bool { return !want[s.Name] }), nil
}

// choose keeps the results and skipped series of rep that --match
// selects, in place. Matching none is an error: an empty report would
// hide a misspelt label.
func (v *viewOptions) choose(rep *engine.Report) error {
	if len(v.matchers) == 0 {
		return nil
	}
	n := len(rep.Results)
	rep.Results = slices.DeleteFunc(rep.Results, func(r engine.Result) bool { return !v.matches(r.Labels) })
	rep.Skipped = slices.DeleteFunc(rep.Skipped, func(s engine.Skipped) bool { return !v.matches(s.Labels) })
	if len(rep.Results) == 0 && n > 0 {
		return fmt.Errorf("no target matches --match %s: none of the %s predicted has such labels", strings.Join(v.Match, " --match "), plural(n, "target"))
	}
	return nil
}

func (v *viewOptions) matches(ls series.Labels) bool {
	for _, m := range v.matchers {
		if !m.matches(ls.Get(m.name)) {
			return false
		}
	}
	return true
}

// shown is the part of a report that is written out: the results at or
// above --min-risk in the --sort order, with what was left out.
type shown struct {
	*engine.Report
	// Total is the number of results before --min-risk.
	Total int
	// Filter says what --min-risk and --match kept, for titles; "" when
	// everything is shown.
	Filter string
}

// count says how many targets are shown: "21 targets", or "5 of 21
// targets (risk ≥ warning)".
func (s shown) count() string {
	n := len(s.Results)
	out := plural(n, "target")
	if n != s.Total {
		out = fmt.Sprintf("%d of %s", n, plural(s.Total, "target"))
	}
	if s.Filter != "" {
		out += " (" + s.Filter + ")"
	}
	return out
}

// show applies --min-risk and --sort to a copy of rep's results.
func (v *viewOptions) show(rep *engine.Report) shown {
	cp := *rep
	cp.Results = slices.DeleteFunc(slices.Clone(rep.Results), func(r engine.Result) bool { return r.Risk < v.minRisk })
	sortResults(cp.Results, v.Sort)
	s := shown{Report: &cp, Total: len(rep.Results)}
	var parts []string
	if v.minRisk > capacity.RiskOK {
		parts = append(parts, "risk ≥ "+v.minRisk.String())
	}
	if len(v.Match) > 0 {
		parts = append(parts, "labels "+strings.Join(v.Match, ", "))
	}
	s.Filter = strings.Join(parts, "; ")
	return s
}

// sortResults orders results by key: risk (the engine's order: risk, then
// P50, then labels), eta (soonest P50 first, none last; then risk), usage
// (fullest first, no limit last) or name (target, then series).
func sortResults(rs []engine.Result, key string) {
	switch key {
	case "eta":
		slices.SortStableFunc(rs, func(a, b engine.Result) int {
			if c := cmpETA(a.Prediction, b.Prediction); c != 0 {
				return c
			}
			return cmp.Compare(b.Risk, a.Risk)
		})
	case "usage":
		slices.SortStableFunc(rs, func(a, b engine.Result) int {
			ua, ub := usedFraction(a), usedFraction(b)
			switch {
			case math.IsNaN(ua) && math.IsNaN(ub):
				return 0
			case math.IsNaN(ua):
				return 1
			case math.IsNaN(ub):
				return -1
			}
			return cmp.Compare(ub, ua)
		})
	case "name":
		slices.SortStableFunc(rs, func(a, b engine.Result) int {
			if c := strings.Compare(shortLabels(a.Labels), shortLabels(b.Labels)); c != 0 {
				return c
			}
			if c := strings.Compare(a.Spec, b.Spec); c != 0 {
				return c
			}
			return a.Labels.Compare(b.Labels)
		})
	default:
		engine.SortResults(rs)
	}
}

// cmpETA orders by P50 time to exhaustion, none last.
func cmpETA(a, b capacity.Prediction) int {
	pa, pb := p50Of(a), p50Of(b)
	switch {
	case pa < 0 && pb < 0:
		return 0
	case pa < 0:
		return 1
	case pb < 0:
		return -1
	}
	return cmp.Compare(pa, pb)
}

// p50Of is the P50 time to exhaustion in seconds, -1 when none.
func p50Of(p capacity.Prediction) float64 {
	if p.ETA == nil || p.ETA.P50 == nil {
		return -1
	}
	return p.ETA.P50.Seconds()
}

// usedFraction is how full a target is, 0 to 1 (NaN when unknown): for
// free space the used part of the capacity, for a limit the current value
// over it.
func usedFraction(r engine.Result) float64 {
	switch {
	case r.Direction == series.Down && !math.IsNaN(r.Capacity) && r.Capacity > 0:
		return 1 - r.Current/r.Capacity
	case r.Direction == series.Up && !math.IsNaN(r.Limit) && r.Limit > 0:
		return r.Current / r.Limit
	}
	return math.NaN()
}

// labelMatcher is one label matcher of --match, as in PromQL.
type labelMatcher struct {
	name, op, value string
	re              *regexp.Regexp
}

func (m labelMatcher) matches(v string) bool {
	switch m.op {
	case "=":
		return v == m.value
	case "!=":
		return v != m.value
	case "=~":
		return m.re.MatchString(v)
	}
	return !m.re.MatchString(v) // !~
}

var matcherRE = regexp.MustCompile(`^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*`)

// parseMatchers reads comma-separated label matchers, as inside a PromQL
// selector's braces (which may be given): namespace=shop,
// pod=~"checkout-.*", container!="istio-proxy". Values may be quoted
// (needed for a comma); regular expressions are anchored, as in PromQL.
func parseMatchers(s string) ([]labelMatcher, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
		s = s[1 : len(s)-1]
	}
	var out []labelMatcher
	for strings.TrimSpace(s) != "" {
		m := matcherRE.FindStringSubmatch(s)
		if m == nil {
			return nil, fmt.Errorf("want NAME=VALUE, NAME!=VALUE, NAME=~REGEX or NAME!~REGEX, comma-separated, at %q", s)
		}
		lm := labelMatcher{name: m[1], op: m[2]}
		s = s[len(m[0]):]
		if strings.HasPrefix(s, `"`) || strings.HasPrefix(s, "'") || strings.HasPrefix(s, "`") {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, fmt.Errorf("unterminated quoted value of %s at %q", lm.name, s)
			}
			if lm.value, err = strconv.Unquote(q); err != nil {
				return nil, fmt.Errorf("bad quoted value of %s: %v", lm.name, err)
			}
			s = strings.TrimSpace(s[len(q):])
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			lm.value, s = strings.TrimSpace(s[:end]), s[end:]
		}
		if lm.op == "=~" || lm.op == "!~" {
			re, err := regexp.Compile("^(?:" + lm.value + ")$")
			if err != nil {
				return nil, fmt.Errorf("bad regular expression for %s: %v", lm.name, err)
			}
			lm.re = re
		}
		out = append(out, lm)
		if s != "" {
			if s[0] != ',' {
				return nil, fmt.Errorf("want a comma after the value of %s, at %q", lm.name, s)
			}
			s = s[1:]
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no matcher: want NAME=VALUE")
	}
	return out, nil
}
