package tuner

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metricsql"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/omenhq/omen/tuner/yamledit"
)

// Sentinel errors of the rule reader; the errors returned wrap them in a
// *FileError naming the file and line.
var (
	// ErrNotYAML reports a file that is not a YAML stream.
	ErrNotYAML = errors.New("tuner: not YAML")
	// ErrNotRuleFile reports YAML that is neither a Prometheus rule file
	// (`groups:`) nor a stream holding a PrometheusRule manifest.
	ErrNotRuleFile = errors.New("tuner: not a rule file")
	// ErrInvalidRule reports a rule file whose structure is wrong: a group
	// without a name, a rule that is neither alerting nor recording, a
	// duration that does not parse, a key given twice.
	ErrInvalidRule = errors.New("tuner: invalid rule file")
)

// FileError is an error in a rule file, with the file's path and the
// 1-based line it concerns (0 when it concerns the whole file).
type FileError struct {
	Path string
	Line int
	Err  error
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

// Unwrap returns the underlying error.
func (e *FileError) Unwrap() error { return e.Err }

// DefaultInterval is the evaluation interval of a group that sets none
// when LoadOptions gives no other: Prometheus's default.
const DefaultInterval = time.Minute

// LoadOptions configures Load. The zero value is ready to use.
type LoadOptions struct {
	// Interval is the evaluation interval of groups that set none (the
	// --interval a Prometheus would run them at); zero means
	// DefaultInterval.
	Interval time.Duration
	// OnSkip, when set, is called for each *.yml or *.yaml file of a
	// directory that is skipped because it is not YAML or holds no rule
	// file or PrometheusRule (CI workflows, Helm templates, other
	// manifests). A single file given to Load is never skipped: it is an
	// error instead.
	OnSkip func(path string, err error)
}

// Load reads the rules of path: a Prometheus rule file (`groups:`), a
// stream of Kubernetes manifests of which the PrometheusRule ones are read
// (rules under spec.groups; other kinds are skipped; a `kind: List` is
// searched), or a directory searched recursively for *.yml and *.yaml
// files holding either (directories whose name starts with a dot are not
// entered). Rules come in file order, files in lexical order. Rule.File is
// relative to path for a directory and the file's name for a single file.
//
// Errors name the file and line: a file that is not YAML, not a rule file
// (a single file only; in a directory such files go to OnSkip), or whose
// structure is invalid. An expression metricsql cannot parse is no error:
// the rule carries it in ParseError.
func Load(path string, opts LoadOptions) ([]Rule, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return Parse(src, path, filepath.Base(path), opts)
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != path && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if ext := strings.ToLower(filepath.Ext(p)); ext == ".yml" || ext == ".yaml" {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var rules []Rule
	for _, p := range files {
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		rel, err := filepath.Rel(path, p)
		if err != nil {
			rel = p
		}
		rs, err := Parse(src, p, filepath.ToSlash(rel), opts)
		if err != nil {
			if errors.Is(err, ErrNotYAML) || errors.Is(err, ErrNotRuleFile) {
				if opts.OnSkip != nil {
					opts.OnSkip(p, err)
				}
				continue
			}
			return nil, err
		}
		rules = append(rules, rs...)
	}
	return rules, nil
}

// Parse reads the rules of one file's bytes src. path is the file's path
// (Rule.Path, and errors name it) and name what Rule.File is set to. An
// empty file, or one holding only comments, has no rules and is no error,
// as promtool has it.
func Parse(src []byte, path, name string, opts LoadOptions) ([]Rule, error) {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	f, err := yamledit.Parse(src)
	if err != nil {
		line := 0
		var se *yamledit.SyntaxError
		if errors.As(err, &se) {
			line, err = se.Line, errors.New(se.Msg)
		}
		return nil, &FileError{Path: path, Line: line, Err: fmt.Errorf("%w: %v", ErrNotYAML, err)}
	}
	r := &reader{f: f, path: path, name: name, opts: opts}
	found, empty := false, true
	var notRules *FileError
	for i, doc := range f.Docs() {
		root := docRoot(doc)
		if root == nil {
			continue
		}
		empty = false
		ok, err := r.document(i, root)
		if err != nil {
			var fe *FileError
			if errors.As(err, &fe) && errors.Is(err, ErrNotRuleFile) {
				if notRules == nil {
					notRules = fe
				}
				continue
			}
			return nil, err
		}
		found = found || ok
	}
	if !found && !empty {
		if notRules != nil {
			return nil, notRules
		}
		return nil, &FileError{Path: path, Line: 1, Err: fmt.Errorf("%w: no PrometheusRule in this stream of Kubernetes manifests", ErrNotRuleFile)}
	}
	return r.rules, nil
}

// docRoot returns a document's top node, or nil for an empty document.
func docRoot(doc *yaml.Node) *yaml.Node {
	if len(doc.Content) == 0 {
		return nil
	}
	n := yamledit.Resolve(doc.Content[0])
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	return n
}

type reader struct {
	f          *yamledit.File
	path, name string
	opts       LoadOptions
	rules      []Rule
}

func (r *reader) errorf(line int, sentinel error, format string, args ...any) error {
	return &FileError{Path: r.path, Line: line, Err: fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))}
}

