package yamledit

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// value returns the node of the value of key k in the first document's
// top mapping.
func value(t *testing.T, f *File, k string) *yaml.Node {
	t.Helper()
	v, _ := Get(f.Docs()[0].Content[0], k)
	require.NotNil(t, v, "key %q", k)
	return v
}

func TestValueOffset(t *testing.T) {
	cases := []struct {
		name, src, key, part string
		exact                bool
	}{
		{"plain", "e: rate(x[5m]) > 0.5\n", "e", "0.5", true},
		{"plain after multi-byte characters", "a: é\ne: {x: 'é', y: ü > 7}\n", "e", "", true},
		{"plain over lines", "e: a\n  > 0.5\n  and b\n", "e", "0.5", true},
		{"a fold is not exact", "e: a\n  > 0.5\n", "e", "a > 0.5", false},
		{"double-quoted with escapes around", `e: "x{a=\"b\"} > 12"` + "\n", "e", "12", true},
		{"an escape is not exact", `e: "x > \x31"` + "\n", "e", "1", false},
		{"single-quoted", "e: 'x{a=''b''} > 3'\n", "e", "3", true},
		{"literal", "e: |\n  x\n  > 4.5\n", "e", "4.5", true},
		{"literal keep", "e: |+\n  x > 4.5\n\n", "e", "4.5", true},
		{"literal with indentation indicator", "e: |2\n    x > 6\n", "e", "6", true},
		{"folded", "e: >-\n  x\n  > 7\n", "e", "7", true},
		{"folded more-indented lines", "e: >\n  x\n    > 8\n  y\n", "e", "8", true},
		{"CRLF literal", "e: |\r\n  x\r\n  > 9\r\n", "e", "9", true},
		{"tagged", "e: !!str x > 10\n", "e", "10", true},
		{"byte order mark", "\ufeffe: x > 11\n", "e", "11", true},
		{"tab before the value", "e:\tx > 13\n", "e", "13", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse([]byte(c.src))
			require.NoError(t, err)
			n := value(t, f, c.key)
			if c.part == "" { // check every scalar maps onto its bytes
				for i := 0; i+1 < len(n.Content); i += 2 {
					v := n.Content[i+1]
					off, err := f.ValueOffset(v, 0, len(v.Value))
					require.NoError(t, err)
					require.Equal(t, v.Value, c.src[off:off+len(v.Value)])
				}
				return
			}
			i := strings.Index(n.Value, c.part)
			require.GreaterOrEqual(t, i, 0)
			off, err := f.ValueOffset(n, i, i+len(c.part))
			if !c.exact {
				require.ErrorIs(t, err, ErrNotExact)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.part, c.src[off:off+len(c.part)])
		})
	}
}

func TestSetScalarKeepsTheStyle(t *testing.T) {
	cases := []struct {
		name, src, key, value, want string
	}{
		{"plain", "a: 5m # c\nb: x\n", "a", "10m", "a: 10m # c\nb: x\n"},
		{"double-quoted", "a: \"5m\"\n", "a", "10m", "a: \"10m\"\n"},
		{"double-quoted with an escape", "a: \"x\\ty\"\n", "a", "say \"hi\"", "a: \"say \\\"hi\\\"\"\n"},
		{"single-quoted", "a: 'x'\n", "a", "it's", "a: 'it''s'\n"},
		{"plain that would change type is quoted", "a: warning\n", "a", "true", "a: \"true\"\n"},
		{"plain number stays plain", "a: 1\n", "a", "2", "a: 2\n"},
		{"plain that needs quotes", "a: x\n", "a", "a: b", "a: \"a: b\"\n"},
		{"flow", "a: {b: x, c: y}\n", "a", "", ""},
		{"CRLF", "a: x\r\nb: y\r\n", "b", "z", "a: x\r\nb: z\r\n"},
		{"multi-line plain becomes one line", "a: x\n  y\nb: 1\n", "a", "z", "a: z\nb: 1\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse([]byte(c.src))
			require.NoError(t, err)
			n := value(t, f, c.key)
			if c.value == "" { // flow: set an inner value
				v, _ := Get(n, "c")
				require.NoError(t, f.SetScalar(v, "z, w"))
				out, err := f.Bytes()
				require.NoError(t, err)
				require.Equal(t, "a: {b: x, c: \"z, w\"}\n", string(out))
				return
			}
			require.NoError(t, f.SetScalar(n, c.value))
			out, err := f.Bytes()
			require.NoError(t, err)
			require.Equal(t, c.want, string(out))
		})
	}
}

