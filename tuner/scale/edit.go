package scale

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/omenhq/omen/tuner/yamledit"
)

// Errors of Edit.
var (
	// ErrStale reports a field whose value is neither a change's from nor
	// its to: the manifest changed since the proposal was made.
	ErrStale = errors.New("scale: the manifest changed since the proposal was made")
	// ErrApplied reports changes that are all in the manifest already.
	ErrApplied = errors.New("scale: already applied")
	// ErrField reports a field that cannot be found or made in the object.
	ErrField = errors.New("scale: field not in the object")
)

// Change is one field of a manifest changed.
type Change struct {
	// Field is the field's name as in the manifest: minReplicas,
	// maxReplicas, averageUtilization (the CPU metric's target),
	// behavior.scaleDown.stabilizationWindowSeconds, targetCPUUtilizationPercentage
	// (autoscaling/v1 and values), minReplicaCount, maxReplicaCount,
	// triggers.cpu.value and
	// advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds
	// (ScaledObject), replicas (replicaCount), requests.cpu, requests.memory,
	// limits.cpu, limits.memory.
	Field string `json:"field"`
	// Container names the container of a resources field (empty for a
	// values file's).
	Container string `json:"container,omitempty"`
	// From and To are the values: numbers, strings (quantities such as
	// "250m", "512Mi") or null (absent).
	From any `json:"from"`
	To   any `json:"to"`
}

// path is a location in a document: string keys and int sequence indexes.
type path []any

func (p path) String() string {
	var b strings.Builder
	for _, s := range p {
		switch s := s.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", s)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.(string))
		}
	}
	return b.String()
}