// document reads one YAML document; ok reports whether it was a rule
// file or held PrometheusRules (false for other Kubernetes kinds).
func (r *reader) document(doc int, root *yaml.Node) (ok bool, err error) {
	const want = "a Prometheus rule file (top-level key groups:) or a PrometheusRule manifest"
	if root.Kind != yaml.MappingNode {
		return false, r.errorf(root.Line, ErrNotRuleFile, "expected %s, found %s", want, describe(root))
	}
	m, err := r.pairs(root)
	if err != nil {
		return false, err
	}
	if g, ok := m.get("groups"); ok {
		return true, r.groups(doc, -1, "", g)
	}
	kind, ok := m.get("kind")
	if !ok {
		return false, r.errorf(root.Line, ErrNotRuleFile, "expected %s, found a mapping with keys %s", want, m.keys())
	}
	switch kind.Value {
	case "PrometheusRule":
		return true, r.manifest(doc, -1, m)
	case "List":
		items, ok := m.get("items")
		if !ok || items.Kind != yaml.SequenceNode {
			return false, nil
		}
		found := false
		for i, it := range items.Content {
			it = yamledit.Resolve(it)
			if it.Kind != yaml.MappingNode {
				continue
			}
			im, err := r.pairs(it)
			if err != nil {
				return false, err
			}
			if k, ok := im.get("kind"); ok && k.Value == "PrometheusRule" {
				found = true
				if err := r.manifest(doc, i, im); err != nil {
					return false, err
				}
			}
		}
		return found, nil
	}
	return false, nil
}

// manifest reads a PrometheusRule's spec.groups.
func (r *reader) manifest(doc, item int, m mapping) error {
	name := ""
	if md, ok := m.get("metadata"); ok && md.Kind == yaml.MappingNode {
		mm, err := r.pairs(md)
		if err != nil {
			return err
		}
		if n, ok := mm.get("name"); ok {
			name = n.Value
		}
		if ns, ok := mm.get("namespace"); ok && ns.Value != "" {
			name = ns.Value + "/" + name
		}
	}
	spec, ok := m.get("spec")
	if !ok || spec.Kind == yaml.ScalarNode && spec.Tag == "!!null" {
		return nil
	}
	if spec.Kind != yaml.MappingNode {
		return r.errorf(spec.Line, ErrInvalidRule, "PrometheusRule spec: expected a mapping, found %s", describe(spec))
	}
	sm, err := r.pairs(spec)
	if err != nil {
		return err
	}
	g, ok := sm.get("groups")
	if !ok {
		return nil
	}
	if name == "" {
		name = "PrometheusRule"
	}
	return r.groups(doc, item, name, g)
}

