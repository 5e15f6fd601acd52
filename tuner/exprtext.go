package tuner

import "strings"

// This file finds the selectors of a metric name in PromQL/MetricsQL text
// as byte offsets into the text as written, so that a recording rule's
// expression can be inlined without re-printing the alert's (metricsql
// folds constants and drops brackets). The inlined text is parsed again
// before it is used.

// token kinds of the scanner.
const (
	tokIdent = iota + 1
	tokNumber
	tokString
	tokPunct
)

type xtok struct {
	kind       int
	start, end int
	depth      int // bracket depth before the token
}

// scanTokens splits text into tokens, skipping white space and # comments.
// Unterminated strings run to the end of the text.
func scanTokens(text string) []xtok {
	var toks []xtok
	depth := 0
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '#':
			for i < len(text) && text[i] != '\n' {
				i++
			}
			continue
		}
		t := xtok{start: i, depth: depth}
		switch {
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			for j < len(text) && text[j] != c {
				if text[j] == '\\' && c != '`' {
					j++
				}
				j++
			}
			t.kind, i = tokString, min(j+1, len(text))
		case isIdentByte(c):
			j := i + 1
			for j < len(text) && isIdentCharByte(text[j]) {
				j++
			}
			t.kind, i = tokIdent, j
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(text) && text[i+1] >= '0' && text[i+1] <= '9':
			j := i + 1
			for j < len(text) {
				d := text[j]
				if (d == '+' || d == '-') && (text[j-1] == 'e' || text[j-1] == 'E') && !strings.HasPrefix(strings.ToLower(text[i:j]), "0x") {
					j++
					continue
				}
				if !(isIdentCharByte(d) || d == '.') {
					break
				}
				j++
			}
			t.kind, i = tokNumber, j
		default:
			t.kind = tokPunct
			switch c {
			case '(', '[', '{':
				depth++
			case ')', ']', '}':
				depth--
				t.depth = depth
			}
			n := 1
			if i+1 < len(text) && strings.Contains("=!<>", string(c)) && text[i+1] == '=' || c == '=' && i+1 < len(text) && text[i+1] == '~' || c == '!' && i+1 < len(text) && text[i+1] == '~' {
				n = 2
			}
			i += n
		}
		t.end = i
		toks = append(toks, t)
	}
	return toks
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':'
}

func isIdentCharByte(c byte) bool {
	return isIdentByte(c) || c >= '0' && c <= '9' || c == '.'
}

func (t xtok) text(s string) string { return s[t.start:t.end] }

// selectorRef is one occurrence of a metric name in an expression.
type selectorRef struct {
	start, end int
	// bare reports whether the name stands alone as an instant selector:
	// no label matchers, no range, no offset or @ modifier.
	bare bool
}

// grouping keywords whose bracketed lists hold label names, not selectors.
var labelListKeywords = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true}

// selectors calls f for every metric name text uses as a series
// selector, with its offsets: an identifier outside label matchers and
// label lists that is no function, aggregation or keyword, or the string
// of a `__name__="…"` matcher (quoted, never bare).
func selectors(text string, f func(name string, ref selectorRef)) {
	toks := scanTokens(text)
	skipUntil := -1 // inside a label list or matcher braces: depth to return to
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		s := t.text(text)
		if skipUntil >= 0 {
			if t.kind == tokPunct && (s == ")" || s == "}") && t.depth == skipUntil {
				skipUntil = -1
			} else if t.kind == tokString && i >= 2 && toks[i-1].text(text) == "=" && toks[i-2].text(text) == "__name__" {
				f(strings.Trim(s, "\"'`"), selectorRef{start: t.start, end: t.end})
			}
			continue
		}
		if t.kind == tokPunct && s == "{" {
			skipUntil = t.depth
			continue
		}
		if t.kind != tokIdent {
			continue
		}
		nextText := ""
		if i+1 < len(toks) {
			nextText = toks[i+1].text(text)
		}
		low := strings.ToLower(s)
		if labelListKeywords[low] && nextText == "(" {
			skipUntil = t.depth
			i++
			continue
		}
		if nextText == "(" || isGrouping(nextText) || promKeywords[low] {
			continue // a function, `sum by (…) (…)`, or a keyword
		}
		bare := !(nextText == "{" || nextText == "[" || nextText == "@" || strings.EqualFold(nextText, "offset"))
		f(s, selectorRef{start: t.start, end: t.end, bare: bare})
	}
}

// metricRefs returns the occurrences of the metric name in text used as a
// series selector (see selectors).
func metricRefs(text, name string) []selectorRef {
	var refs []selectorRef
	selectors(text, func(n string, r selectorRef) {
		if n == name {
			refs = append(refs, r)
		}
	})
	return refs
}

// metricNames returns the metric names an expression's text selects, in
// order of first use.
func metricNames(text string) []string {
	var names []string
	seen := map[string]bool{}
	selectors(text, func(n string, _ selectorRef) {
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	})
	return names
}

// promKeywords are identifiers that are never metric names.
var promKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true, "atan2": true,
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"inf": true, "nan": true, "start": true, "end": true, "keep_metric_names": true,
	"default": true, "if": true, "ifnot": true, "limit": true, "prefix": true,
}

// isGrouping reports whether s is `by` or `without`, which after an
// identifier make it an aggregation (`sum by (job) (x)`).
func isGrouping(s string) bool { return strings.EqualFold(s, "by") || strings.EqualFold(s, "without") }