// fieldPath returns the path of a change's field in an object's root
// mapping, resolving sequence items (a metric, a trigger, a container) by
// their content.
func fieldPath(root *yaml.Node, kind, apiVersion string, c Change) (path, error) {
	res := func(r string) (path, error) {
		if c.Container == "" && kind != KindValues {
			return nil, fmt.Errorf("%w: %s needs a container", ErrField, c.Field)
		}
		if kind == KindValues {
			return path{"resources", r, ""}, nil
		}
		spec := getNode(getNode(getNode(root, "spec"), "template"), "spec")
		i, err := seqIndex(getNode(spec, "containers"), func(n *yaml.Node) bool { return scalarOf(n, "name") == c.Container })
		if err != nil {
			return nil, fmt.Errorf("%w: container %q: %v", ErrField, c.Container, err)
		}
		return path{"spec", "template", "spec", "containers", i, "resources", r, ""}, nil
	}
	if r, name, ok := strings.Cut(c.Field, "."); ok && (r == "requests" || r == "limits") && (name == "cpu" || name == "memory") {
		if kind != KindDeployment && kind != KindStatefulSet && kind != KindValues {
			return nil, fmt.Errorf("%w: %s is a container field, not one of a %s", ErrField, c.Field, kind)
		}
		p, err := res(r)
		if err != nil {
			return nil, err
		}
		p[len(p)-1] = name
		return p, nil
	}
	switch kind + " " + c.Field {
	case KindDeployment + " replicas", KindStatefulSet + " replicas":
		return path{"spec", "replicas"}, nil
	case KindValues + " replicas", KindValues + " replicaCount":
		return path{"replicaCount"}, nil
	case KindValues + " minReplicas", KindValues + " maxReplicas", KindValues + " targetCPUUtilizationPercentage", KindValues + " targetMemoryUtilizationPercentage":
		return path{"autoscaling", c.Field}, nil
	case KindHPA + " minReplicas", KindHPA + " maxReplicas":
		return path{"spec", c.Field}, nil
	case KindScaledObject + " minReplicaCount", KindScaledObject + " maxReplicaCount":
		return path{"spec", c.Field}, nil
	}
	switch {
	case kind == KindHPA && apiVersion == "autoscaling/v1" && c.Field == "targetCPUUtilizationPercentage":
		return path{"spec", c.Field}, nil
	case kind == KindHPA && apiVersion != "autoscaling/v1" && c.Field == "averageUtilization":
		i, err := seqIndex(getNode(getNode(root, "spec"), "metrics"), func(n *yaml.Node) bool {
			return scalarOf(n, "type") == "Resource" && scalarOf(getNode(n, "resource"), "name") == "cpu"
		})
		if err != nil {
			return nil, fmt.Errorf("%w: the cpu Resource metric: %v", ErrField, err)
		}
		return path{"spec", "metrics", i, "resource", "target", "averageUtilization"}, nil
	case kind == KindHPA && apiVersion != "autoscaling/v1" && c.Field == "behavior.scaleDown.stabilizationWindowSeconds":
		return path{"spec", "behavior", "scaleDown", "stabilizationWindowSeconds"}, nil
	case kind == KindScaledObject && c.Field == "triggers.cpu.value":
		i, err := seqIndex(getNode(getNode(root, "spec"), "triggers"), func(n *yaml.Node) bool { return scalarOf(n, "type") == "cpu" })
		if err != nil {
			return nil, fmt.Errorf("%w: the cpu trigger: %v", ErrField, err)
		}
		return path{"spec", "triggers", i, "metadata", "value"}, nil
	case kind == KindScaledObject && c.Field == "advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds":
		return path{"spec", "advanced", "horizontalPodAutoscalerConfig", "behavior", "scaleDown", "stabilizationWindowSeconds"}, nil
	}
	// The scale-up behaviour: its window, its select policy, and the value
	// and period of an existing policy of a type.
	var base path
	rest, ok := "", false
	switch {
	case kind == KindHPA && apiVersion != "autoscaling/v1":
		base = path{"spec", "behavior", "scaleUp"}
		rest, ok = strings.CutPrefix(c.Field, "behavior.scaleUp.")
	case kind == KindScaledObject:
		base = path{"spec", "advanced", "horizontalPodAutoscalerConfig", "behavior", "scaleUp"}
		rest, ok = strings.CutPrefix(c.Field, "advanced.horizontalPodAutoscalerConfig.behavior.scaleUp.")
	}
	if ok {
		switch rest {
		case "stabilizationWindowSeconds", "selectPolicy":
			return append(base, rest), nil
		}
		if typ, key, found := strings.Cut(strings.TrimPrefix(rest, "policies."), "."); found && strings.HasPrefix(rest, "policies.") && (key == "value" || key == "periodSeconds") {
			node := root
			for _, s := range base {
				node = getNode(node, s.(string))
			}
			i, err := seqIndex(getNode(node, "policies"), func(n *yaml.Node) bool { return scalarOf(n, "type") == typ })
			if err != nil {
				return nil, fmt.Errorf("%w: the scale-up policy of type %s: %v", ErrField, typ, err)
			}
			return append(base, "policies", i, key), nil
		}
	}
	return nil, fmt.Errorf("%w: %q is not a field omen changes in a %s", ErrField, c.Field, kind)
}

func seqIndex(seq *yaml.Node, match func(*yaml.Node) bool) (int, error) {
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return 0, errors.New("no such list")
	}
	found := -1
	for i, n := range seq.Content {
		if match(yamledit.Resolve(n)) {
			if found >= 0 {
				return 0, errors.New("more than one item matches")
			}
			found = i
		}
	}
	if found < 0 {
		return 0, errors.New("no item matches")
	}
	return found, nil
}

