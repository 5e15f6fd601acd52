package tuner

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"text/template"
	"time"
	"unicode"

	"github.com/prometheus/common/model"
)

// templateDefs are the variables Prometheus defines before a rule's
// label or annotation template (template.go, NewTemplateExpander callers).
const templateDefs = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"

// templateData is what a label template sees: .Labels (the result
// series' labels without __name__), .Value (the sample), and empty
// external labels and URL.
type templateData struct {
	Labels         map[string]string
	ExternalLabels map[string]string
	ExternalURL    string
	Value          float64
}

// errNoQuery is what the query template function returns in a replay.
var errNoQuery = errors.New("the query template function is not available in a replay")

// labelTemplate is one rule label value: literal, or a parsed Go
// template as Prometheus expands it.
type labelTemplate struct {
	name, text string
	tmplName   string
	tmpl       *template.Template
	parseErr   error
	// usesValue reports whether the template mentions the sample value,
	// so that it must be expanded at every instant rather than once per
	// series.
	usesValue bool
}

// newLabelTemplate prepares the label name of alert with value text; the
// template is named "__alert_" + alert as in Prometheus, so errors read
// the same.
func newLabelTemplate(alert, name, text string) labelTemplate {
	lt := labelTemplate{name: name, text: text, tmplName: "__alert_" + alert}
	if !strings.Contains(text, "{{") {
		return lt
	}
	lt.usesValue = strings.Contains(text, "$value") || strings.Contains(text, ".Value")
	lt.tmpl, lt.parseErr = template.New(lt.tmplName).Funcs(templateFuncs).Option("missingkey=zero").Parse(templateDefs + text)
	if lt.parseErr != nil {
		lt.parseErr = fmt.Errorf("error parsing template %s: %w", lt.tmplName, lt.parseErr)
	}
	return lt
}

// expand returns the label's value for a series with labels ls (without
// __name__) and value v. An error gives, as Prometheus does, the text
// "<error expanding template: error executing template __alert_A: …>".
func (lt labelTemplate) expand(ls map[string]string, v float64) string {
	if lt.tmpl == nil && lt.parseErr == nil {
		return lt.text
	}
	err := lt.parseErr
	if err == nil {
		var b strings.Builder
		if err = lt.tmpl.Execute(&b, templateData{Labels: ls, Value: v}); err == nil {
			return b.String()
		}
		err = fmt.Errorf("error executing template %s: %w", lt.tmplName, err)
	}
	return fmt.Sprintf("<error expanding template: %v>", err)
}

// templateFuncs are Prometheus's template functions that make sense
// without a server (template/template.go); query and the functions on
// query results fail with errNoQuery.
var templateFuncs = template.FuncMap{
	"query":    func(string) (string, error) { return "", errNoQuery },
	"first":    func(any) (string, error) { return "", errNoQuery },
	"label":    func(string, any) (string, error) { return "", errNoQuery },
	"value":    func(any) (string, error) { return "", errNoQuery },
	"strvalue": func(any) (string, error) { return "", errNoQuery },
	"args":     templateArgs,
	"safeHtml": func(s string) string { return s },
	"toUpper":  strings.ToUpper,
	"toLower":  strings.ToLower,
	"title":    title,
	"match":    regexp.MatchString,
	"humanize": humanize,
	"pathPrefix": func() string {
		return ""
	},
	"externalURL": func() string { return "" },
	"reReplaceAll": func(pattern, repl, text string) (string, error) {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return "", err
		}
		return re.ReplaceAllString(text, repl), nil
	},
	"humanize1024":       humanize1024,
	"humanizeDuration":   humanizeDuration,
	"humanizePercentage": humanizePercentage,
	"humanizeTimestamp":  humanizeTimestamp,
	"parseDuration": func(s string) (float64, error) {
		d, err := model.ParseDuration(s)
		if err != nil {
			return 0, err
		}
		return time.Duration(d).Seconds(), nil
	},
}