func TestInsert(t *testing.T) {
	cases := []struct {
		name, src, after string
		pair             Pair
		want             string
	}{
		{"after a key in its indentation", "r:\n  a: 1 # c\n  b: 2\n", "a", Pair{Key: "x", Value: "5m"}, "r:\n  a: 1 # c\n  x: 5m\n  b: 2\n"},
		{"at the end", "r:\n  a: 1\n", "", Pair{Key: "x", Value: "y"}, "r:\n  a: 1\n  x: y\n"},
		{"quoted like the other values", "r:\n  a: \"1\"\n  b: \"2\"\n", "a", Pair{Key: "x", Value: "y"}, "r:\n  a: \"1\"\n  x: \"y\"\n  b: \"2\"\n"},
		{"after a literal block", "r:\n  a: |\n    text\n\n  b: 2\n", "a", Pair{Key: "x", Value: "y"}, "r:\n  a: |\n    text\n  x: y\n\n  b: 2\n"},
		{"after a keep block", "r:\n  a: |+\n    text\n\n  b: 2\n", "a", Pair{Key: "x", Value: "y"}, "r:\n  a: |+\n    text\n\n  x: y\n  b: 2\n"},
		{"CRLF", "r:\r\n  a: 1\r\n", "a", Pair{Key: "x", Value: "y"}, "r:\r\n  a: 1\r\n  x: y\r\n"},
		{"no final line break", "r:\n  a: 1", "a", Pair{Key: "x", Value: "y"}, "r:\n  a: 1\n  x: y"},
		{"a nested mapping", "r:\n    a: 1\n    m:\n        k: v\n", "a", Pair{Key: "labels", Pairs: []Pair{{Key: "s", Value: "p"}}}, "r:\n    a: 1\n    labels:\n        s: p\n    m:\n        k: v\n"},
		{"in a sequence item", "- a: 1\n  b: 2\n", "a", Pair{Key: "x", Value: "y"}, "- a: 1\n  x: y\n  b: 2\n"},
		{"a value that needs quotes", "r:\n  a: 1\n", "a", Pair{Key: "x", Value: "null"}, "r:\n  a: 1\n  x: \"null\"\n"},
		{"after a flow value over lines", "r:\n  a: [1,\n    2]\n  b: 3\n", "a", Pair{Key: "x", Value: "y"}, "r:\n  a: [1,\n    2]\n  x: y\n  b: 3\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse([]byte(c.src))
			require.NoError(t, err)
			m := f.Docs()[0].Content[0]
			if m.Kind == yaml.MappingNode {
				m, _ = Get(m, "r")
			} else {
				m = m.Content[0]
			}
			require.NoError(t, f.Insert(m, c.after, c.pair))
			out, err := f.Bytes()
			require.NoError(t, err)
			require.Equal(t, c.want, string(out))
		})
	}
}

func TestRefusals(t *testing.T) {
	f, err := Parse([]byte("base: &b {x: 1}\nuse: *b\nm:\n  <<: *b\n  y: 2\nflow: {a: 1}\nblock: |\n  text\n"))
	require.NoError(t, err)
	top := f.Docs()[0].Content[0]
	base, _ := Get(top, "base")
	x, _ := Get(base, "x")
	require.ErrorIs(t, f.SetScalar(x, "2"), ErrAlias, "under an anchor")
	use, _ := Get(top, "use")
	require.ErrorIs(t, f.SetScalar(use, "2"), ErrAlias, "an alias")
	m, _ := Get(top, "m")
	require.ErrorIs(t, f.Insert(m, "", Pair{Key: "z", Value: "3"}), ErrAlias, "merge key")
	y, _ := Get(m, "y")
	require.NoError(t, f.SetScalar(y, "3"), "an own key beside a merge key")
	flow, _ := Get(top, "flow")
	require.ErrorIs(t, f.Insert(flow, "", Pair{Key: "z", Value: "3"}), ErrFlow)
	block, _ := Get(top, "block")
	require.ErrorIs(t, f.SetScalar(block, "other"), ErrNotExact)
	require.Error(t, f.Insert(m, "", Pair{Key: "y", Value: "3"}), "existing key")
	require.Error(t, f.SetScalar(y, "4"), "two edits of one value")
	out, err := f.Bytes()
	require.NoError(t, err)
	require.Contains(t, string(out), "  y: 3\n")
}

