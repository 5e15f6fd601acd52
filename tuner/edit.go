package tuner

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metricsql"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/omenhq/omen/tuner/yamledit"
)

// Errors of the rule editor and of rule selection.
var (
	// ErrNoThreshold reports a threshold change asked of a rule without a
	// plain-number threshold (a recording rule, `x > bool 1`, `x > 5*60`,
	// a threshold written as a template).
	ErrNoThreshold = errors.New("tuner: rule has no plain-number threshold")
	// ErrStale reports a rule that is no longer where it was read: the
	// file changed in between.
	ErrStale = errors.New("tuner: rule file changed since it was read")
	// ErrNoRule reports that no rule matches a selection.
	ErrNoRule = errors.New("tuner: no such rule")
	// ErrCannotEdit reports an edit the editor refuses because it cannot
	// make it exactly (see yamledit's errors for the cause).
	ErrCannotEdit = errors.New("tuner: cannot edit exactly")
)

// Change is an edit of one rule; nil fields and an empty Labels leave
// the rule as it is.
type Change struct {
	// Threshold replaces the number of the rule's threshold.
	Threshold *float64
	// For sets `for:` (inserted after expr: when the rule has none).
	For *time.Duration
	// KeepFiringFor sets `keep_firing_for:` (inserted after for: or expr:).
	KeepFiringFor *time.Duration
	// Labels sets labels (each added at the end of labels: when missing;
	// labels: is inserted when the rule has none).
	Labels map[string]string
}

// IsZero reports whether c changes nothing.
func (c Change) IsZero() bool {
	return c.Threshold == nil && c.For == nil && c.KeepFiringFor == nil && len(c.Labels) == 0
}

// FormatDuration writes d as Prometheus writes durations: 15m, 1h30m, 0s.
func FormatDuration(d time.Duration) string { return model.Duration(d).String() }

// FormatNumber writes v as a PromQL number literal: decimal notation for
// ordinary magnitudes, exponent notation for tiny and huge ones, Inf.
func FormatNumber(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case v != 0 && (math.Abs(v) < 1e-4 || math.Abs(v) >= 1e15):
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// Edit applies c to rule r (as read by Load or Parse) in src, the bytes
// of r's file, and returns the edited bytes. Only the bytes of the changed
// values differ, plus one line for each inserted key: the threshold's
// digits are replaced inside the expression as written (never re-printed),
// for: and keep_firing_for: values replaced or inserted in the rule's own
// indentation and quoting. The result is read again and must hold the
// same rules with only the asked change, or Edit returns an error; it
// refuses what it cannot edit exactly (anchors, aliases, merge keys, a
// number whose bytes do not map onto the file, insertion into a flow
// mapping) with an error wrapping ErrCannotEdit.
func Edit(src []byte, r Rule, c Change) ([]byte, error) {
	if c.Threshold != nil && math.IsNaN(*c.Threshold) {
		return nil, fmt.Errorf("tuner: threshold NaN is not a number a rule can compare with")
	}
	for _, d := range []*time.Duration{c.For, c.KeepFiringFor} {
		if d != nil && *d < 0 {
			return nil, fmt.Errorf("tuner: negative duration %v", *d)
		}
	}
	if (c.For != nil || c.KeepFiringFor != nil || c.Threshold != nil) && !r.IsAlert() {
		return nil, fmt.Errorf("tuner: %s:%d: %s is a recording rule: only labels can be set", r.File, r.Line, r.Record)
	}
	for k := range c.Labels {
		if !model.LegacyValidation.IsValidLabelName(k) {
			return nil, fmt.Errorf("tuner: invalid label name %q", k)
		}
	}
	f, err := yamledit.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Path, err)
	}
	rm, err := locate(f, r)
	if err != nil {
		return nil, err
	}
	fail := func(err error) error {
		return fmt.Errorf("%w: %s:%d: %s: %w", ErrCannotEdit, r.File, r.Line, r.Name(), err)
	}
	exprNode, _ := yamledit.Get(rm, "expr")
	if c.Threshold != nil {
		me, err := metricsql.Parse(r.Expr)
		var th *Threshold
		if err == nil {
			th = findThreshold(r.Expr, me)
		}
		if th == nil {
			return nil, fmt.Errorf("%w: %s:%d: %s: expr %q", ErrNoThreshold, r.File, r.Line, r.Name(), oneLine(r.Expr))
		}
		text := FormatNumber(*c.Threshold)
		if text != th.Text {
			if err := f.ReplaceInScalar(yamledit.Resolve(exprNode), th.Offset, th.Offset+len(th.Text), text); err != nil {
				return nil, fail(err)
			}
		}
	}
	after := "expr"
	for _, d := range []struct {
		key string
		v   *time.Duration
	}{{"for", c.For}, {"keep_firing_for", c.KeepFiringFor}} {
		if v, _ := yamledit.Get(rm, d.key); v != nil {
			after = d.key
			if d.v != nil {
				if old, err := model.ParseDuration(v.Value); err == nil && time.Duration(old) == *d.v {
					continue // same duration already, as written
				}
				if err := f.SetScalar(v, FormatDuration(*d.v)); err != nil {
					return nil, fail(err)
				}
			}
			continue
		}
		if d.v == nil {
			continue
		}
		if err := f.Insert(rm, after, yamledit.Pair{Key: d.key, Value: FormatDuration(*d.v)}); err != nil {
			return nil, fail(err)
		}
	}
	if len(c.Labels) > 0 {
		keys := slices.Sorted(maps.Keys(c.Labels))
		lm, _ := yamledit.Get(rm, "labels")
		switch {
		case lm == nil:
			p := yamledit.Pair{Key: "labels"}
			for _, k := range keys {
				p.Pairs = append(p.Pairs, yamledit.Pair{Key: k, Value: c.Labels[k]})
			}
			if err := f.Insert(rm, after, p); err != nil {
				return nil, fail(err)
			}
		case lm.Kind != yaml.MappingNode:
			return nil, fail(fmt.Errorf("labels: at line %d is not a mapping", lm.Line))
		default:
			for _, k := range keys {
				if v, _ := yamledit.Get(lm, k); v != nil {
					if err := f.SetScalar(v, c.Labels[k]); err != nil {
						return nil, fail(err)
					}
				} else if err := f.Insert(lm, "", yamledit.Pair{Key: k, Value: c.Labels[k]}); err != nil {
					return nil, fail(err)
				}
			}
		}
	}
	out, err := f.Bytes()
	if err != nil {
		return nil, fail(err)
	}
	if err := checkEdit(src, out, r, c); err != nil {
		return nil, fail(err)
	}
	return out, nil
}