func (r *reader) groups(doc, item int, manifest string, groups *yaml.Node) error {
	if groups.Kind == yaml.ScalarNode && groups.Tag == "!!null" {
		return nil
	}
	if groups.Kind != yaml.SequenceNode {
		return r.errorf(groups.Line, ErrInvalidRule, "groups: expected a list of rule groups, found %s", describe(groups))
	}
	for gi, gn := range groups.Content {
		gn = yamledit.Resolve(gn)
		if gn.Kind != yaml.MappingNode {
			return r.errorf(gn.Line, ErrInvalidRule, "rule group: expected a mapping with name: and rules:, found %s", describe(gn))
		}
		gm, err := r.pairs(gn)
		if err != nil {
			return err
		}
		name, ok := gm.get("name")
		if !ok || name.Kind != yaml.ScalarNode || name.Value == "" {
			return r.errorf(gn.Line, ErrInvalidRule, "rule group without a name")
		}
		interval := r.opts.Interval
		if iv, ok := gm.get("interval"); ok && iv.Tag != "!!null" {
			d, err := parseDuration(iv)
			if err != nil {
				return r.errorf(iv.Line, ErrInvalidRule, "group %q: interval: %v", name.Value, err)
			}
			if d > 0 {
				interval = d
			}
		}
		rules, ok := gm.get("rules")
		if !ok || rules.Tag == "!!null" {
			continue
		}
		if rules.Kind != yaml.SequenceNode {
			return r.errorf(rules.Line, ErrInvalidRule, "group %q: rules: expected a list, found %s", name.Value, describe(rules))
		}
		for ri, rn := range rules.Content {
			rule, err := r.rule(yamledit.Resolve(rn), rn)
			if err != nil {
				return err
			}
			rule.Doc, rule.Item, rule.GroupIndex, rule.Index = doc, item, gi, ri
			rule.Group, rule.Interval, rule.Manifest = name.Value, interval, manifest
			r.rules = append(r.rules, rule)
		}
	}
	return nil
}

// rule reads one rule mapping n (at written, an alias when the rule is
// one).
func (r *reader) rule(n, at *yaml.Node) (Rule, error) {
	rule := Rule{File: r.name, Path: r.path, Line: at.Line}
	if n.Kind != yaml.MappingNode {
		return rule, r.errorf(n.Line, ErrInvalidRule, "rule: expected a mapping with alert: or record: and expr:, found %s", describe(n))
	}
	m, err := r.pairs(n)
	if err != nil {
		return rule, err
	}
	str := func(key string) (string, *yaml.Node, error) {
		v, ok := m.get(key)
		if !ok || v.Tag == "!!null" {
			return "", nil, nil
		}
		if v.Kind != yaml.ScalarNode {
			return "", nil, r.errorf(v.Line, ErrInvalidRule, "%s: expected a string, found %s", key, describe(v))
		}
		return v.Value, v, nil
	}
	var exprNode *yaml.Node
	if rule.Alert, _, err = str("alert"); err != nil {
		return rule, err
	}
	if rule.Record, _, err = str("record"); err != nil {
		return rule, err
	}
	if rule.Expr, exprNode, err = str("expr"); err != nil {
		return rule, err
	}
	switch {
	case rule.Alert == "" && rule.Record == "":
		return rule, r.errorf(n.Line, ErrInvalidRule, "rule has neither alert: nor record:")
	case rule.Alert != "" && rule.Record != "":
		return rule, r.errorf(n.Line, ErrInvalidRule, "rule has both alert: %q and record: %q", rule.Alert, rule.Record)
	case strings.TrimSpace(rule.Expr) == "":
		return rule, r.errorf(n.Line, ErrInvalidRule, "rule %q has no expr:", rule.Name())
	}
	for _, d := range []struct {
		key  string
		text *string
		dur  *time.Duration
	}{{"for", &rule.For, &rule.ForDuration}, {"keep_firing_for", &rule.KeepFiringFor, &rule.KeepFiringForDuration}} {
		v, node, err := str(d.key)
		if err != nil {
			return rule, err
		}
		if node == nil {
			continue
		}
		if rule.Record != "" {
			return rule, r.errorf(node.Line, ErrInvalidRule, "recording rule %q: %s: is only for alerting rules", rule.Record, d.key)
		}
		if *d.dur, err = parseDuration(node); err != nil {
			return rule, r.errorf(node.Line, ErrInvalidRule, "rule %q: %s: %v", rule.Name(), d.key, err)
		}
		*d.text = v
	}
	if rule.Labels, err = r.stringMap(m, "labels", rule.Name()); err != nil {
		return rule, err
	}
	if rule.Annotations, err = r.stringMap(m, "annotations", rule.Name()); err != nil {
		return rule, err
	}
	if exprNode != nil {
		rule.ExprLine = exprNode.Line
	}
	me, perr := metricsql.Parse(rule.Expr)
	if perr != nil {
		rule.ParseError = perr.Error()
		return rule, nil
	}
	if rule.Alert != "" {
		if th := findThreshold(rule.Expr, me); th != nil {
			th.FileOffset, th.FileLine = -1, -1
			if err := r.f.CheckEditable(exprNode); err != nil {
				th.NotEditable = err.Error()
			} else if off, err := r.f.ValueOffset(exprNode, th.Offset, th.Offset+len(th.Text)); err != nil {
				th.NotEditable = err.Error()
			} else {
				th.FileOffset, th.FileLine = off, r.f.LineOf(off)
			}
			rule.Threshold = th
		}
	}
	return rule, nil
}