func TestParseErrorsNameTheLine(t *testing.T) {
	_, err := Parse([]byte("a: 1\nb: [\n"))
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	require.ErrorIs(t, err, ErrSyntax)
	require.Positive(t, se.Line)
}

// FuzzScalarMap checks that every byte a scalar's value is said to copy
// from the file is that byte, on any YAML.
func FuzzScalarMap(f *testing.F) {
	for _, s := range []string{"a: x\n  y\n", "a: \"x\\ty\n  z\"\n", "a: 'x''y'\n", "a: |+\n  x\n\n", "a: >-\n  x\n   y\n  z\n", "- !!str &a x\n- *a\n", "\ufeffa: b\r\nc: d\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := Parse(src)
		if err != nil {
			return
		}
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			if n.Kind == yaml.ScalarNode {
				if sm, err := file.mapScalar(n); err == nil {
					for k, p := range sm.prov {
						if p >= 0 && src[p] != n.Value[k] {
							t.Fatalf("value byte %d of %q is said to be file byte %d %q", k, n.Value, p, src[p])
						}
					}
				}
			}
			for _, c := range n.Content {
				walk(c)
			}
		}
		for _, d := range file.Docs() {
			walk(d)
		}
	})
}

func TestInsertAfterABlockScalarEndingTheFileIsRefused(t *testing.T) {
	for _, src := range []string{"r:\n  a: |\n    x", "r:\n  m:\n    k: >\n      x"} {
		f, err := Parse([]byte(src))
		require.NoError(t, err)
		r, _ := Get(f.Docs()[0].Content[0], "r")
		require.ErrorIs(t, f.Insert(r, "", Pair{Key: "z", Value: "1"}), ErrNotExact)
	}
}

func TestInsertWritesTypedValuesPlain(t *testing.T) {
	f, err := Parse([]byte("spec:\n  scaleTargetRef: {kind: Deployment, name: web}\n  maxReplicas: 4\n"))
	require.NoError(t, err)
	spec, _ := Get(f.Docs()[0].Content[0], "spec")
	require.NoError(t, f.Insert(spec, "scaleTargetRef", Pair{Key: "minReplicas", Value: "2", Tag: "!!int"}))
	require.NoError(t, f.Insert(spec, "", Pair{Key: "behavior", Pairs: []Pair{{Key: "scaleDown", Pairs: []Pair{{Key: "stabilizationWindowSeconds", Value: "600", Tag: "!!int"}}}}}))
	out, err := f.Bytes()
	require.NoError(t, err)
	require.Equal(t, "spec:\n  scaleTargetRef: {kind: Deployment, name: web}\n  minReplicas: 2\n  maxReplicas: 4\n  behavior:\n    scaleDown:\n      stabilizationWindowSeconds: 600\n", string(out))
	require.Error(t, f.Insert(spec, "", Pair{Key: "x", Value: "two", Tag: "!!int"}), "a value that is not an int")
}