// findDoc returns the document of obj in f: the one at obj.Doc when its
// kind and name still match, otherwise the only one that matches.
func findDoc(f *yamledit.File, obj Ref) (int, *yaml.Node, error) {
	match := func(d *yaml.Node) bool {
		if len(d.Content) == 0 || d.Content[0].Kind != yaml.MappingNode {
			return false
		}
		root := d.Content[0]
		if obj.Kind == KindValues {
			return scalarOf(root, "kind") == "" && scalarOf(root, "apiVersion") == ""
		}
		return scalarOf(root, "kind") == obj.Kind && scalarOf(getNode(root, "metadata"), "name") == obj.Name &&
			(obj.APIVersion == "" || scalarOf(root, "apiVersion") == obj.APIVersion)
	}
	docs := f.Docs()
	if obj.Doc >= 0 && obj.Doc < len(docs) && match(docs[obj.Doc]) {
		return obj.Doc, docs[obj.Doc].Content[0], nil
	}
	found := -1
	for i, d := range docs {
		if match(d) {
			if found >= 0 {
				return 0, nil, fmt.Errorf("%w: %s: more than one %s %s", ErrField, obj.File, obj.Kind, obj.Name)
			}
			found = i
		}
	}
	if found < 0 {
		return 0, nil, fmt.Errorf("%w: %s: no %s %s", ErrField, obj.File, obj.Kind, obj.Name)
	}
	return found, docs[found].Content[0], nil
}

// Edit applies changes to object obj of a manifest or values file (src is
// the file's bytes) with the minimal editor: only the changed values'
// bytes differ, a missing field is inserted in the style of its mapping.
// A field already at its "to" is left alone; one at neither "from" nor
// "to" is ErrStale; changes all applied already are ErrApplied.
//
// The result is checked before it is returned: the edited object must
// decode strictly into its Kubernetes type (DecodeStrict; DecodeValues for
// a values file), and decoded, it must equal the original decoded with
// the changes made — nothing else may differ.
func Edit(src []byte, obj Ref, changes []Change) ([]byte, error) {
	f, doc, root, err := openObject(src, obj)
	if err != nil {
		return nil, err
	}
	type edit struct {
		c Change
		p path
	}
	var edits []edit
	for _, c := range changes {
		p, err := fieldPath(root, obj.Kind, obj.APIVersion, c)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %s %s: %w", obj.File, root.Line, obj.Kind, obj.Name, err)
		}
		cur, node := valueAt(root, p)
		switch {
		case sameValue(cur, c.To):
			continue
		case !sameValue(cur, c.From):
			return nil, fmt.Errorf("%w: %s:%d: %s %s: %s is %s, the proposal was made for %s → %s", ErrStale, obj.File, line(node, root), obj.Kind, obj.Name, p, shown(cur), shown(c.From), shown(c.To))
		}
		text, err := valueText(c.To)
		if err != nil {
			return nil, fmt.Errorf("%s: %s %s: %s: %w", obj.File, obj.Kind, obj.Name, c.Field, err)
		}
		if err := set(f, root, p, text); err != nil {
			return nil, fmt.Errorf("%s:%d: %s %s: cannot write %s: %w", obj.File, line(node, root), obj.Kind, obj.Name, p, err)
		}
		edits = append(edits, edit{c, p})
	}
	if len(edits) == 0 {
		return nil, fmt.Errorf("%w: %s %s in %s", ErrApplied, obj.Kind, obj.Name, obj.File)
	}
	out, g, err := edited(f, obj)
	if err != nil {
		return nil, err
	}
	// The check: strict decoding, and nothing but the changes differs.
	before, err := decodedMap(f.Docs()[doc], obj.Kind)
	if err != nil {
		return nil, fmt.Errorf("%s: %s %s: %w", obj.File, obj.Kind, obj.Name, err)
	}
	after, err := decodedMap(g.Docs()[doc], obj.Kind)
	if err != nil {
		return nil, fmt.Errorf("%s: %s %s: the edited object: %w", obj.File, obj.Kind, obj.Name, err)
	}
	for _, e := range edits {
		if err := setMap(before, e.p, e.c.To); err != nil {
			return nil, fmt.Errorf("%s: %s %s: %w", obj.File, obj.Kind, obj.Name, err)
		}
	}
	if !reflect.DeepEqual(normalize(before), normalize(after)) {
		return nil, fmt.Errorf("%w: %s: %s %s: the edited object differs from the original in more than the changed values", yamledit.ErrVerify, obj.File, obj.Kind, obj.Name)
	}
	// And it reads back as Read reads it (bounds, targets).
	if _, _, _, _, err := parseFile(obj.File, out, ReadOptions{}); err != nil {
		return nil, fmt.Errorf("%s %s: the edited file would not be accepted: %w", obj.Kind, obj.Name, err)
	}
	return out, nil
}

