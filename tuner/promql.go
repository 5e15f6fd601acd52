package tuner

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/VictoriaMetrics/metricsql"
)

// This file finds a rule's threshold in the text of its expression.
// metricsql parses the expression but its tree has no byte positions and
// it folds constants and drops brackets, so a small scanner of the
// original text finds the outermost comparison and the number's bytes, and
// metricsql's tree confirms what the scanner found.

type tokKind int

const (
	tkEOF   tokKind = iota
	tkNum           // a number literal (possibly with a unit suffix or a duration)
	tkIdent         // identifiers and keywords
	tkStr           // string literals
	tkOp            // binary operator symbols
	tkLParen
	tkRParen
	tkBraces   // a whole {...} label-matcher group
	tkBrackets // a whole [...] range or subquery
	tkComma
	tkAt
	tkBad
)

type token struct {
	kind       tokKind
	start, end int
	text       string
}

// lexPromQL splits s into tokens, skipping blanks and # comments. Label
// matchers {...} and ranges [...] are single tokens.
func lexPromQL(s string) []token {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			i++
			continue
		case c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
			continue
		}
		start := i
		kind := tkBad
		switch {
		case c == '(':
			kind, i = tkLParen, i+1
		case c == ')':
			kind, i = tkRParen, i+1
		case c == ',':
			kind, i = tkComma, i+1
		case c == '@':
			kind, i = tkAt, i+1
		case c == '{' || c == '[':
			kind, i = tkBraces, skipGroup(s, i)
			if c == '[' {
				kind = tkBrackets
			}
		case c == '"' || c == '\'' || c == '`':
			kind, i = tkStr, skipString(s, i)
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			kind, i = tkNum, scanNumberish(s, i)
		case isIdentStart(s[i:]):
			kind, i = tkIdent, scanIdentifier(s, i)
		default:
			for _, op := range []string{"==", "!=", ">=", "<=", ">", "<", "+", "-", "*", "/", "%", "^"} {
				if strings.HasPrefix(s[i:], op) {
					kind, i = tkOp, i+len(op)
					break
				}
			}
			if kind == tkBad {
				i++
			}
		}
		toks = append(toks, token{kind: kind, start: start, end: i, text: s[start:i]})
		if kind == tkBad {
			break
		}
	}
	return append(toks, token{kind: tkEOF, start: len(s), end: len(s)})
}

func isIdentStart(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r == '_' || r == ':' || unicode.IsLetter(r) || r == '\\' && len(s) > 1
}

func scanIdentifier(s string, i int) int {
	for i < len(s) {
		r, w := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\\' && i+w < len(s):
			_, w2 := utf8.DecodeRuneInString(s[i+w:])
			i += w + w2
		case r == '_' || r == ':' || r == '.' || unicode.IsLetter(r) || r >= '0' && r <= '9':
			i += w
		default:
			return i
		}
	}
	return i
}

// scanNumberish scans a number literal with whatever letters follow it
// (hex digits, exponents, unit suffixes, duration units).
func scanNumberish(s string, i int) int {
	start := i
	for i < len(s) {
		c := s[i]
		switch {
		case c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '.':
			i++
		case (c == '+' || c == '-') && i > start && (s[i-1] == 'e' || s[i-1] == 'E') && isDecimalMantissa(s[start:i-1]):
			i++
		default:
			return i
		}
	}
	return i
}