func TestAppend(t *testing.T) {
	cron := []Pair{{Key: "type", Value: "cron"}, {Key: "metadata", Pairs: []Pair{{Key: "start", Value: "45 8 * * 1"}, {Key: "desiredReplicas", Value: "12"}}}}
	cases := []struct {
		name, src string
		item      []Pair
		want      string
	}{
		{"after the last item, its keys as far from the dash", "r:\n  - type: cpu\n    metadata:\n      value: \"50\"\nz: 1\n", cron,
			"r:\n  - type: cpu\n    metadata:\n      value: \"50\"\n  - type: cron\n    metadata:\n      start: 45 8 * * 1\n      desiredReplicas: \"12\"\nz: 1\n"},
		{"an indentless sequence", "r:\n- a: 1\nz: 1\n", []Pair{{Key: "a", Value: "2"}}, "r:\n- a: 1\n- a: \"2\"\nz: 1\n"},
		{"a wide gap after the dash", "r:\n  -   a: x\n      b: y\n", []Pair{{Key: "a", Value: "p"}, {Key: "b", Value: "q"}}, "r:\n  -   a: x\n      b: y\n  -   a: p\n      b: q\n"},
		{"quoted like the last item", "r:\n  - \"a\": \"x\"\n", []Pair{{Key: "a", Value: "p"}}, "r:\n  - \"a\": \"x\"\n  - \"a\": \"p\"\n"},
		{"after scalar items", "r:\n  - one\n  - two\n", []Pair{{Key: "a", Value: "p"}}, "r:\n  - one\n  - two\n  - a: p\n"},
		{"CRLF", "r:\r\n  - a: 1\r\n", []Pair{{Key: "a", Value: "x"}}, "r:\r\n  - a: 1\r\n  - a: x\r\n"},
		{"no final line break", "r:\n  - a: 1", []Pair{{Key: "a", Value: "x"}}, "r:\n  - a: 1\n  - a: x"},
		{"after a comment on the last line", "r:\n  - a: 1 # one\n# end\n", []Pair{{Key: "a", Value: "x"}}, "r:\n  - a: 1 # one\n  - a: x\n# end\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse([]byte(c.src))
			require.NoError(t, err)
			require.NoError(t, f.Append(value(t, f, "r"), c.item))
			out, err := f.Bytes()
			require.NoError(t, err)
			require.Equal(t, c.want, string(out))
		})
	}
	t.Run("two items appended to one sequence keep their order", func(t *testing.T) {
		f, err := Parse([]byte("r:\n  - a: 1\n"))
		require.NoError(t, err)
		require.NoError(t, f.Append(value(t, f, "r"), []Pair{{Key: "a", Value: "x"}}))
		require.NoError(t, f.Append(value(t, f, "r"), []Pair{{Key: "a", Value: "y"}}))
		out, err := f.Bytes()
		require.NoError(t, err)
		require.Equal(t, "r:\n  - a: 1\n  - a: x\n  - a: y\n", string(out))
	})
	t.Run("flow sequences, mappings and empty items are refused", func(t *testing.T) {
		f, err := Parse([]byte("r: [1, 2]\nm:\n  a: 1\ns:\n  - a: 1\n"))
		require.NoError(t, err)
		require.ErrorIs(t, f.Append(value(t, f, "r"), []Pair{{Key: "a", Value: "x"}}), ErrFlow)
		require.ErrorIs(t, f.Append(value(t, f, "m"), []Pair{{Key: "a", Value: "x"}}), ErrNotFound)
		require.Error(t, f.Append(value(t, f, "s"), nil))
	})
	t.Run("a sequence under an anchor is refused", func(t *testing.T) {
		f, err := Parse([]byte("r: &x\n  - a: 1\n"))
		require.NoError(t, err)
		require.Error(t, f.Append(value(t, f, "r"), []Pair{{Key: "a", Value: "x"}}))
	})
}

func FuzzAppend(f *testing.F) {
	f.Add("r:\n  - a: 1\n", "b", "x")
	f.Add("r:\n- a: |\n    t\n", "c", "45 8 * * 1")
	f.Add("r:\n  - 'a': 'q'\r\n", "k", "12")
	f.Fuzz(func(t *testing.T, src, key, val string) {
		y, err := Parse([]byte(src))
		if err != nil || len(y.Docs()) == 0 || len(y.Docs()[0].Content) == 0 || y.Docs()[0].Content[0].Kind != yaml.MappingNode {
			return
		}
		seq, _ := Get(y.Docs()[0].Content[0], "r")
		if seq == nil || key == "" {
			return
		}
		if y.Append(seq, []Pair{{Key: key, Value: val}}) != nil {
			return
		}
		out, err := y.Bytes()
		if err != nil {
			return // refused by the read-back check, nothing written
		}
		// What Bytes returns reads back as the original plus the item.
		g, err := Parse(out)
		require.NoError(t, err)
		s2, _ := Get(g.Docs()[0].Content[0], "r")
		require.Len(t, s2.Content, len(seq.Content)+1)
		last := s2.Content[len(s2.Content)-1]
		require.Equal(t, yaml.MappingNode, last.Kind)
		require.Equal(t, key, last.Content[0].Value)
		require.Equal(t, val, last.Content[1].Value)
		// The original bytes are all there, around one inserted run.
		pre := 0
		for pre < len(src) && out[pre] == src[pre] {
			pre++
		}
		suf := 0
		for suf < len(src)-pre && out[len(out)-1-suf] == src[len(src)-1-suf] {
			suf++
		}
		require.Equal(t, len(src), pre+suf, "the original bytes changed")
	})
}
