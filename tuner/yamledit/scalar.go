package yamledit

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// scalarMap says where a scalar's value comes from in the file: prov[k]
// is the byte offset of the file byte that value byte k copies, or -1
// when value byte k was made by YAML (a folded line break, an escape
// sequence, a doubled quote).
type scalarMap struct {
	prov []int
	// token is where the scalar's text starts (after any anchor or tag):
	// its opening quote, its block indicator or its first character.
	token int
	// inner and innerEnd bound the text between the quotes of a quoted
	// scalar, the text of a plain one, the content lines of a block one.
	inner, innerEnd int
	// end is the offset just past the last file byte the scalar uses.
	end int
}

// mapScalar rebuilds scalar n's value from the file's bytes the way YAML
// defines it, recording where each byte comes from, and checks that the
// result is yaml.v3's value. Anything it cannot reproduce is ErrNotExact.
func (f *File) mapScalar(n *yaml.Node) (*scalarMap, error) {
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("line %d: not a scalar", n.Line)
	}
	off, err := f.Offset(n)
	if err != nil {
		return nil, err
	}
	p := f.skipProperties(off)
	m := &scalarMap{token: p}
	var out []byte
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		out, err = f.scanQuoted(m, p, '"')
	case n.Style&yaml.SingleQuotedStyle != 0:
		out, err = f.scanQuoted(m, p, '\'')
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		out, err = f.scanBlock(m, p, f.parentIndent(n))
	default:
		out, err = f.scanPlain(m, p, n.Value)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: line %d: %v", ErrNotExact, n.Line, err)
	}
	if string(out) != n.Value {
		return nil, fmt.Errorf("%w: line %d: the scalar's bytes do not reproduce its value", ErrNotExact, n.Line)
	}
	return m, nil
}

// skipProperties skips an anchor (&a) and a tag (!t) and the blanks after
// them.
func (f *File) skipProperties(p int) int {
	for p < len(f.src) && (f.src[p] == '&' || f.src[p] == '!') {
		for p < len(f.src) && !isBlank(f.src[p]) && breakWidth(f.src, p) == 0 {
			p++
		}
		for p < len(f.src) {
			if isBlank(f.src[p]) {
				p++
			} else if w := breakWidth(f.src, p); w > 0 {
				p += w
			} else {
				break
			}
		}
	}
	return p
}