// locate finds rule r's mapping in f and checks it is still the rule.
func locate(f *yamledit.File, r Rule) (*yaml.Node, error) {
	stale := func(what string) error {
		return fmt.Errorf("%w: %s:%d: %s: %s", ErrStale, r.File, r.Line, r.Name(), what)
	}
	docs := f.Docs()
	if r.Doc < 0 || r.Doc >= len(docs) {
		return nil, stale("document missing")
	}
	root := docRoot(docs[r.Doc])
	if root == nil {
		return nil, stale("document empty")
	}
	if r.Item >= 0 {
		items, _ := yamledit.Get(root, "items")
		if items = yamledit.Resolve(items); items == nil || items.Kind != yaml.SequenceNode || r.Item >= len(items.Content) {
			return nil, stale("list item missing")
		}
		root = yamledit.Resolve(items.Content[r.Item])
	}
	if r.Manifest != "" {
		spec, _ := yamledit.Get(root, "spec")
		root = yamledit.Resolve(spec)
	}
	groups, _ := yamledit.Get(root, "groups")
	groups = yamledit.Resolve(groups)
	if groups == nil || groups.Kind != yaml.SequenceNode || r.GroupIndex >= len(groups.Content) {
		return nil, stale("group missing")
	}
	rules, _ := yamledit.Get(yamledit.Resolve(groups.Content[r.GroupIndex]), "rules")
	rules = yamledit.Resolve(rules)
	if rules == nil || rules.Kind != yaml.SequenceNode || r.Index >= len(rules.Content) {
		return nil, stale("rule missing")
	}
	rn := rules.Content[r.Index]
	if err := f.CheckEditable(rn); err != nil {
		return nil, fmt.Errorf("%w: %s:%d: %s: %w", ErrCannotEdit, r.File, r.Line, r.Name(), err)
	}
	key := "alert"
	if !r.IsAlert() {
		key = "record"
	}
	name, _ := yamledit.Get(rn, key)
	expr, _ := yamledit.Get(rn, "expr")
	if name == nil || yamledit.Resolve(name).Value != r.Name() || expr == nil || yamledit.Resolve(expr).Value != r.Expr {
		return nil, stale("not the rule read before")
	}
	return rn, nil
}

// checkEdit reads the file before and after the edit and checks that
// every rule is the same except rule r, which differs by c alone.
func checkEdit(before, after []byte, r Rule, c Change) error {
	rs0, err := Parse(before, r.Path, r.File, LoadOptions{})
	if err != nil {
		return err
	}
	rs1, err := Parse(after, r.Path, r.File, LoadOptions{})
	if err != nil {
		return fmt.Errorf("edited file does not read back: %w", err)
	}
	if len(rs0) != len(rs1) {
		return fmt.Errorf("edited file has %d rules instead of %d", len(rs1), len(rs0))
	}
	for i := range rs0 {
		want := rs0[i]
		if want.Doc == r.Doc && want.Item == r.Item && want.GroupIndex == r.GroupIndex && want.Index == r.Index {
			want = expected(want, c)
		}
		if d := ruleDiff(want, rs1[i]); d != "" {
			return fmt.Errorf("edited file reads back with rule %s changed in %s", want.Name(), d)
		}
	}
	return nil
}

