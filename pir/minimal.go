package pir

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// parseMinimal reads the minimal YAML list Lapilli uses: a list, or
// incidents: holding a list, of {id, start, end?, title?, labels?}. The
// optional severity, url and drill (true for an exercise) are read too;
// other keys are ignored.
func parseMinimal(data []byte, name string) ([]Incident, error) {
	root, err := yamlRoot(data, name)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, parseErr(name, 0, "", "empty file: want a list of incidents, or incidents: holding one")
	}
	list := root
	if root.Kind == yaml.MappingNode {
		list = mapValue(root, "incidents")
		if list == nil {
			return nil, &ParseError{File: name, Line: root.Line, Msg: "not an incident file: " + formatsWant, Err: ErrUnknownFormat}
		}
	}
	if list.Kind == yaml.ScalarNode && list.Tag == "!!null" {
		return nil, nil
	}
	if list.Kind != yaml.SequenceNode {
		if list == root {
			return nil, &ParseError{File: name, Line: root.Line, Msg: "not an incident file: " + formatsWant, Err: ErrUnknownFormat}
		}
		return nil, parseErr(name, list.Line, "incidents", "want a list of {id, start, end, title, labels}")
	}
	out := make([]Incident, 0, len(list.Content))
	for i, item := range list.Content {
		field := fmt.Sprintf("incidents[%d]", i)
		if item.Kind != yaml.MappingNode {
			return nil, parseErr(name, item.Line, field, "want a mapping {id, start, end, title, labels}")
		}
		in := Incident{}
		for k := 0; k+1 < len(item.Content); k += 2 {
			key, val := item.Content[k], item.Content[k+1]
			f := field + "." + key.Value
			switch key.Value {
			case "id":
				if in.ID, err = scalar(name, f, val); err != nil {
					return nil, err
				}
			case "title":
				if in.Title, err = scalar(name, f, val); err != nil {
					return nil, err
				}
			case "severity":
				if in.Severity, err = scalar(name, f, val); err != nil {
					return nil, err
				}
			case "url":
				if in.URL, err = scalar(name, f, val); err != nil {
					return nil, err
				}
			case "start":
				if in.StartedAt, err = yamlTime(name, f, val, nil); err != nil {
					return nil, err
				}
			case "end":
				if isNull(val) {
					continue
				}
				if in.ResolvedAt, err = yamlTime(name, f, val, nil); err != nil {
					return nil, err
				}
			case "labels":
				if err := yamlLabels(name, f, val, &in); err != nil {
					return nil, err
				}
			case "drill":
				var drill bool
				if drill, err = yamlBool(name, f, val); err != nil {
					return nil, err
				}
				if drill {
					in.Mode = ModeDrill
				}
			}
		}
		if err := checkRecord(name, item.Line, field, &in); err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, nil
}

// formatsWant lists what an incident file can be.
const formatsWant = "want a list of {id, start, end, title, labels} (or incidents: holding one), a PagerDuty, incident.io, FireHydrant, Rootly or Opsgenie API export, a CSV with id,start,end,title columns, or a Markdown review"

// checkRecord verifies what every record needs: an id, a start and an end
// not before the start.
func checkRecord(name string, line int, field string, in *Incident) error {
	sep := "."
	if field == "" {
		sep = ""
	}
	if strings.TrimSpace(in.ID) == "" {
		return parseErr(name, line, field+sep+"id", "missing: every incident needs an id")
	}
	in.ID = strings.TrimSpace(in.ID)
	if in.StartedAt.IsZero() {
		return parseErr(name, line, field+sep+"start", "missing: incident %s needs a start time", in.ID)
	}
	if !in.ResolvedAt.IsZero() && in.ResolvedAt.Before(in.StartedAt) {
		return parseErr(name, line, field+sep+"end", "incident %s ends (%s) before it starts (%s)", in.ID, in.ResolvedAt.Format(time.RFC3339), in.StartedAt.Format(time.RFC3339))
	}
	return nil
}

// yamlRoot decodes data and returns its top node (nil for an empty
// document).
func yamlRoot(data []byte, name string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(name, 0, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

var yamlLineRe = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// yamlError turns a yaml.v3 error into a ParseError; offset is added to
// its line (a front matter starts after the first line).
func yamlError(name string, offset int, err error) error {
	msg := err.Error()
	line := 0
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		if m[1] != "" {
			line, _ = strconv.Atoi(m[1])
			line += offset
		}
		msg = m[2]
	}
	return &ParseError{File: name, Line: line, Msg: "invalid YAML: " + msg, Err: err}
}

// mapValue returns the value of key in a mapping node, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && (n.Tag == "!!null" || n.Value == "")
}

// scalar returns a scalar node's text.
func scalar(name, field string, n *yaml.Node) (string, error) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.ScalarNode {
		return "", parseErr(name, n.Line, field, "want a single value, not a list or mapping")
	}
	if n.Tag == "!!null" {
		return "", nil
	}
	return n.Value, nil
}

func yamlTime(name, field string, n *yaml.Node, loc *time.Location) (time.Time, error) {
	s, err := scalar(name, field, n)
	if err != nil {
		return time.Time{}, err
	}
	t, err := parseTime(s, loc)
	if err != nil {
		return time.Time{}, &ParseError{File: name, Line: n.Line, Field: field, Msg: err.Error(), Err: err}
	}
	return t, nil
}

func yamlBool(name, field string, n *yaml.Node) (bool, error) {
	s, err := scalar(name, field, n)
	if err != nil {
		return false, err
	}
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true, nil
	case "false", "no", "off", "":
		return false, nil
	}
	return false, parseErr(name, n.Line, field, "cannot parse %q: want true or false", s)
}

// yamlLabels reads a mapping of label names to single values into in.
func yamlLabels(name, field string, n *yaml.Node, in *Incident) error {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return parseErr(name, n.Line, field, "want a mapping of label names to values")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, err := scalar(name, field, n.Content[i])
		if err != nil {
			return err
		}
		if !validLabelName(k) {
			return parseErr(name, n.Content[i].Line, field, "invalid label name %q: want letters, digits and underscores, not starting with a digit", k)
		}
		v, err := labelValue(name, field+"."+k, n.Content[i+1])
		if err != nil {
			return err
		}
		in.setLabel(k, v)
	}
	return nil
}

// labelValue reads a label's value: a scalar, or a list of alternatives
// joined with "|".
func labelValue(name, field string, n *yaml.Node) (string, error) {
	if n.Kind == yaml.SequenceNode {
		var alts []string
		for _, c := range n.Content {
			s, err := scalar(name, field, c)
			if err != nil {
				return "", err
			}
			if s = strings.TrimSpace(s); s != "" {
				alts = append(alts, s)
			}
		}
		return strings.Join(alts, "|"), nil
	}
	return scalar(name, field, n)
}

// validLabelName reports whether s is a Prometheus label name.
func validLabelName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}
