package yamledit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Sentinel errors; the errors returned wrap them and say where.
var (
	// ErrSyntax reports bytes that are not a YAML stream.
	ErrSyntax = errors.New("yamledit: not valid YAML")
	// ErrAlias reports an edit of a node that carries an anchor, is an
	// alias, or lies under one: editing it would change other places.
	ErrAlias = errors.New("yamledit: cannot edit through an anchor or alias")
	// ErrNotExact reports a value whose bytes in the file do not map
	// exactly onto its parsed text, so that an edit cannot be confined to
	// the bytes of the changed part.
	ErrNotExact = errors.New("yamledit: value does not map exactly onto the file's bytes")
	// ErrFlow reports an insertion into a flow mapping (`{a: 1}`).
	ErrFlow = errors.New("yamledit: cannot insert into a flow mapping")
	// ErrNotFound reports a path or key that is not in the document.
	ErrNotFound = errors.New("yamledit: not found")
	// ErrVerify reports an edit whose result, parsed again, differs from
	// the original in more than the edited values. It is a bug of this
	// package when it happens; the file is never written.
	ErrVerify = errors.New("yamledit: edited document does not verify")
)

// SyntaxError is a YAML syntax error with the 1-based line it names (0
// when yaml.v3 named none).
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// Unwrap returns ErrSyntax.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// File is a YAML stream: its original bytes and its parsed documents.
// The zero value is not usable; make one with Parse.
type File struct {
	src  []byte
	docs []*yaml.Node
	// lines[i] is the byte offset where line i+1 starts, counted as
	// yaml.v3 counts lines (CR LF, CR, LF, NEL, LS and PS break lines;
	// a byte order mark is not part of line 1's columns).
	lines  []int
	parent map[*yaml.Node]*yaml.Node
	// aliased holds the nodes that an alias refers to.
	aliased map[*yaml.Node]bool
	edits   []edit
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// Parse parses src, a YAML stream of one or more documents. An empty
// stream has no documents.
func Parse(src []byte) (*File, error) {
	if bytes.HasPrefix(src, []byte{0xFE, 0xFF}) || bytes.HasPrefix(src, []byte{0xFF, 0xFE}) {
		return nil, &SyntaxError{Line: 1, Msg: "UTF-16 is not supported: save the file as UTF-8"}
	}
	f := &File{src: src, parent: map[*yaml.Node]*yaml.Node{}, aliased: map[*yaml.Node]bool{}}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if err == io.EOF {
			break
		}
		if err != nil {
			msg := err.Error()
			line := 0
			if m := yamlLine.FindStringSubmatch(msg); m != nil {
				line, _ = strconv.Atoi(m[1])
				msg = msg[len(m[0]):]
			} else if len(msg) > 6 && msg[:6] == "yaml: " {
				msg = msg[6:]
			}
			return nil, &SyntaxError{Line: line, Msg: msg}
		}
		d := doc
		f.docs = append(f.docs, &d)
	}
	f.lines = lineStarts(src)
	for _, d := range f.docs {
		f.index(d, nil)
	}
	return f, nil
}

func (f *File) index(n, parent *yaml.Node) {
	if parent != nil {
		f.parent[n] = parent
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		f.aliased[n.Alias] = true
		return
	}
	for _, c := range n.Content {
		f.index(c, n)
	}
}

// lineStarts returns the byte offsets where lines start.
func lineStarts(src []byte) []int {
	start := 0
	if bytes.HasPrefix(src, []byte("\ufeff")) {
		start = 3
	}
	lines := []int{start}
	for i := start; i < len(src); {
		if w := breakWidth(src, i); w > 0 {
			i += w
			lines = append(lines, i)
			continue
		}
		i++
	}
	return lines
}

// breakWidth returns the length of the line break at src[i], or 0.
func breakWidth(src []byte, i int) int {
	if i >= len(src) {
		return 0
	}
	switch src[i] {
	case '\n':
		return 1
	case '\r':
		if i+1 < len(src) && src[i+1] == '\n' {
			return 2
		}
		return 1
	case 0xC2:
		if i+1 < len(src) && src[i+1] == 0x85 {
			return 2
		}
	case 0xE2:
		if i+2 < len(src) && src[i+1] == 0x80 && (src[i+2] == 0xA8 || src[i+2] == 0xA9) {
			return 3
		}
	}
	return 0
}

// Source returns the original bytes. The caller must not modify them.
func (f *File) Source() []byte { return f.src }

// Docs returns the parsed documents (nodes of kind yaml.DocumentNode), in
// order. The nodes are the file's own: read them, do not modify them.
func (f *File) Docs() []*yaml.Node { return f.docs }

// Parent returns the node that contains n (a mapping, a sequence or a
// document), or nil for a document.
func (f *File) Parent(n *yaml.Node) *yaml.Node { return f.parent[n] }

// Offset returns the byte offset in the file where node n starts (its
// anchor or tag when it has one).
func (f *File) Offset(n *yaml.Node) (int, error) {
	if n.Line < 1 || n.Line > len(f.lines) || n.Column < 1 {
		return 0, fmt.Errorf("%w: node at line %d column %d is outside the file", ErrNotFound, n.Line, n.Column)
	}
	off := f.lines[n.Line-1]
	for col := 1; col < n.Column; col++ {
		if off >= len(f.src) || breakWidth(f.src, off) > 0 {
			return 0, fmt.Errorf("%w: node at line %d column %d is past the end of its line", ErrNotFound, n.Line, n.Column)
		}
		_, w := utf8.DecodeRune(f.src[off:])
		off += w
	}
	return off, nil
}

// LineOf returns the 1-based line of byte offset off.
func (f *File) LineOf(off int) int {
	lo, hi := 0, len(f.lines)
	for lo+1 < hi {
		mid := (lo + hi) / 2
		if f.lines[mid] <= off {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo + 1
}

// Get returns the value of key in mapping m, and the key's node, or nils
// when m is not a mapping or has no such key. Merge keys (`<<`) are not
// followed.
func Get(m *yaml.Node, key string) (value, keyNode *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return m.Content[i+1], m.Content[i]
		}
	}
	return nil, nil
}

// Resolve follows an alias to the node it refers to; other nodes are
// returned as they are.
func Resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// CheckEditable returns an error wrapping ErrAlias when an edit of n
// would show elsewhere: n or a node above it carries an anchor or is an
// alias.
func (f *File) CheckEditable(n *yaml.Node) error {
	for c := n; c != nil; c = f.parent[c] {
		if c.Kind == yaml.AliasNode {
			return fmt.Errorf("%w: line %d is an alias (*%s)", ErrAlias, c.Line, c.Value)
		}
		if c.Anchor != "" || f.aliased[c] {
			return fmt.Errorf("%w: line %d is under the anchor &%s", ErrAlias, c.Line, c.Anchor)
		}
	}
	return nil
}

// hasMerge reports whether mapping m has a merge key.
func hasMerge(m *yaml.Node) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "!!merge" || k.Style == 0) {
			return true
		}
	}
	return false
}