// expected returns r as it should read after change c.
func expected(r Rule, c Change) Rule {
	if c.Threshold != nil && r.Threshold != nil {
		text := FormatNumber(*c.Threshold)
		th := *r.Threshold
		r.Expr = r.Expr[:th.Offset] + text + r.Expr[th.Offset+len(th.Text):]
		th.Text, th.Value = text, *c.Threshold
		r.Threshold = &th
	}
	if c.For != nil {
		r.ForDuration = *c.For
	}
	if c.KeepFiringFor != nil {
		r.KeepFiringForDuration = *c.KeepFiringFor
	}
	if len(c.Labels) > 0 {
		l := maps.Clone(r.Labels)
		if l == nil {
			l = map[string]string{}
		}
		maps.Copy(l, c.Labels)
		r.Labels = l
	}
	return r
}

// ruleDiff names the first field in which a and b differ as rules (not
// as positions in the file), or "".
func ruleDiff(a, b Rule) string {
	switch {
	case a.Alert != b.Alert || a.Record != b.Record:
		return "name"
	case a.Group != b.Group || a.Interval != b.Interval || a.Manifest != b.Manifest:
		return "group"
	case a.Expr != b.Expr:
		return "expr"
	case a.ForDuration != b.ForDuration:
		return "for"
	case a.KeepFiringForDuration != b.KeepFiringForDuration:
		return "keep_firing_for"
	case !maps.Equal(a.Labels, b.Labels) && len(a.Labels)+len(b.Labels) > 0:
		return "labels"
	case !maps.Equal(a.Annotations, b.Annotations) && len(a.Annotations)+len(b.Annotations) > 0:
		return "annotations"
	case (a.Threshold == nil) != (b.Threshold == nil):
		return "threshold"
	case a.Threshold != nil && (a.Threshold.Value != b.Threshold.Value && !(math.IsNaN(a.Threshold.Value) && math.IsNaN(b.Threshold.Value)) ||
		a.Threshold.Op != b.Threshold.Op || a.Threshold.Offset != b.Threshold.Offset || a.Threshold.Text != b.Threshold.Text):
		return "threshold"
	}
	return ""
}

// Apply edits rule r's file with c and writes the result atomically to
// output, or over r.Path when output is "" (keeping its mode). It returns
// the bytes written.
func Apply(r Rule, c Change, output string) ([]byte, error) {
	src, err := os.ReadFile(r.Path)
	if err != nil {
		return nil, err
	}
	out, err := Edit(src, r, c)
	if err != nil {
		return nil, err
	}
	perm := os.FileMode(0o644)
	if st, err := os.Stat(r.Path); err == nil {
		perm = st.Mode().Perm()
	}
	if output == "" {
		output = r.Path
	}
	if err := yamledit.WriteFile(output, out, perm); err != nil {
		return nil, err
	}
	return out, nil
}

// Selector picks rules by name, group and labels.
type Selector struct {
	// Alert is the alert name; Record a recorded series name. One of them
	// is required.
	Alert, Record string
	// Group, when set, is the group name the rule must be in.
	Group string
	// Labels are labels the rule must carry with these values.
	Labels map[string]string
}

// String describes s as command-line flags would.
func (s Selector) String() string {
	var b strings.Builder
	if s.Alert != "" {
		fmt.Fprintf(&b, "alert %q", s.Alert)
	} else {
		fmt.Fprintf(&b, "record %q", s.Record)
	}
	if s.Group != "" {
		fmt.Fprintf(&b, " in group %q", s.Group)
	}
	for _, k := range sortedKeys(s.Labels) {
		fmt.Fprintf(&b, " with %s=%q", k, s.Labels[k])
	}
	return b.String()
}

// Select returns the rules s picks, in order.
func Select(rules []Rule, s Selector) []Rule {
	var out []Rule
	for _, r := range rules {
		if s.Alert != "" && r.Alert != s.Alert || s.Record != "" && r.Record != s.Record || s.Alert == "" && s.Record == "" {
			continue
		}
		if s.Group != "" && r.Group != s.Group {
			continue
		}
		ok := true
		for k, v := range s.Labels {
			if lv, has := r.Labels[k]; !has || lv != v {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, r)
		}
	}
	return out
}

// AmbiguousError reports a selection that matches several rules.
type AmbiguousError struct {
	Selector   Selector
	Candidates []Rule
}

func (e *AmbiguousError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tuner: %s matches %d rules; pick one with --group or --label:", e.Selector, len(e.Candidates))
	for _, r := range e.Candidates {
		fmt.Fprintf(&b, "\n  %s:%d  group %q", r.File, r.Line, r.Group)
		if len(r.Labels) > 0 {
			var ls []string
			for _, k := range sortedKeys(r.Labels) {
				ls = append(ls, k+"="+r.Labels[k])
			}
			b.WriteString("  labels " + strings.Join(ls, ","))
		}
	}
	return b.String()
}

// Find returns the one rule s picks: an error wrapping ErrNoRule when
// none does, an *AmbiguousError listing the candidates when several do.
func Find(rules []Rule, s Selector) (Rule, error) {
	m := Select(rules, s)
	switch len(m) {
	case 0:
		return Rule{}, fmt.Errorf("%w: no %s", ErrNoRule, s)
	case 1:
		return m[0], nil
	}
	return Rule{}, &AmbiguousError{Selector: s, Candidates: m}
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
