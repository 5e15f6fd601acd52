package scale

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// CheckDiff reports an error unless edited differs from orig only in the
// bytes of the changed values: every changed line is the original line
// with one value token replaced (a change's from by its to), and every
// line added without a removed one is a key Edit inserted (a segment of a
// changed field's path, with a change's to as its value or none). It is
// the byte-level half of the acceptance of a written manifest; strict
// decoding (Read) is the other.
func CheckDiff(orig, edited []byte, changes []Change) error {
	a, b := splitLines(string(orig)), splitLines(string(edited))
	froms, tos, keys := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, c := range changes {
		if c.From != nil {
			froms[fmt.Sprint(normalizeText(c.From))] = true
		}
		tos[fmt.Sprint(normalizeText(c.To))] = true
		for _, k := range strings.Split(c.Field, ".") {
			keys[k] = true
		}
		keys["behavior"], keys["scaleUp"], keys["scaleDown"], keys["resources"], keys["requests"], keys["limits"] = true, true, true, true, true, true
	}
	for _, h := range lineHunks(a, b) {
		n := min(len(h.del), len(h.add))
		for i := range n {
			old, nw := valueToken(h.del[i], h.add[i])
			if !froms[unquote(old)] && !(old == "" && len(froms) == 0) {
				return fmt.Errorf("scale: line %d changed %q → %q: %q is no change's from", h.at+i+1, h.del[i], h.add[i], old)
			}
			if !tos[unquote(nw)] {
				return fmt.Errorf("scale: line %d changed %q → %q: %q is no change's to", h.at+i+1, h.del[i], h.add[i], nw)
			}
		}
		if len(h.del) > n {
			return fmt.Errorf("scale: line %d removed: %q", h.at+n+1, h.del[n])
		}
		for _, l := range h.add[n:] {
			m := insertedLine.FindStringSubmatch(l)
			if m == nil || !keys[m[1]] || (m[2] != "" && !tos[unquote(m[2])]) {
				return fmt.Errorf("scale: line added that is no inserted key of a change: %q", l)
			}
		}
	}
	return nil
}

var insertedLine = regexp.MustCompile(`^\s*(?:- )?([A-Za-z][A-Za-z0-9]*):(?:\s+("[^"]*"|'[^']*'|[^\s#]+))?\s*$`)

func normalizeText(v any) string {
	if f, ok := number(v); ok {
		return fmt.Sprint(f)
	}
	return fmt.Sprint(v)
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		s = s[1 : len(s)-1]
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return fmt.Sprint(f)
	}
	return s
}

// valueToken returns the tokens of a and b that differ: the part between
// their common prefix and suffix, widened to whole scalars.
func valueToken(a, b string) (string, string) {
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	sep := func(c byte) bool {
		return c == ' ' || c == ':' || c == ',' || c == '{' || c == '}' || c == '[' || c == ']' || c == '#'
	}
	for p > 0 && !sep(a[p-1]) {
		p--
	}
	for s > 0 && !sep(a[len(a)-s]) {
		s--
	}
	return a[p : len(a)-s], b[p : len(b)-s]
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// hunk is a run of removed and added lines at line at of the original.
type hunk struct {
	at       int
	del, add []string
}

// lineHunks diffs two line lists (longest common subsequence).
func lineHunks(a, b []string) []hunk {
	n, m := len(a), len(b)
	l := make([][]int, n+1)
	for i := range l {
		l[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				l[i][j] = l[i+1][j+1] + 1
			} else {
				l[i][j] = max(l[i+1][j], l[i][j+1])
			}
		}
	}
	var out []hunk
	var cur *hunk
	i, j := 0, 0
	flush := func() {
		if cur != nil {
			out = append(out, *cur)
			cur = nil
		}
	}
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			flush()
			i++
			j++
		case j < m && (i == n || l[i][j+1] >= l[i+1][j]):
			if cur == nil {
				cur = &hunk{at: i}
			}
			cur.add = append(cur.add, b[j])
			j++
		default:
			if cur == nil {
				cur = &hunk{at: i}
			}
			cur.del = append(cur.del, a[i])
			i++
		}
	}
	flush()
	return out
}
