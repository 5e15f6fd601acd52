package yamledit

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Pair is a key and value to insert into a mapping: a scalar Value, or,
// when Pairs is not empty, a nested block mapping of Pairs (Value is then
// ignored).
type Pair struct {
	Key   string
	Value string
	// Tag is the type the scalar Value must read back as: empty means a
	// string (quoted when plain would read as a number or a boolean);
	// "!!int", "!!float" or "!!bool" write Value plain, and Insert refuses
	// a Value that does not read back with that tag.
	Tag   string
	Pairs []Pair
}

// edit is one queued change: the bytes [start, end) of the file become
// text. node/value or mapping/pair say what the parsed result must show.
type edit struct {
	start, end int
	text       string
	seq        int

	node  *yaml.Node // a replaced scalar
	value string     // its expected value

	mapping *yaml.Node // a mapping a pair is inserted into
	after   int        // index of the pair it follows in mapping.Content/2; -1 first
	pair    Pair

	sequence *yaml.Node // a sequence an item is appended to
	item     []Pair     // the appended item's pairs
}

// SetScalar queues replacing scalar n's value with value. The scalar keeps
// its style: a plain scalar stays plain when value reads back as the same
// kind of scalar (else it becomes double-quoted), a quoted one keeps its
// quotes (a single-quoted one becomes double-quoted when value needs an
// escape). Block scalars (| and >) are refused with ErrNotExact.
func (f *File) SetScalar(n *yaml.Node, value string) error {
	if n != nil {
		if err := f.CheckEditable(n); err != nil {
			return err
		}
	}
	if n == nil || n.Kind != yaml.ScalarNode {
		return fmt.Errorf("%w: not a scalar", ErrNotFound)
	}
	if err := f.CheckEditable(n); err != nil {
		return err
	}
	if !utf8.ValidString(value) {
		return fmt.Errorf("yamledit: line %d: new value is not valid UTF-8", n.Line)
	}
	if n.Value == value {
		return nil
	}
	if n.Value == "" && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
		// An empty plain value has no bytes of its own to replace.
		return fmt.Errorf("%w: line %d: the value is empty; write it by hand", ErrNotExact, n.Line)
	}
	sm, err := f.mapScalar(n)
	if err != nil {
		return err
	}
	e := edit{node: n, value: value}
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		e.start, e.end, e.text = sm.inner, sm.innerEnd, quoteDouble(value)[1:len(quoteDouble(value))-1]
	case n.Style&yaml.SingleQuotedStyle != 0:
		if needsEscape(value) {
			e.start, e.end, e.text = sm.token, sm.end, quoteDouble(value)
		} else {
			e.start, e.end, e.text = sm.inner, sm.innerEnd, strings.ReplaceAll(value, "'", "''")
		}
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return fmt.Errorf("%w: line %d is a block scalar; replace its value by hand", ErrNotExact, n.Line)
	default:
		e.start, e.end = sm.inner, sm.innerEnd
		if f.plainOK(value, f.inFlow(n), n.Tag) {
			e.text = value
		} else {
			e.text = quoteDouble(value)
		}
	}
	return f.queue(e)
}