func (r *reader) stringMap(m mapping, key, rule string) (map[string]string, error) {
	v, ok := m.get(key)
	if !ok || v.Tag == "!!null" {
		return nil, nil
	}
	if v.Kind != yaml.MappingNode {
		return nil, r.errorf(v.Line, ErrInvalidRule, "rule %q: %s: expected a mapping, found %s", rule, key, describe(v))
	}
	pm, err := r.pairs(v)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(pm.keyNodes))
	for i, k := range pm.keyNodes {
		val := pm.values[i]
		if val.Kind != yaml.ScalarNode {
			return nil, r.errorf(val.Line, ErrInvalidRule, "rule %q: %s.%s: expected a string, found %s", rule, key, k.Value, describe(val))
		}
		if val.Tag == "!!null" {
			out[k.Value] = ""
			continue
		}
		out[k.Value] = val.Value
	}
	return out, nil
}

// mapping is a YAML mapping with aliases resolved and merge keys applied.
type mapping struct {
	keyNodes []*yaml.Node
	values   []*yaml.Node
}

func (m mapping) get(key string) (*yaml.Node, bool) {
	for i, k := range m.keyNodes {
		if k.Value == key {
			return m.values[i], true
		}
	}
	return nil, false
}

func (m mapping) keys() string {
	var ks []string
	for _, k := range m.keyNodes {
		ks = append(ks, k.Value)
	}
	if len(ks) > 5 {
		ks = append(ks[:5], "…")
	}
	return strings.Join(ks, ", ")
}

// pairs reads mapping n's pairs, resolving aliases and applying merge
// keys (`<<: *base`; the mapping's own keys win). A key given twice is an
// error, as it is for Prometheus.
func (r *reader) pairs(n *yaml.Node) (mapping, error) {
	var m, merged mapping
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := yamledit.Resolve(n.Content[i]), yamledit.Resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return m, r.errorf(k.Line, ErrInvalidRule, "expected a string key, found %s", describe(k))
		}
		if k.Value == "<<" && k.Style == 0 && (k.Tag == "!!merge" || k.Tag == "") {
			srcs := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				srcs = v.Content
			}
			for _, s := range srcs {
				s = yamledit.Resolve(s)
				if s.Kind != yaml.MappingNode {
					return m, r.errorf(s.Line, ErrInvalidRule, "merge key <<: expected a mapping, found %s", describe(s))
				}
				sm, err := r.pairs(s)
				if err != nil {
					return m, err
				}
				for j, sk := range sm.keyNodes {
					if _, dup := merged.get(sk.Value); !dup {
						merged.keyNodes = append(merged.keyNodes, sk)
						merged.values = append(merged.values, sm.values[j])
					}
				}
			}
			continue
		}
		if line, dup := seen[k.Value]; dup {
			return m, r.errorf(k.Line, ErrInvalidRule, "key %q given twice (first at line %d)", k.Value, line)
		}
		seen[k.Value] = k.Line
		m.keyNodes = append(m.keyNodes, k)
		m.values = append(m.values, v)
	}
	for i, k := range merged.keyNodes {
		if _, own := seen[k.Value]; !own {
			m.keyNodes = append(m.keyNodes, k)
			m.values = append(m.values, merged.values[i])
		}
	}
	return m, nil
}

// parseDuration parses a Prometheus duration (5m, 1h30m, 0).
func parseDuration(n *yaml.Node) (time.Duration, error) {
	if n.Kind != yaml.ScalarNode {
		return 0, fmt.Errorf("expected a duration such as 5m, found %s", describe(n))
	}
	d, err := model.ParseDuration(n.Value)
	if err != nil {
		return 0, fmt.Errorf("expected a duration such as 5m or 1h30m, found %q", n.Value)
	}
	return time.Duration(d), nil
}

// describe names what kind of YAML node n is, for errors.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		return fmt.Sprintf("the scalar %q", v)
	}
	return "an alias"
}

// sortedKeys returns m's keys in order.
func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