// openObject parses src and finds the document of obj in it (its index
// and root mapping).
// HasObject reports, with an error saying why not, whether src holds the
// object obj names (its kind, name and apiVersion; once): the check that a
// file written beside a manifest, such as an HPA's schedule, still has its
// object to act on.
func HasObject(src []byte, obj Ref) error {
	_, _, _, err := openObject(src, obj)
	return err
}

func openObject(src []byte, obj Ref) (*yamledit.File, int, *yaml.Node, error) {
	f, err := yamledit.Parse(src)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("scale: %s: %w", obj.File, err)
	}
	doc, root, err := findDoc(f, obj)
	if err != nil {
		return nil, 0, nil, err
	}
	return f, doc, root, nil
}

// edited returns the bytes of f with its queued edits and those bytes
// parsed again, for the checks that follow an edit.
func edited(f *yamledit.File, obj Ref) ([]byte, *yamledit.File, error) {
	out, err := f.Bytes()
	if err != nil {
		return nil, nil, fmt.Errorf("scale: %s: %w", obj.File, err)
	}
	g, err := yamledit.Parse(out)
	if err != nil {
		return nil, nil, fmt.Errorf("scale: %s: the edited file does not parse: %w", obj.File, err)
	}
	return out, g, nil
}

func line(n, root *yaml.Node) int {
	if n != nil {
		return n.Line
	}
	return root.Line
}

// valueAt returns the value at p (a string, a number or nil) and its node.
func valueAt(root *yaml.Node, p path) (any, *yaml.Node) {
	n := root
	for _, s := range p {
		switch s := s.(type) {
		case int:
			if n == nil || n.Kind != yaml.SequenceNode || s >= len(n.Content) {
				return nil, nil
			}
			n = yamledit.Resolve(n.Content[s])
		case string:
			n = getNode(n, s)
		}
		if n == nil {
			return nil, nil
		}
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return nil, n
	}
	if n.Tag == "!!int" || n.Tag == "!!float" {
		if v, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return v, n
		}
	}
	return n.Value, n
}

