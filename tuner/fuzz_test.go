package tuner

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/tuner/yamledit"
)

// FuzzEditRoundTrip reads a rule file, edits one rule and reads it again:
// the rules must be the same except the changed field, and the bytes must
// differ only in the changed value (or one inserted line). Edits the
// editor refuses are fine; an edit it made and then failed to verify is a
// bug.
func FuzzEditRoundTrip(f *testing.F) {
	entries, err := os.ReadDir(fixtures)
	require.NoError(f, err)
	for i, e := range entries {
		src, err := os.ReadFile(filepath.Join(fixtures, e.Name()))
		require.NoError(f, err)
		for mode := range uint8(4) {
			f.Add(src, uint8(i*3), 0.25+float64(i), uint16(5*i+1), mode)
		}
	}
	f.Add([]byte("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: x > 1"), uint8(0), 2.0, uint16(3), uint8(1))
	f.Add([]byte("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: >\n      x\n      > 1\n\n\n"), uint8(0), 2.0, uint16(3), uint8(0))
	f.Fuzz(func(t *testing.T, src []byte, which uint8, threshold float64, minutes uint16, mode uint8) {
		rules, err := Parse(src, "f.yml", "f.yml", LoadOptions{})
		if err != nil || len(rules) == 0 {
			return
		}
		r := rules[int(which)%len(rules)]
		var c Change
		d := time.Duration(minutes) * time.Minute
		switch mode % 4 {
		case 0:
			if math.IsNaN(threshold) || r.Threshold == nil {
				return
			}
			c.Threshold = &threshold
		case 1:
			c.For = &d
		case 2:
			c.KeepFiringFor = &d
		case 3:
			c.Labels = map[string]string{"severity": "fuzz-" + FormatDuration(d)}
		}
		out, err := Edit(src, r, c)
		if err != nil {
			if errors.Is(err, yamledit.ErrVerify) || strings.Contains(err.Error(), "read back") || strings.Contains(err.Error(), "reads back") {
				t.Fatalf("edit made and failed to verify: %v", err)
			}
			return
		}
		after, err := Parse(out, "f.yml", "f.yml", LoadOptions{})
		require.NoError(t, err)
		require.Len(t, after, len(rules))
		target := indexOf(rules, r)
		for i := range rules {
			want := rules[i]
			if i == target {
				want = expected(want, c)
			}
			require.Empty(t, ruleDiff(want, after[i]), "rule %d", i)
		}
		if bytes.Equal(src, out) {
			return
		}
		p, q := commonPrefix(src, out), 0
		for q < len(src)-p && q < len(out)-p && src[len(src)-1-q] == out[len(out)-1-q] {
			q++
		}
		bmid, amid := src[p:len(src)-q], out[p:len(out)-q]
		breaks := func(b []byte) int {
			return bytes.Count(b, []byte("\n")) + bytes.Count(b, []byte("\r")) - bytes.Count(b, []byte("\r\n"))
		}
		switch {
		case c.Threshold != nil:
			th := r.Threshold
			require.GreaterOrEqual(t, th.FileOffset, 0)
			require.True(t, p >= th.FileOffset && len(src)-q <= th.FileOffset+len(th.Text), "bytes outside the number changed: %q -> %q", bmid, amid)
		case c.For != nil && r.For != "" || c.KeepFiringFor != nil && r.KeepFiringFor != "" || c.Labels != nil && hasKey(r.Labels, "severity"):
			require.Zero(t, breaks(bmid), "a replaced value spans lines: %q -> %q", bmid, amid)
			require.Zero(t, breaks(amid), "a replaced value spans lines: %q -> %q", bmid, amid)
		default:
			require.Empty(t, bmid, "an insertion changed bytes: %q -> %q", bmid, amid)
			n := breaks(amid)
			if c.Labels != nil && r.Labels == nil {
				require.Equal(t, 2, n, "labels: inserted as two lines: %q", amid)
			} else {
				require.Equal(t, 1, n, "one line inserted: %q", amid)
			}
		}
	})
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
