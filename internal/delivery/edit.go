package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/omenhq/omen/tuner"
)

// Errors of applying a proposal to a rule file.
var (
	// ErrStale reports a rule whose current value is neither the
	// proposal's "from" nor its "to": someone changed it since it was
	// tuned, so the proposal is not applied over their change.
	ErrStale = errors.New("delivery: the rule changed since it was tuned")
	// ErrApplied reports a proposal whose every value is already in the
	// file.
	ErrApplied = errors.New("delivery: already applied")
)

// EditFunc turns the bytes of a rule file (file is its path relative to
// the repository root) into the bytes with proposal p applied.
type EditFunc func(src []byte, file string, p Proposal) ([]byte, error)

// EditRules is the EditFunc of Prometheus rule files and PrometheusRule
// manifests: the tuner's minimal editor, which changes only the bytes of
// the values (a missing `for:` is inserted in the rule's own style). A
// value already at "to" is left alone; a value at neither "from" nor "to"
// is ErrStale; a proposal with every value at "to" is ErrApplied.
func EditRules(src []byte, file string, p Proposal) ([]byte, error) {
	rules, err := tuner.Parse(src, file, file, tuner.LoadOptions{})
	if err != nil {
		return nil, err
	}
	r, err := tuner.Find(rules, tuner.Selector{Alert: p.Alert, Group: p.Group, Labels: p.Labels})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var c tuner.Change
	pending := 0
	for _, ch := range p.Changes {
		cur, from, to, err := currentValue(r, ch)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %s: %s: %w", file, r.Line, r.Name(), ch.Field, err)
		}
		switch {
		case cur == to:
			continue
		case cur != from:
			return nil, fmt.Errorf("%w: %s:%d: %s: %s is %s, the proposal was made for %s → %s (run omen tune again)", ErrStale, file, r.Line, r.Name(), ch.Field, shown(cur), ch.From, ch.To)
		}
		pending++
		switch ch.Field {
		case "threshold":
			v, _ := ch.To.Number()
			c.Threshold = &v
		case "for":
			d, _ := ch.To.Duration()
			c.For = &d
		case "keep_firing_for":
			d, _ := ch.To.Duration()
			c.KeepFiringFor = &d
		default:
			name, _ := ch.Label()
			if c.Labels == nil {
				c.Labels = map[string]string{}
			}
			c.Labels[name] = ch.To.String()
		}
	}
	if pending == 0 {
		return nil, fmt.Errorf("%w: %s:%d: %s", ErrApplied, file, r.Line, r.Name())
	}
	return tuner.Edit(src, r, c)
}

// currentValue returns the rule's value of a change's field and the
// change's from and to, all in one canonical text so they compare.
func currentValue(r tuner.Rule, ch Change) (cur, from, to string, err error) {
	switch ch.Field {
	case "threshold":
		if r.Threshold == nil {
			return "", "", "", tuner.ErrNoThreshold
		}
		cur = canonNumber(r.Threshold.Value)
		if from, err = numberText(ch.From); err != nil {
			return "", "", "", fmt.Errorf("\"from\": %w", err)
		}
		to, err = numberText(ch.To)
		return cur, from, to, err
	case "for", "keep_firing_for":
		d := r.ForDuration
		if ch.Field == "keep_firing_for" {
			d = r.KeepFiringForDuration
		}
		cur = tuner.FormatDuration(d)
		if from, err = durationText(ch.From); err != nil {
			return "", "", "", fmt.Errorf("\"from\": %w", err)
		}
		to, err = durationText(ch.To)
		return cur, from, to, err
	}
	name, _ := ch.Label()
	cur = absent
	if v, ok := r.Labels[name]; ok {
		cur = v
	}
	from = absent
	if !ch.From.IsNull() {
		from = ch.From.String()
	}
	return cur, from, ch.To.String(), nil
}

// absent stands for a value the rule does not have.
const absent = "\x00absent"

func shown(s string) string {
	if s == absent {
		return "absent"
	}
	return s
}

func canonNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.12g", v)
}

func numberText(v Value) (string, error) {
	if v.IsNull() {
		return absent, nil
	}
	f, err := v.Number()
	if err != nil {
		return "", err
	}
	return canonNumber(f), nil
}

func durationText(v Value) (string, error) {
	if v.IsNull() {
		return tuner.FormatDuration(0), nil // no for: is for: 0s
	}
	d, err := v.Duration()
	if err != nil {
		return "", err
	}
	return tuner.FormatDuration(d), nil
}

// ValidateRules is the gitops.ValidateFunc of rule files: every changed
// *.yml or *.yaml file is read again by the tuner's reader, and, when
// promtool is on PATH, checked with `promtool check rules` (the groups of
// a PrometheusRule manifest are checked as the rule file the Prometheus
// Operator makes of them). An error names the file and what is wrong.
func ValidateRules(ctx context.Context, dir string, paths []string) error {
	promtool, _ := exec.LookPath("promtool")
	var plain []string
	var specs []string             // temporary rule files holding manifests' groups
	shownAs := map[string]string{} // temporary file → what errors call it
	tmp := ""
	defer func() {
		if tmp != "" {
			_ = os.RemoveAll(tmp)
		}
	}()
	for _, p := range paths {
		if ext := strings.ToLower(path.Ext(p)); ext != ".yml" && ext != ".yaml" {
			continue
		}
		src, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted
		}
		if err != nil {
			return err
		}
		if _, err := tuner.Parse(src, p, p, tuner.LoadOptions{}); err != nil {
			return fmt.Errorf("the edited file does not read back: %w", err)
		}
		if promtool == "" {
			continue
		}
		groups, manifest, err := manifestGroups(src)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if !manifest {
			plain = append(plain, p)
			continue
		}
		if tmp == "" {
			if tmp, err = os.MkdirTemp("", "omen-promtool-"); err != nil {
				return err
			}
		}
		for i, g := range groups {
			name := filepath.Join(tmp, fmt.Sprintf("%s.%d.rules.yml", strings.ReplaceAll(p, "/", "_"), i))
			if err := os.WriteFile(name, g, 0o600); err != nil {
				return err
			}
			specs = append(specs, name)
			shownAs[name] = fmt.Sprintf("%s (the groups of its PrometheusRule %d)", p, i+1)
		}
	}
	if promtool == "" || len(plain)+len(specs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, promtool, append([]string{"check", "rules"}, append(plain, specs...)...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		for name, as := range shownAs {
			msg = strings.ReplaceAll(msg, name, as)
		}
		return fmt.Errorf("promtool check rules failed: %s", msg)
	}
	return nil
}

// manifestGroups returns, for a stream of Kubernetes manifests, the
// `groups:` of each PrometheusRule's spec as a rule file; manifest is false
// for a plain rule file.
func manifestGroups(src []byte) (groups [][]byte, manifest bool, err error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, false, err
		}
		if doc == nil {
			continue
		}
		if _, ok := doc["groups"]; ok {
			return nil, false, nil
		}
		manifest = true
		groups = append(groups, specGroups(doc)...)
	}
	return groups, manifest, nil
}

func specGroups(doc map[string]any) [][]byte {
	switch doc["kind"] {
	case "PrometheusRule":
		spec, _ := doc["spec"].(map[string]any)
		if spec == nil {
			return nil
		}
		b, err := yaml.Marshal(map[string]any{"groups": spec["groups"]})
		if err != nil {
			return nil
		}
		return [][]byte{b}
	case "List":
		var out [][]byte
		items, _ := doc["items"].([]any)
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				out = append(out, specGroups(m)...)
			}
		}
		return out
	}
	return nil
}