// sameValue compares two values: numbers as numbers, quantities as
// quantities, nil with nil.
func sameValue(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	fa, aok := number(a)
	fb, bok := number(b)
	if aok && bok {
		return fa == fb
	}
	qa, err1 := resource.ParseQuantity(fmt.Sprint(a))
	qb, err2 := resource.ParseQuantity(fmt.Sprint(b))
	if err1 == nil && err2 == nil {
		return qa.Cmp(qb) == 0
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func number(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case int32:
		return float64(v), true
	case int64:
		return float64(v), true
	case float64:
		return v, true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	}
	return 0, false
}

func shown(v any) string {
	if v == nil {
		return "absent"
	}
	if f, ok := number(v); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprintf("%q", v)
}

// valueText is the YAML text of a value.
func valueText(v any) (string, error) {
	if f, ok := number(v); ok {
		if f != math.Trunc(f) || math.IsInf(f, 0) {
			return "", fmt.Errorf("%v is not a whole number", v)
		}
		return strconv.FormatInt(int64(f), 10), nil
	}
	if s, ok := v.(string); ok && s != "" {
		return s, nil
	}
	return "", fmt.Errorf("cannot write %v (want a number or a string)", v)
}

// set writes text at p: the scalar when it exists, else the missing keys
// inserted into the deepest mapping that exists.
func set(f *yamledit.File, root *yaml.Node, p path, text string) error {
	n := root
	for i, s := range p {
		switch s := s.(type) {
		case int:
			if n.Kind != yaml.SequenceNode || s >= len(n.Content) {
				return fmt.Errorf("%w: no item %d", ErrField, s)
			}
			n = yamledit.Resolve(n.Content[s])
		case string:
			next := getNode(n, s)
			if next != nil && !(next.Kind == yaml.ScalarNode && next.Tag == "!!null") {
				n = next
				continue
			}
			if next != nil {
				return fmt.Errorf("%w: %s is null; write it by hand", yamledit.ErrNotExact, p[:i+1])
			}
			// Insert the rest as nested mappings.
			rest := p[i:]
			pair := yamledit.Pair{Key: rest[len(rest)-1].(string), Value: text}
			if _, err := strconv.ParseInt(text, 10, 64); err == nil && !quantityField(p) {
				pair.Tag = "!!int"
			}
			for j := len(rest) - 2; j >= 0; j-- {
				k, ok := rest[j].(string)
				if !ok {
					return fmt.Errorf("%w: %s", ErrField, p)
				}
				pair = yamledit.Pair{Key: k, Pairs: []yamledit.Pair{pair}}
			}
			return f.Insert(n, insertAfter(n, pair.Key), pair)
		}
	}
	return f.SetScalar(n, text)
}

// insertAfter places a new key after the key people expect before it.
func insertAfter(m *yaml.Node, key string) string {
	prefer := map[string][]string{
		"minReplicas":     {"scaleTargetRef"},
		"minReplicaCount": {"cooldownPeriod", "pollingInterval", "scaleTargetRef"},
		"maxReplicaCount": {"minReplicaCount"},
		"requests":        {"limits"},
	}
	for _, k := range prefer[key] {
		if v, _ := yamledit.Get(m, k); v != nil {
			return k
		}
	}
	return ""
}

// decodedMap decodes a document strictly into its type and returns the
// typed object as a JSON map, so two decodings compare field by field.
func decodedMap(doc *yaml.Node, kind string) (map[string]any, error) {
	b, err := docBytes(doc)
	if err != nil {
		return nil, err
	}
	var typed any
	if kind == KindValues {
		v, err := DecodeValues(b)
		if err != nil {
			return nil, err
		}
		typed = v
	} else {
		obj, err := DecodeStrict(b)
		if err != nil {
			return nil, err
		}
		typed = obj
	}
	j, err := json.Marshal(typed)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(string(j)))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// setMap sets p in a decoded object's map to v as the typed object would
// marshal it (a quantity canonical, a number).
func setMap(m map[string]any, p path, v any) error {
	var val any
	if f, ok := number(v); ok {
		val = json.Number(strconv.FormatFloat(f, 'f', -1, 64))
	} else {
		s := fmt.Sprint(v)
		if q, err := resource.ParseQuantity(s); err == nil && quantityField(p) {
			val = q.String()
		} else {
			val = s
		}
	}
	var cur any = m
	for i, s := range p {
		last := i == len(p)-1
		switch s := s.(type) {
		case int:
			l, ok := cur.([]any)
			if !ok || s >= len(l) {
				return fmt.Errorf("%w: %s", ErrField, p)
			}
			cur = l[s]
		case string:
			mm, ok := cur.(map[string]any)
			if !ok {
				return fmt.Errorf("%w: %s", ErrField, p)
			}
			if last {
				mm[s] = val
				return nil
			}
			next, ok := mm[s]
			if !ok || next == nil {
				next = map[string]any{}
				mm[s] = next
			}
			cur = next
		}
	}
	return nil
}

func quantityField(p path) bool {
	for _, s := range p {
		if s == "requests" || s == "limits" {
			return true
		}
	}
	return false
}

// normalize makes numbers comparable (json.Number "5" and "5.0").
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = normalize(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normalize(x)
		}
		return out
	case json.Number:
		f, err := v.Float64()
		if err == nil {
			return f
		}
		return v.String()
	}
	return v
}
