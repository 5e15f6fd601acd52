package tuner

import "strings"

// This file reads PromQL/MetricsQL text without re-printing it: a small
// scanner that finds an expression's top-level set operator and the
// selectors of a metric name, as byte offsets into the text as written.
// Every split it makes is checked against metricsql's parse of the whole
// (see setOperands), so a mistake here falls back to slower, exact paths
// rather than to a wrong answer.

// token kinds of the scanner.
const (
	tokEOF = iota
	tokIdent
	tokNumber
	tokString
	tokPunct
)

type token struct {
	kind       int
	start, end int
	depth      int // bracket depth before the token
}

// scanTokens splits text into tokens, skipping white space and # comments.
// Unterminated strings run to the end of the text.
func scanTokens(text string) []token {
	var toks []token
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
		t := token{start: i, depth: depth}
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
		case isIdentStart(c):
			j := i + 1
			for j < len(text) && isIdentChar(text[j]) {
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
				if !(isIdentChar(d) || d == '.') {
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

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':'
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '.'
}

func (t token) text(s string) string { return s[t.start:t.end] }

// stripParens returns the offsets [from, to) of text without white space
// and without brackets that enclose the whole of it.
func stripParens(text string, from, to int) (int, int) {
	for {
		for from < to && isSpace(text[from]) {
			from++
		}
		for to > from && isSpace(text[to-1]) {
			to--
		}
		if to-from < 2 || text[from] != '(' || text[to-1] != ')' {
			return from, to
		}
		toks := scanTokens(text[from:to])
		// The opening bracket must close at the very end.
		closes := -1
		for i, t := range toks {
			if t.kind == tokPunct && text[from+t.start] == ')' && t.depth == 0 {
				closes = i
				break
			}
		}
		if closes != len(toks)-1 {
			return from, to
		}
		from, to = from+1, to-1
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// setOpSplit is the top-level set operator of an expression's text.
type setOpSplit struct {
	op string // "and", "or" or "unless"
	// left and right are the operands' offsets [from, to) in the text.
	leftFrom, leftTo, rightFrom, rightTo int
}

// splitSetOp finds the operator at the top of text[from:to] when it is a
// set operator (PromQL precedence: `or` binds loosest, then `and` and
// `unless`, all left-associative, so the top is the last `or`, else the
// last `and`/`unless` outside brackets). It reports false when the top is
// something else, including MetricsQL's `default`, `if` and `ifnot`, which
// bind looser still.
func splitSetOp(text string, from, to int) (setOpSplit, bool) {
	toks := scanTokens(text[from:to])
	lastOr, lastAnd := -1, -1
	for i, t := range toks {
		if t.kind != tokIdent || t.depth != 0 {
			continue
		}
		switch strings.ToLower(t.text(text[from:to])) {
		case "or":
			lastOr = i
		case "and", "unless":
			lastAnd = i
		case "default", "if", "ifnot":
			if i > 0 {
				return setOpSplit{}, false
			}
		}
	}
	at := lastOr
	if at < 0 {
		at = lastAnd
	}
	if at <= 0 || at == len(toks)-1 {
		return setOpSplit{}, false
	}
	sp := setOpSplit{op: strings.ToLower(toks[at].text(text[from:to])), leftFrom: from, leftTo: from + toks[at].start, rightTo: to}
	// Skip the on(…)/ignoring(…) modifier.
	next := at + 1
	if m := strings.ToLower(toks[next].text(text[from:to])); toks[next].kind == tokIdent && (m == "on" || m == "ignoring") &&
		next+1 < len(toks) && toks[next+1].text(text[from:to]) == "(" {
		j := next + 2
		for j < len(toks) && !(toks[j].depth == 0 && toks[j].text(text[from:to]) == ")") {
			j++
		}
		next = j + 1
	}
	if next >= len(toks) {
		return setOpSplit{}, false
	}
	sp.rightFrom = from + toks[next].start
	return sp, true
}

// selectorRef is one occurrence of a metric name in an expression.
type selectorRef struct {
	start, end int
	// bare reports whether the name stands alone as an instant selector:
	// no label matchers, no range, no offset or @ modifier.
	bare bool
}

// grouping keywords whose bracketed lists hold label names, not selectors.
var labelListKeywords = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true}

// metricRefs returns the occurrences of the metric name in text used as a
// series selector: an identifier outside label matchers and label lists,
// not a function name, or `{__name__="name"}`, which counts as not bare.
func metricRefs(text, name string) []selectorRef {
	toks := scanTokens(text)
	var refs []selectorRef
	skipUntil := -1 // inside a label list or matcher braces: depth to return to
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		s := t.text(text)
		if skipUntil >= 0 {
			if t.kind == tokPunct && (s == ")" || s == "}") && t.depth == skipUntil {
				skipUntil = -1
			} else if t.kind == tokString && strings.Trim(s, "\"'`") == name && i >= 2 && toks[i-1].text(text) == "=" && toks[i-2].text(text) == "__name__" {
				refs = append(refs, selectorRef{start: t.start, end: t.end})
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
		if labelListKeywords[strings.ToLower(s)] && nextText == "(" {
			skipUntil = t.depth
			i++
			continue
		}
		if s != name || nextText == "(" {
			continue
		}
		bare := true
		switch {
		case nextText == "{" || nextText == "[" || nextText == "@":
			bare = false
		case strings.EqualFold(nextText, "offset"):
			bare = false
		}
		refs = append(refs, selectorRef{start: t.start, end: t.end, bare: bare})
	}
	return refs
}

// metricNames returns the metric names an expression's text selects, in
// order of first use.
func metricNames(text string) []string {
	toks := scanTokens(text)
	var names []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	skipUntil := -1
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		s := t.text(text)
		if skipUntil >= 0 {
			if t.kind == tokPunct && (s == ")" || s == "}") && t.depth == skipUntil {
				skipUntil = -1
			} else if t.kind == tokString && i >= 2 && toks[i-1].text(text) == "=" && toks[i-2].text(text) == "__name__" {
				add(strings.Trim(s, "\"'`"))
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
		if nextText == "(" || promKeywords[low] {
			continue
		}
		// A duration's unit after `offset` is scanned with the number.
		add(s)
	}
	return names
}

// promKeywords are identifiers that are never metric names.
var promKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true, "atan2": true,
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"inf": true, "nan": true, "start": true, "end": true, "keep_metric_names": true,
	"default": true, "if": true, "ifnot": true, "limit": true, "prefix": true,
}