func templateArgs(args ...any) map[string]any {
	m := make(map[string]any, len(args))
	for i, a := range args {
		m[fmt.Sprintf("arg%d", i)] = a
	}
	return m
}

// toFloat converts a template argument to a number as Prometheus does:
// numbers as they are, strings parsed.
func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case string:
		var f float64
		_, err := fmt.Sscan(x, &f)
		return f, err
	}
	return 0, fmt.Errorf("cannot convert %v to float", v)
}

func humanize(i any) (string, error) {
	v, err := toFloat(i)
	if err != nil {
		return "", err
	}
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprintf("%.4g", v), nil
	}
	prefix := ""
	if math.Abs(v) >= 1 {
		for _, p := range []string{"k", "M", "G", "T", "P", "E", "Z", "Y"} {
			if math.Abs(v) < 1000 {
				break
			}
			prefix, v = p, v/1000
		}
		return fmt.Sprintf("%.4g%s", v, prefix), nil
	}
	for _, p := range []string{"m", "u", "n", "p", "f", "a", "z", "y"} {
		if math.Abs(v) >= 1 {
			break
		}
		prefix, v = p, v*1000
	}
	return fmt.Sprintf("%.4g%s", v, prefix), nil
}

func humanize1024(i any) (string, error) {
	v, err := toFloat(i)
	if err != nil {
		return "", err
	}
	if math.Abs(v) <= 1 || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprintf("%.4g", v), nil
	}
	prefix := ""
	for _, p := range []string{"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"} {
		if math.Abs(v) < 1024 {
			break
		}
		prefix, v = p, v/1024
	}
	return fmt.Sprintf("%.4g%s", v, prefix), nil
}

func humanizeDuration(i any) (string, error) {
	v, err := toFloat(i)
	if err != nil {
		return "", err
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprintf("%.4g", v), nil
	}
	if v == 0 {
		return fmt.Sprintf("%.4gs", v), nil
	}
	if math.Abs(v) >= 1 {
		sign := ""
		if v < 0 {
			sign, v = "-", -v
		}
		duration := int64(v)
		seconds := duration % 60
		minutes := (duration / 60) % 60
		hours := (duration / 60 / 60) % 24
		days := duration / 60 / 60 / 24
		if days != 0 {
			return fmt.Sprintf("%s%dd %dh %dm %ds", sign, days, hours, minutes, seconds), nil
		}
		if hours != 0 {
			return fmt.Sprintf("%s%dh %dm %ds", sign, hours, minutes, seconds), nil
		}
		if minutes != 0 {
			return fmt.Sprintf("%s%dm %ds", sign, minutes, seconds), nil
		}
		return fmt.Sprintf("%s%.4gs", sign, v), nil
	}
	prefix := ""
	for _, p := range []string{"m", "u", "n", "p", "f", "a", "z", "y"} {
		if math.Abs(v) >= 1 {
			break
		}
		prefix, v = p, v*1000
	}
	return fmt.Sprintf("%.4g%ss", v, prefix), nil
}

func humanizePercentage(i any) (string, error) {
	v, err := toFloat(i)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%.4g%%", v*100), nil
}

func humanizeTimestamp(i any) (string, error) {
	v, err := toFloat(i)
	if err != nil {
		return "", err
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprintf("%.4g", v), nil
	}
	sec, frac := math.Modf(v)
	return fmt.Sprint(time.Unix(int64(sec), int64(frac*1e9)).UTC()), nil
}

// title upper-cases the first letter of each word as strings.Title does,
// which Prometheus 2.x templates use: a word starts after anything but a
// letter, a digit or an underscore (ASCII), or after white space.
func title(s string) string {
	prev := ' '
	return strings.Map(func(r rune) rune {
		up := isWordSeparator(prev)
		prev = r
		if up {
			return unicode.ToTitle(r)
		}
		return r
	}, s)
}

func isWordSeparator(r rune) bool {
	if r <= 0x7F {
		switch {
		case '0' <= r && r <= '9', 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', r == '_':
			return false
		}
		return true
	}
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		return false
	}
	return unicode.IsSpace(r)
}