// ReplaceInScalar queues replacing the bytes value[i:j] of scalar n's
// value with text, changing only the file bytes those value bytes are
// copied from. It returns ErrNotExact when value[i:j] is not copied byte
// for byte from one run of the file (an escape sequence or a folded line
// break lies in it), and refuses text that would need escaping in the
// scalar's style.
func (f *File) ReplaceInScalar(n *yaml.Node, i, j int, text string) error {
	if n != nil {
		if err := f.CheckEditable(n); err != nil {
			return err
		}
	}
	if n == nil || n.Kind != yaml.ScalarNode {
		return fmt.Errorf("%w: not a scalar", ErrNotFound)
	}
	if i < 0 || j > len(n.Value) || i >= j {
		return fmt.Errorf("yamledit: line %d: span [%d, %d) is not inside the value (%d bytes)", n.Line, i, j, len(n.Value))
	}
	if err := f.CheckEditable(n); err != nil {
		return err
	}
	start, err := f.ValueOffset(n, i, j)
	if err != nil {
		return err
	}
	if strings.ContainsAny(text, "\r\n") || needsEscape(text) {
		return fmt.Errorf("yamledit: line %d: replacement %q contains a line break or a control character", n.Line, text)
	}
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0 && strings.ContainsAny(text, `"\`):
		return fmt.Errorf("yamledit: line %d: replacement %q would need escaping in a double-quoted scalar", n.Line, text)
	case n.Style&yaml.SingleQuotedStyle != 0 && strings.Contains(text, "'"):
		return fmt.Errorf("yamledit: line %d: replacement %q would need escaping in a single-quoted scalar", n.Line, text)
	}
	return f.queue(edit{start: start, end: start + j - i, text: text, node: n, value: n.Value[:i] + text + n.Value[j:]})
}

// ValueOffset returns the byte offset in the file of value[i:j] of scalar
// n, when those bytes are copied one for one from a single run of the
// file; otherwise it returns ErrNotExact.
func (f *File) ValueOffset(n *yaml.Node, i, j int) (int, error) {
	if n == nil || n.Kind != yaml.ScalarNode {
		return 0, fmt.Errorf("%w: not a scalar", ErrNotFound)
	}
	if i < 0 || j > len(n.Value) || i >= j {
		return 0, fmt.Errorf("yamledit: line %d: span [%d, %d) is not inside the value (%d bytes)", n.Line, i, j, len(n.Value))
	}
	sm, err := f.mapScalar(n)
	if err != nil {
		return 0, err
	}
	for k := i; k < j; k++ {
		if sm.prov[k] < 0 || sm.prov[k] != sm.prov[i]+(k-i) {
			return 0, fmt.Errorf("%w: line %d: %q is not written byte for byte in the file (an escape sequence or a folded line break lies in it)", ErrNotExact, n.Line, n.Value[i:j])
		}
	}
	return sm.prov[i], nil
}

// Insert queues inserting pair p into block mapping m after the pair
// whose key is after (at the end when after is ""), on a line of its own
// in the indentation of m's keys. Keys and scalar values are quoted as
// m's other keys and values are (plain when they are mixed, and quoted
// anyway when plain would not read back as the same string).
func (f *File) Insert(m *yaml.Node, after string, p Pair) error {
	if m == nil || m.Kind != yaml.MappingNode {
		return fmt.Errorf("%w: not a mapping", ErrNotFound)
	}
	if m.Style&yaml.FlowStyle != 0 {
		return fmt.Errorf("%w: line %d", ErrFlow, m.Line)
	}
	if err := f.CheckEditable(m); err != nil {
		return err
	}
	if hasMerge(m) {
		return fmt.Errorf("%w: the mapping at line %d has a merge key (<<)", ErrAlias, m.Line)
	}
	if v, _ := Get(m, p.Key); v != nil {
		return fmt.Errorf("yamledit: line %d: key %q is already in the mapping", m.Line, p.Key)
	}
	if err := checkTags(p); err != nil {
		return fmt.Errorf("yamledit: line %d: %w", m.Line, err)
	}
	if len(m.Content) == 0 {
		return fmt.Errorf("%w: empty mapping at line %d", ErrFlow, m.Line)
	}
	idx := len(m.Content)/2 - 1
	if after != "" {
		idx = -1
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == after {
				idx = i / 2
			}
		}
		if idx < 0 {
			return fmt.Errorf("%w: key %q in the mapping at line %d", ErrNotFound, after, m.Line)
		}
	}
	at, eol, broken, err := f.after(m.Content[2*idx+1])
	if err != nil {
		return err
	}
	indent := strings.Repeat(" ", m.Content[0].Column-1)
	text := f.renderPair(m, p, indent, eol)
	if !broken {
		// The file's last line has no line break: the inserted line
		// becomes the last one, without a line break either.
		text = eol + strings.TrimSuffix(text, eol)
	}
	return f.queue(edit{start: at, end: at, text: text, mapping: m, after: idx, pair: p})
}

// after returns where lines inserted after node n go: the offset past the
// line break ending n's last line, that line break, and false when the
// file ends there without one.
func (f *File) after(n *yaml.Node) (at int, eol string, broken bool, err error) {
	end, err := f.nodeEnd(n)
	if err != nil {
		return 0, "", false, err
	}
	at, eol, broken = f.lineEnd(end)
	if end > 0 && (f.src[end-1] == '\n' || f.src[end-1] == '\r') {
		// A block scalar ends with its last line's break: insert right there.
		at, eol, broken = end, string(f.src[end-1:end]), true
		if end > 1 && f.src[end-2] == '\r' && f.src[end-1] == '\n' {
			eol = "\r\n"
		}
	}
	last := n
	for (last.Kind == yaml.MappingNode || last.Kind == yaml.SequenceNode) && last.Style&yaml.FlowStyle == 0 && len(last.Content) > 0 {
		last = last.Content[len(last.Content)-1]
	}
	if !broken && last.Kind == yaml.ScalarNode && last.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		// A line break after the block's last line would join its value.
		return 0, "", false, fmt.Errorf("%w: the block scalar at line %d ends the file without a line break", ErrNotExact, last.Line)
	}
	return at, eol, broken, nil
}

// Append queues appending a mapping of the pairs item as the last item of
// block sequence seq, on lines of its own: its dash in the column of the
// sequence's dashes, its keys as far after the dash as the last item's
// are, quoted as the last item's keys and values are (see Insert).
// Flow sequences, empty sequences and items with no pairs are refused.
func (f *File) Append(seq *yaml.Node, item []Pair) error {
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return fmt.Errorf("%w: not a sequence", ErrNotFound)
	}
	if seq.Style&yaml.FlowStyle != 0 {
		return fmt.Errorf("%w: line %d", ErrFlow, seq.Line)
	}
	if err := f.CheckEditable(seq); err != nil {
		return err
	}
	if len(seq.Content) == 0 {
		return fmt.Errorf("%w: empty sequence at line %d", ErrFlow, seq.Line)
	}
	if len(item) == 0 {
		return fmt.Errorf("yamledit: line %d: an item with no pairs", seq.Line)
	}
	for _, p := range item {
		if err := checkTags(p); err != nil {
			return fmt.Errorf("yamledit: line %d: %w", seq.Line, err)
		}
	}
	last := seq.Content[len(seq.Content)-1]
	at, eol, broken, err := f.after(last)
	if err != nil {
		return err
	}
	style := &yaml.Node{Kind: yaml.MappingNode}
	gap := 2
	if last.Kind == yaml.MappingNode && last.Style&yaml.FlowStyle == 0 {
		style = last
		if d := last.Column - seq.Column; d > 0 {
			gap = d
		}
	}
	dash := strings.Repeat(" ", seq.Column-1)
	indent := dash + strings.Repeat(" ", gap)
	var b strings.Builder
	for i, p := range item {
		line := f.renderPair(style, p, indent, eol)
		if i == 0 {
			line = dash + "-" + strings.Repeat(" ", gap-1) + strings.TrimPrefix(line, indent)
		}
		b.WriteString(line)
	}
	text := b.String()
	if !broken {
		text = eol + strings.TrimSuffix(text, eol)
	}
	return f.queue(edit{start: at, end: at, text: text, sequence: seq, item: item})
}

// renderPair renders p as lines at indent.
func (f *File) renderPair(m *yaml.Node, p Pair, indent, eol string) string {
	keyStyle, valStyle := styles(m)
	key := encode(f, p.Key, keyStyle)
	if len(p.Pairs) == 0 {
		if p.Tag != "" && p.Tag != "!!str" {
			return indent + key + ": " + p.Value + eol
		}
		return indent + key + ": " + encode(f, p.Value, valStyle) + eol
	}
	step := strings.Repeat(" ", f.indentStep(m))
	var b strings.Builder
	b.WriteString(indent + key + ":" + eol)
	for _, c := range p.Pairs {
		b.WriteString(f.renderPair(m, c, indent+step, eol))
	}
	return b.String()
}

// styles returns the quoting style shared by m's scalar keys and by its
// scalar values (block scalars aside): 0 (plain) unless all agree on a
// quote.
func styles(m *yaml.Node) (key, value yaml.Style) {
	agree := func(nodes []*yaml.Node) yaml.Style {
		var s yaml.Style
		first := true
		for _, n := range nodes {
			if n.Kind != yaml.ScalarNode || n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
				continue
			}
			q := n.Style & (yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle)
			if first {
				s, first = q, false
			} else if q != s {
				return 0
			}
		}
		return s
	}
	var keys, values []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		keys = append(keys, m.Content[i])
		values = append(values, m.Content[i+1])
	}
	return agree(keys), agree(values)
}

// encode writes s as a scalar in style, falling back to double quotes.
func encode(f *File, s string, style yaml.Style) string {
	switch {
	case style == yaml.DoubleQuotedStyle:
		return quoteDouble(s)
	case style == yaml.SingleQuotedStyle && !needsEscape(s):
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	case style == 0 && f.plainOK(s, false, "!!str"):
		return s
	}
	return quoteDouble(s)
}

// indentStep returns how far the file indents a nested block mapping,
// judged from m's own nested mappings and sequences, else 2.
func (f *File) indentStep(m *yaml.Node) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		v := m.Content[i+1]
		if (v.Kind == yaml.MappingNode || v.Kind == yaml.SequenceNode) && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 && v.Line > m.Content[i].Line {
			if d := v.Column - m.Content[i].Column; d > 0 {
				return d
			}
		}
	}
	return 2
}

// lineEnd returns the offset just past the line break ending the line
// that holds offset off and the line break used there; at the end of a
// file without a final line break it returns len(src), the file's first
// line break (else LF) and false.
func (f *File) lineEnd(off int) (int, string, bool) {
	p := off
	for p < len(f.src) && breakWidth(f.src, p) == 0 {
		p++
	}
	if w := breakWidth(f.src, p); w > 0 {
		return p + w, string(f.src[p : p+w]), true
	}
	for q := 0; q < len(f.src); q++ {
		if w := breakWidth(f.src, q); w > 0 {
			return p, string(f.src[q : q+w]), false
		}
	}
	return p, "\n", false
}

// nodeEnd returns the offset just past the last byte of node n.
func (f *File) nodeEnd(n *yaml.Node) (int, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		sm, err := f.mapScalar(n)
		if err != nil {
			return 0, err
		}
		return sm.end, nil
	case yaml.AliasNode:
		off, err := f.Offset(n)
		if err != nil {
			return 0, err
		}
		return off + 1 + len(n.Value), nil
	case yaml.MappingNode, yaml.SequenceNode:
		if n.Style&yaml.FlowStyle != 0 {
			return f.flowEnd(n)
		}
		if len(n.Content) == 0 {
			return 0, fmt.Errorf("%w: empty block collection at line %d", ErrNotExact, n.Line)
		}
		return f.nodeEnd(n.Content[len(n.Content)-1])
	}
	return 0, fmt.Errorf("%w: node of kind %d", ErrNotFound, n.Kind)
}

// flowEnd returns the offset past the bracket closing flow collection n.
func (f *File) flowEnd(n *yaml.Node) (int, error) {
	off, err := f.Offset(n)
	if err != nil {
		return 0, err
	}
	p := f.skipProperties(off)
	if len(n.Content) > 0 {
		if p, err = f.nodeEnd(n.Content[len(n.Content)-1]); err != nil {
			return 0, err
		}
	} else if p < len(f.src) && (f.src[p] == '{' || f.src[p] == '[') {
		p++
	}
	for p < len(f.src) {
		switch c := f.src[p]; {
		case c == '}' || c == ']':
			return p + 1, nil
		case c == '#':
			for p < len(f.src) && breakWidth(f.src, p) == 0 {
				p++
			}
		case c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\n':
			p++
		default:
			return 0, fmt.Errorf("%w: cannot find the end of the flow collection at line %d", ErrNotExact, n.Line)
		}
	}
	return 0, fmt.Errorf("%w: unterminated flow collection at line %d", ErrNotExact, n.Line)
}

// inFlow reports whether n lies inside a flow collection.
func (f *File) inFlow(n *yaml.Node) bool {
	for p := f.parent[n]; p != nil; p = f.parent[p] {
		if p.Style&yaml.FlowStyle != 0 {
			return true
		}
	}
	return false
}

func (f *File) queue(e edit) error {
	for _, o := range f.edits {
		overlap := e.start < o.end && o.start < e.end
		sameScalar := o.node != nil && o.node == e.node
		if overlap || sameScalar {
			return fmt.Errorf("yamledit: line %d: two edits of the same value", f.LineOf(e.start))
		}
	}
	e.seq = len(f.edits)
	f.edits = append(f.edits, e)
	return nil
}

// Bytes returns the file with the queued edits applied, after checking
// that it parses to the original documents changed only as asked. With
// no edits it returns the original bytes.
func (f *File) Bytes() ([]byte, error) {
	if len(f.edits) == 0 {
		return slices.Clone(f.src), nil
	}
	es := slices.Clone(f.edits)
	slices.SortStableFunc(es, func(a, b edit) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return a.seq - b.seq
	})
	var out []byte
	last := 0
	for _, e := range es {
		out = append(out, f.src[last:e.start]...)
		out = append(out, e.text...)
		last = e.end
	}
	out = append(out, f.src[last:]...)
	if err := f.verify(out); err != nil {
		return nil, err
	}
	return out, nil
}

// verify parses out and compares it with the original documents.
func (f *File) verify(out []byte) error {
	g, err := Parse(out)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrVerify, err)
	}
	if len(g.docs) != len(f.docs) {
		return fmt.Errorf("%w: %d documents instead of %d", ErrVerify, len(g.docs), len(f.docs))
	}
	values := map[*yaml.Node]string{}
	inserts := map[*yaml.Node][]edit{}
	for _, e := range f.edits {
		switch {
		case e.mapping != nil:
			inserts[e.mapping] = append(inserts[e.mapping], e)
		case e.sequence != nil:
			inserts[e.sequence] = append(inserts[e.sequence], e)
		default:
			values[e.node] = e.value
		}
	}
	for i := range f.docs {
		if err := same(f.docs[i], g.docs[i], values, inserts); err != nil {
			return fmt.Errorf("%w: %v", ErrVerify, err)
		}
	}
	return nil
}

// same compares original node o with edited node n.
func same(o, n *yaml.Node, values map[*yaml.Node]string, inserts map[*yaml.Node][]edit) error {
	if o.Kind != n.Kind {
		return fmt.Errorf("line %d: node kind changed", o.Line)
	}
	if o.Anchor != n.Anchor {
		return fmt.Errorf("line %d: anchor changed", o.Line)
	}
	if v, ok := values[o]; ok {
		if n.Value != v {
			return fmt.Errorf("line %d: value is %q, want %q", o.Line, n.Value, v)
		}
		if n.Tag != o.Tag && n.Tag != "!!str" {
			return fmt.Errorf("line %d: value of type %s became %s", o.Line, o.Tag, n.Tag)
		}
		return nil
	}
	if o.Tag != n.Tag || o.Value != n.Value || o.Style != n.Style {
		return fmt.Errorf("line %d: %q changed to %q", o.Line, o.Value, n.Value)
	}
	ins := inserts[o]
	if o.Kind == yaml.SequenceNode {
		return sameSequence(o, n, ins, values, inserts)
	}
	if len(n.Content) != len(o.Content)+2*len(ins) {
		return fmt.Errorf("line %d: %d children instead of %d", o.Line, len(n.Content), len(o.Content)+2*len(ins))
	}
	k := 0 // index into n.Content
	insertAfter := func(pair int) error {
		for _, e := range ins {
			if e.after != pair {
				continue
			}
			if err := samePair(e.pair, n.Content[k], n.Content[k+1]); err != nil {
				return err
			}
			k += 2
		}
		return nil
	}
	if err := insertAfter(-1); err != nil {
		return err
	}
	for i := 0; i < len(o.Content); i++ {
		if err := same(o.Content[i], n.Content[k], values, inserts); err != nil {
			return err
		}
		k++
		if o.Kind == yaml.MappingNode && i%2 == 1 {
			if err := insertAfter(i / 2); err != nil {
				return err
			}
		}
	}
	return nil
}

// sameSequence compares original sequence o with edited sequence n: the
// original items, then the appended ones.
func sameSequence(o, n *yaml.Node, apps []edit, values map[*yaml.Node]string, inserts map[*yaml.Node][]edit) error {
	if len(n.Content) != len(o.Content)+len(apps) {
		return fmt.Errorf("line %d: %d items instead of %d", o.Line, len(n.Content), len(o.Content)+len(apps))
	}
	for i, c := range o.Content {
		if err := same(c, n.Content[i], values, inserts); err != nil {
			return err
		}
	}
	slices.SortStableFunc(apps, func(a, b edit) int { return a.seq - b.seq })
	for i, e := range apps {
		if err := sameMapping(e.item, n.Content[len(o.Content)+i], "appended item"); err != nil {
			return err
		}
	}
	return nil
}

// checkTags refuses a typed value that would not read back plain as its
// tag.
func checkTags(p Pair) error {
	for _, c := range p.Pairs {
		if err := checkTags(c); err != nil {
			return err
		}
	}
	if len(p.Pairs) > 0 || p.Tag == "" || p.Tag == "!!str" {
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("k: "+p.Value), &doc); err != nil || len(doc.Content) != 1 || len(doc.Content[0].Content) != 2 {
		return fmt.Errorf("value %q of %q does not read back as %s", p.Value, p.Key, p.Tag)
	}
	if v := doc.Content[0].Content[1]; v.Kind != yaml.ScalarNode || v.Value != p.Value || v.Tag != p.Tag {
		return fmt.Errorf("value %q of %q does not read back as %s", p.Value, p.Key, p.Tag)
	}
	return nil
}

// samePair checks an inserted key and value against p.
func samePair(p Pair, k, v *yaml.Node) error {
	if k.Kind != yaml.ScalarNode || k.Value != p.Key {
		return fmt.Errorf("line %d: inserted key is %q, want %q", k.Line, k.Value, p.Key)
	}
	if len(p.Pairs) == 0 {
		tag := p.Tag
		if tag == "" {
			tag = "!!str"
		}
		if v.Kind != yaml.ScalarNode || v.Value != p.Value || v.Tag != tag {
			return fmt.Errorf("line %d: inserted value is %q (%s), want %q (%s)", v.Line, v.Value, v.Tag, p.Value, tag)
		}
		return nil
	}
	return sameMapping(p.Pairs, v, "inserted mapping")
}

// sameMapping checks a mapping made of pairs (an inserted mapping, an
// appended item) against them.
func sameMapping(pairs []Pair, v *yaml.Node, what string) error {
	if v.Kind != yaml.MappingNode || len(v.Content) != 2*len(pairs) {
		return fmt.Errorf("line %d: %s does not read back", v.Line, what)
	}
	for i, c := range pairs {
		if err := samePair(c, v.Content[2*i], v.Content[2*i+1]); err != nil {
			return err
		}
	}
	return nil
}

// needsEscape reports whether s holds a character that only a
// double-quoted scalar can carry (control characters, line breaks).
func needsEscape(s string) bool {
	for _, r := range s {
		if r < 0x20 && r != '\t' || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 || r == 0xfeff {
			return true
		}
	}
	return false
}

// quoteDouble returns s as a double-quoted YAML scalar.
func quoteDouble(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 || r == 0xfeff {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// plainOK reports whether s can be written as a plain scalar that reads
// back as s with tag "!!str" or tag.
func (f *File) plainOK(s string, flow bool, tag string) bool {
	if s == "" || needsEscape(s) || strings.TrimSpace(s) != s {
		return false
	}
	if strings.ContainsAny(s[:1], "?:,[]{}#&*!|>'\"%@`") || s[0] == '-' && (len(s) == 1 || s[1] == ' ') {
		return false
	}
	if strings.Contains(s, ": ") || strings.Contains(s, " #") || strings.HasSuffix(s, ":") || strings.Contains(s, "\t") {
		return false
	}
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		return false
	}
	if flow && strings.ContainsAny(s, ",[]{}") {
		return false
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("k: "+s), &doc); err != nil || len(doc.Content) != 1 || len(doc.Content[0].Content) != 2 {
		return false
	}
	v := doc.Content[0].Content[1]
	return v.Kind == yaml.ScalarNode && v.Value == s && (v.Tag == "!!str" || v.Tag == tag)
}