func isDecimalMantissa(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// skipString returns the index just past the string literal at s[i].
func skipString(s string, i int) int {
	q := s[i]
	i++
	for i < len(s) {
		switch s[i] {
		case '\\':
			if q != '`' {
				i += 2
				continue
			}
		case q:
			return i + 1
		}
		i++
	}
	return len(s)
}

// skipGroup returns the index just past the bracket group opened at s[i],
// honouring nested brackets and string literals.
func skipGroup(s string, i int) int {
	depth := 0
	for i < len(s) {
		switch s[i] {
		case '{', '[', '(':
			depth++
		case '}', ']', ')':
			depth--
			if depth == 0 {
				return i + 1
			}
		case '"', '\'', '`':
			i = skipString(s, i)
			continue
		}
		i++
	}
	return len(s)
}

// Binary operator priorities, as metricsql (and PromQL) define them.
var opPriority = map[string]int{
	"default": -1, "if": 0, "ifnot": 0,
	"or": 1, "and": 2, "unless": 2,
	"==": 3, "!=": 3, "<": 3, ">": 3, "<=": 3, ">=": 3,
	"+": 4, "-": 4,
	"*": 5, "/": 5, "%": 5, "atan2": 5,
	"^": 6,
}

var comparisons = map[string]bool{"==": true, "!=": true, "<": true, ">": true, "<=": true, ">=": true}

type pkind int

const (
	pOther pkind = iota
	pNum
	pParen
	pUnary
	pBinary
)

// pnode is a node of the scanner's tree: spans are byte ranges of the
// expression's text.
type pnode struct {
	kind       pkind
	start, end int
	op         string
	bool       bool
	lhs, rhs   *pnode // binary operands; lhs is the operand of unary and paren nodes
}

type pparser struct {
	s    string
	toks []token
	pos  int
	bad  bool
}

func (p *pparser) peek() token { return p.toks[p.pos] }

func (p *pparser) next() token {
	t := p.toks[p.pos]
	if t.kind != tkEOF {
		p.pos++
	}
	return t
}

func (p *pparser) peekIdent(words ...string) bool {
	t := p.peek()
	if t.kind != tkIdent {
		return false
	}
	for _, w := range words {
		if strings.EqualFold(t.text, w) {
			return true
		}
	}
	return false
}

// binop returns the binary operator at the current token, if any.
func (p *pparser) binop() (string, bool) {
	t := p.peek()
	switch t.kind {
	case tkOp:
		return t.text, true
	case tkIdent:
		op := strings.ToLower(t.text)
		if _, ok := opPriority[op]; ok {
			return op, true
		}
	}
	return "", false
}

func (p *pparser) expr(minPrio int) *pnode {
	lhs := p.unary()
	for !p.bad {
		op, ok := p.binop()
		if !ok {
			break
		}
		prio := opPriority[op]
		if prio < minPrio {
			break
		}
		p.next()
		n := &pnode{kind: pBinary, op: op, lhs: lhs, start: lhs.start}
		if p.peekIdent("bool") {
			p.next()
			n.bool = true
		}
		if p.peekIdent("on", "ignoring") {
			p.next()
			p.group()
		}
		if p.peekIdent("group_left", "group_right") {
			p.next()
			if p.peek().kind == tkLParen {
				p.group()
			}
			if p.peekIdent("prefix") {
				p.next()
				p.next()
			}
		}
		next := prio + 1
		if op == "^" {
			next = prio
		}
		n.rhs = p.expr(next)
		n.end = n.rhs.end
		lhs = n
	}
	return lhs
}

// group consumes a parenthesised group as a whole.
func (p *pparser) group() {
	t := p.next()
	if t.kind != tkLParen {
		p.bad = true
		return
	}
	for depth := 1; depth > 0; {
		switch p.next().kind {
		case tkLParen:
			depth++
		case tkRParen:
			depth--
		case tkEOF, tkBad:
			p.bad = true
			return
		}
	}
}

func (p *pparser) unary() *pnode {
	t := p.peek()
	if t.kind == tkOp && (t.text == "-" || t.text == "+") {
		p.next()
		inner := p.expr(opPriority["^"])
		return &pnode{kind: pUnary, op: t.text, lhs: inner, start: t.start, end: inner.end}
	}
	return p.primary()
}

func (p *pparser) primary() *pnode {
	t := p.next()
	n := &pnode{kind: pOther, start: t.start, end: t.end}
	switch t.kind {
	case tkLParen:
		inner := p.expr(-10)
		if p.peek().kind != tkRParen {
			p.bad = true
			return n
		}
		n.kind, n.lhs, n.end = pParen, inner, p.next().end
	case tkNum:
		if _, _, ok := plainNumber(t.text); ok {
			n.kind = pNum
		}
	case tkIdent:
		if isInfNaN(t.text) {
			n.kind = pNum
			break
		}
		if p.peekIdent("by", "without") {
			p.next()
			p.group()
		}
		if p.peek().kind == tkLParen {
			p.group()
			if p.peekIdent("by", "without") {
				p.next()
				p.group()
			}
		} else if p.peek().kind == tkBraces {
			p.next()
		}
	case tkBraces, tkStr:
	default:
		p.bad = true
		return n
	}
	// Postfix modifiers make the operand something other than a number.
	for !p.bad {
		switch {
		case p.peek().kind == tkBrackets:
			p.next()
		case p.peekIdent("offset"):
			p.next()
			if t := p.peek(); t.kind == tkOp && (t.text == "-" || t.text == "+") {
				p.next()
			}
			p.next()
		case p.peek().kind == tkAt:
			p.next()
			if t := p.peek(); t.kind == tkOp && (t.text == "-" || t.text == "+") {
				p.next()
			}
			if p.next().kind == tkIdent && p.peek().kind == tkLParen {
				p.group()
			}
		case p.peekIdent("keep_metric_names"):
			p.next()
		case p.peekIdent("limit") && p.toks[p.pos+1].kind == tkNum:
			p.next()
			p.next()
		default:
			if p.pos > 0 {
				n.end = p.toks[p.pos-1].end
			}
			if n.end > t.end && n.kind == pNum {
				n.kind = pOther
			}
			return n
		}
	}
	return n
}

func isInfNaN(s string) bool { return strings.EqualFold(s, "inf") || strings.EqualFold(s, "nan") }

// plainNumber parses a number literal as PromQL does (integers in base
// 10, 16, 8 or 2 first, then floats). ok is false for durations (5m) and
// anything else that is not a number; known is false for metricsql's unit
// suffixes (1Ki, 2MB), whose value metricsql gives.
func plainNumber(s string) (v float64, known, ok bool) {
	if isInfNaN(s) {
		if strings.EqualFold(s, "nan") {
			return math.NaN(), true, true
		}
		return math.Inf(1), true, true
	}
	if !strings.Contains(s, "_") {
		if i, err := strconv.ParseInt(s, 0, 64); err == nil {
			return float64(i), true, true
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "xXpP") {
			return f, true, true
		}
	}
	// metricsql's unit suffixes: K, Ki, KB, KiB, M, ..., T.
	num := strings.TrimRightFunc(s, unicode.IsLetter)
	suffix := strings.ToLower(s[len(num):])
	switch suffix {
	case "k", "ki", "kb", "kib", "mi", "mb", "mib", "g", "gi", "gb", "gib", "t", "ti", "tb", "tib":
	case "m":
		if s[len(num)] != 'M' { // small m is minutes
			return 0, false, false
		}
	default:
		return 0, false, false
	}
	if _, err := strconv.ParseFloat(num, 64); err != nil || strings.ContainsAny(num, "xX_") {
		return 0, false, false
	}
	return 0, false, true
}

// findThreshold returns the plain number on one side of expr's outermost
// comparison (searching the left operand of a top-level and, or, unless),
// located in expr's bytes and confirmed on metricsql's tree me; nil when
// there is none.
func findThreshold(expr string, me metricsql.Expr) *Threshold {
	p := &pparser{s: expr, toks: lexPromQL(expr)}
	root := p.expr(-10)
	if p.bad || p.peek().kind != tkEOF {
		return nil
	}
	n := unparen(root)
	outermost := true
	for n.kind == pBinary && (n.op == "and" || n.op == "or" || n.op == "unless") {
		be, ok := me.(*metricsql.BinaryOpExpr)
		if !ok || strings.ToLower(be.Op) != n.op {
			return nil
		}
		n, me, outermost = unparen(n.lhs), be.Left, false
	}
	if n.kind != pBinary || !comparisons[n.op] || n.bool {
		return nil
	}
	be, ok := me.(*metricsql.BinaryOpExpr)
	if !ok || be.Op != n.op || be.Bool {
		return nil
	}
	num, other, mside, left := n.rhs, n.lhs, be.Right, false
	if !isPlain(expr, num) {
		num, other, mside, left = n.lhs, n.rhs, be.Left, true
		if !isPlain(expr, num) {
			return nil
		}
	}
	ne, ok := mside.(*metricsql.NumberExpr)
	if !ok {
		return nil
	}
	text := expr[num.start:num.end]
	v, known := numberValue(expr, num)
	switch {
	case !known:
		v = ne.N
	case math.IsNaN(v) != math.IsNaN(ne.N), !math.IsNaN(v) && v != ne.N:
		return nil // the scanner and metricsql disagree: no threshold
	}
	return &Threshold{
		Value:        v,
		Text:         text,
		Op:           n.op,
		Left:         left,
		Offset:       num.start,
		Signal:       strings.TrimSpace(expr[other.start:other.end]),
		SignalOffset: other.start,
		Outermost:    outermost,
	}
}

func unparen(n *pnode) *pnode {
	for n.kind == pParen {
		n = n.lhs
	}
	return n
}

// isPlain reports whether n is a number literal, possibly signed.
func isPlain(expr string, n *pnode) bool {
	if n.kind == pUnary {
		return n.lhs.kind == pNum
	}
	return n.kind == pNum
}

// numberValue returns the value of plain number n; known is false when
// only metricsql knows it.
func numberValue(expr string, n *pnode) (v float64, known bool) {
	sign := 1.0
	if n.kind == pUnary {
		if n.op == "-" {
			sign = -1
		}
		n = n.lhs
	}
	v, known, _ = plainNumber(expr[n.start:n.end])
	return sign * v, known
}