// parentIndent returns the indentation (0-based column) of the block
// collection holding n, as the YAML scanner tracks it; -1 at the top.
func (f *File) parentIndent(n *yaml.Node) int {
	p := f.parent[n]
	if p == nil || p.Kind == yaml.DocumentNode {
		return -1
	}
	return p.Column - 1
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

type builder struct {
	out  []byte
	prov []int
}

func (b *builder) copy(src []byte, p int) {
	b.out = append(b.out, src[p])
	b.prov = append(b.prov, p)
}

func (b *builder) made(s string) {
	b.out = append(b.out, s...)
	for range len(s) {
		b.prov = append(b.prov, -1)
	}
}

// scanPlain reproduces a plain scalar (libyaml's scan_plain_scalar): words
// are copied, a line break between words folds into a space, each empty
// line into a line feed. It stops once len(value) bytes are made.
func (f *File) scanPlain(m *scalarMap, p int, value string) ([]byte, error) {
	src := f.src
	var b builder
	var ws []int
	leadingBreak, trailing := false, 0
	m.inner = p
	for len(b.out) < len(value) && p < len(src) {
		if isBlank(src[p]) {
			if !leadingBreak {
				ws = append(ws, p)
			}
			p++
			continue
		}
		if w := breakWidth(src, p); w > 0 {
			if !leadingBreak {
				leadingBreak, ws = true, ws[:0]
			} else {
				trailing++
			}
			p += w
			continue
		}
		if src[p] == '#' && p > m.inner && (isBlank(src[p-1]) || breakWidth(src, p-1) > 0 || src[p-1] == '\n') {
			break
		}
		if leadingBreak {
			if trailing == 0 {
				b.made(" ")
			} else {
				for range trailing {
					b.made("\n")
				}
			}
			leadingBreak, trailing = false, 0
		} else {
			for _, q := range ws {
				b.copy(src, q)
			}
		}
		ws = ws[:0]
		b.copy(src, p)
		p++
	}
	m.prov = b.prov
	m.innerEnd = p
	m.end = p
	return b.out, nil
}

// scanQuoted reproduces a single- or double-quoted scalar (libyaml's
// scan_flow_scalar).
func (f *File) scanQuoted(m *scalarMap, p int, quote byte) ([]byte, error) {
	src := f.src
	if p >= len(src) || src[p] != quote {
		return nil, fmt.Errorf("expected %c at byte %d", quote, p)
	}
	p++
	m.inner = p
	var b builder
	var ws []int
	for {
		leadingBlanks, leadingBreak, trailing := false, false, 0
		// Non-blank characters.
		for p < len(src) && !isBlank(src[p]) && breakWidth(src, p) == 0 {
			c := src[p]
			if quote == '\'' && c == '\'' {
				if p+1 < len(src) && src[p+1] == '\'' {
					b.made("'")
					p += 2
					continue
				}
				break
			}
			if quote == '"' && c == '"' {
				break
			}
			if quote == '"' && c == '\\' {
				if w := breakWidth(src, p+1); w > 0 {
					p += 1 + w
					leadingBlanks = true
					break
				}
				s, n, err := unescape(src[p:])
				if err != nil {
					return nil, err
				}
				b.made(s)
				p += n
				continue
			}
			b.copy(src, p)
			p++
		}
		if p >= len(src) {
			return nil, fmt.Errorf("unterminated quoted scalar")
		}
		if src[p] == quote {
			m.innerEnd = p
			m.end = p + 1
			m.prov = b.prov
			return b.out, nil
		}
		// Blanks and line breaks.
		ws = ws[:0]
		for p < len(src) {
			if isBlank(src[p]) {
				if !leadingBlanks {
					ws = append(ws, p)
				}
				p++
			} else if w := breakWidth(src, p); w > 0 {
				if !leadingBlanks {
					ws = ws[:0]
					leadingBlanks, leadingBreak = true, true
				} else {
					trailing++
				}
				p += w
			} else {
				break
			}
		}
		if leadingBlanks {
			if leadingBreak && trailing == 0 {
				b.made(" ")
			}
			for range trailing {
				b.made("\n")
			}
		} else {
			for _, q := range ws {
				b.copy(src, q)
			}
		}
	}
}

// unescape decodes the escape sequence at the start of s (which starts
// with a backslash) and returns the text it stands for and its length.
func unescape(s []byte) (string, int, error) {
	if len(s) < 2 {
		return "", 0, fmt.Errorf("truncated escape")
	}
	simple := map[byte]string{
		'0': "\x00", 'a': "\a", 'b': "\b", 't': "\t", '\t': "\t", 'n': "\n", 'v': "\v",
		'f': "\f", 'r': "\r", 'e': "\x1b", ' ': " ", '"': "\"", '/': "/", '\'': "'",
		'\\': "\\", 'N': "\u0085", '_': "\u00a0", 'L': "\u2028", 'P': "\u2029",
	}
	if r, ok := simple[s[1]]; ok {
		return r, 2, nil
	}
	width := map[byte]int{'x': 2, 'u': 4, 'U': 8}[s[1]]
	if width == 0 || len(s) < 2+width {
		return "", 0, fmt.Errorf("unknown escape \\%c", s[1])
	}
	v, err := strconv.ParseUint(string(s[2:2+width]), 16, 32)
	if err != nil {
		return "", 0, fmt.Errorf("bad escape %q", s[:2+width])
	}
	if !utf8.ValidRune(rune(v)) {
		return "", 0, fmt.Errorf("bad escape %q", s[:2+width])
	}
	return string(rune(v)), 2 + width, nil
}

// scanBlock reproduces a literal (|) or folded (>) block scalar (libyaml's
// scan_block_scalar).
func (f *File) scanBlock(m *scalarMap, p int, parentIndent int) ([]byte, error) {
	src := f.src
	folded := src[p] == '>'
	p++
	chomp, increment := 0, 0
	for i := 0; i < 2 && p < len(src); i++ {
		c := src[p]
		switch {
		case (c == '+' || c == '-') && chomp == 0:
			chomp = map[byte]int{'+': 1, '-': -1}[c]
			p++
		case c >= '1' && c <= '9' && increment == 0:
			increment = int(c - '0')
			p++
		}
	}
	for p < len(src) && isBlank(src[p]) {
		p++
	}
	if p < len(src) && src[p] == '#' {
		for p < len(src) && breakWidth(src, p) == 0 {
			p++
		}
	}
	if p < len(src) {
		w := breakWidth(src, p)
		if w == 0 {
			return nil, fmt.Errorf("block scalar header not followed by a line break")
		}
		p += w
	}
	m.inner = p
	indent := 0
	if increment > 0 {
		indent = increment
		if parentIndent >= 0 {
			indent = parentIndent + increment
		}
	}
	var b builder
	var trailing []int // offsets of the breaks of empty lines
	col := 0
	// breaks eats indentation and empty lines, determining the content
	// indentation when it is not yet known.
	breaks := func() error {
		maxIndent := 0
		for {
			for (indent == 0 || col < indent) && p < len(src) && src[p] == ' ' {
				p++
				col++
			}
			if col > maxIndent {
				maxIndent = col
			}
			if (indent == 0 || col < indent) && p < len(src) && src[p] == '\t' {
				return fmt.Errorf("tab in block scalar indentation")
			}
			w := breakWidth(src, p)
			if w == 0 {
				break
			}
			trailing = append(trailing, p)
			p += w
			col = 0
		}
		if indent == 0 {
			indent = max(maxIndent, parentIndent+1, 1)
		}
		return nil
	}
	if err := breaks(); err != nil {
		return nil, err
	}
	leadingBreak := -1 // offset of the pending line break, -1 when none
	leadingBlank := false
	lastContent := m.inner
	for col == indent && p < len(src) {
		trailingBlank := isBlank(src[p])
		if folded && leadingBreak >= 0 && !leadingBlank && !trailingBlank {
			if len(trailing) == 0 {
				b.made(" ")
			}
		} else if leadingBreak >= 0 {
			b.copyBreak(src, leadingBreak)
		}
		leadingBreak = -1
		for _, q := range trailing {
			b.copyBreak(src, q)
		}
		trailing = trailing[:0]
		leadingBlank = isBlank(src[p])
		for p < len(src) && breakWidth(src, p) == 0 {
			_, w := utf8.DecodeRune(src[p:])
			for k := range w {
				b.copy(src, p+k)
			}
			p += w
		}
		lastContent = p
		if p >= len(src) {
			break
		}
		leadingBreak = p
		p += breakWidth(src, p)
		lastContent = p
		col = 0
		if err := breaks(); err != nil {
			return nil, err
		}
	}
	if chomp != -1 && leadingBreak >= 0 {
		b.copyBreak(src, leadingBreak)
	}
	if chomp == 1 {
		for _, q := range trailing {
			b.copyBreak(src, q)
			lastContent = q + breakWidth(src, q)
		}
	}
	m.prov = b.prov
	m.innerEnd = lastContent
	m.end = lastContent
	return b.out, nil
}

// copyBreak appends the line feed a file line break stands for: a lone
// LF is copied, any other break (CR LF, CR, NEL, ...) is made.
func (b *builder) copyBreak(src []byte, q int) {
	if src[q] == '\n' {
		b.copy(src, q)
		return
	}
	if breakWidth(src, q) == 3 { // LS and PS stay as they are
		b.out = append(b.out, src[q:q+3]...)
		b.prov = append(b.prov, -1, -1, -1)
		return
	}
	b.made("\n")
}
