package cli

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/series"
)

// edgeRules exercise for and keep_firing_for at their edges, and label
// templates Prometheus expands at every evaluation ($value changes the
// alert's identity).
const edgeRules = `groups:
- name: edges
  interval: 1m
  rules:
  - alert: ForThree
    expr: edge{case="for"} > 0.5
    for: 3m
  - alert: KeepThree
    expr: edge{case="keep"} > 0.5
    keep_firing_for: 3m
  - alert: ForAndKeep
    expr: edge{case="both"} > 0.5
    for: 2m
    keep_firing_for: 2m
    labels:
      severity: critical
  - alert: ValueLabel
    expr: edge{case="value"} > 0.5
    labels:
      level: "{{ $value }}"
      upper: "{{ $labels.case | toUpper }}"
      size: "{{ humanize 1234567 }}"
      metric: "{{ $labels.__name__ }}"
  - alert: ForOffInterval
    expr: edge{case="for"} > 0.5
    for: 150s
`

// edgePatterns are the values of edge{case} minute by minute.
var edgePatterns = map[string]string{
	// on 3 (never fires with for 3m), on 4 (fires at the 4th), a gap of
	// one, on 10, off, on 5.
	"for": "1 1 1 0 1 1 1 1 0 0 1 1 1 1 1 1 1 1 1 1 0 1 1 1 1 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
	// gaps of 1, 2, 3 and 4 evaluations between firings, then on at the end.
	"keep": "1 1 0 1 1 0 0 1 1 0 0 0 1 1 0 0 0 0 1 0 0 0 0 0 0 0 0 1 0 1 0 0 1 0 0 0 1 1 1 1 1 1 1 1 1",
	// pending interrupted, then firing kept over short gaps and resolved.
	"both": "1 1 0 1 1 1 1 0 1 1 0 0 1 0 0 0 1 1 1 0 0 1 1 1 1 1 1 0 0 0 0 0 1 1 1 1 0 1 0 0 0 0 0 0 0",
	// values that change: each is another alert.
	"value": "0 2 2 3 3 3 0 2 0 0 2.5 2.5 1 1 0 0 0 3 3 3 3 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
}

func TestReplayEdgesEqualPromtoolTestRules(t *testing.T) {
	promtool := testrig.RequireBinary(t, "promtool")
	var ss []series.Series
	points := 0
	for _, c := range slices.Sorted(func(yield func(string) bool) {
		for k := range edgePatterns {
			if !yield(k) {
				return
			}
		}
	}) {
		s := series.Series{Labels: series.New("__name__", "edge", "case", c)}
		for i, f := range strings.Fields(edgePatterns[c]) {
			var v float64
			_, err := fmt.Sscan(f, &v)
			require.NoError(t, err)
			s.Timestamps = append(s.Timestamps, replayT0.Add(time.Duration(i)*time.Minute).UnixMilli())
			s.Values = append(s.Values, v)
		}
		points = s.Len()
		ss = append(ss, s)
	}
	srv := testrig.Prometheus(t, ss)
	dir := t.TempDir()
	rules := writeFile(t, dir, "edges.yml", edgeRules)
	end := replayT0.Add(time.Duration(points-1) * time.Minute)
	out := replayJSONOf(t, srv.URL, rules, replayT0, end)
	firing := firingInstants(out, end)
	require.NotEmpty(t, firing)

	// The same history at time 0, as promtool's input_series, and at every
	// minute the alerts omen says are firing, as promtool's expectations.
	var b strings.Builder
	b.WriteString("rule_files: [edges.yml]\nevaluation_interval: 1m\ntests:\n- interval: 1m\n  input_series:\n")
	for _, s := range ss {
		vals := make([]string, s.Len())
		for i, v := range s.Values {
			vals[i] = fmt.Sprint(v)
		}
		fmt.Fprintf(&b, "  - series: '%s'\n    values: '%s'\n", s.Labels.String(), strings.Join(vals, " "))
	}
	b.WriteString("  alert_rule_test:\n")
	alerts := []string{"ForThree", "KeepThree", "ForAndKeep", "ValueLabel", "ForOffInterval"}
	checked := 0
	for k := range points {
		at := replayT0.Add(time.Duration(k) * time.Minute).UTC().Format(time.RFC3339)
		for _, a := range alerts {
			fmt.Fprintf(&b, "  - eval_time: %dm\n    alertname: %s\n    exp_alerts:", k, a)
			var sets []string
			for key := range firing {
				ls, when, _ := strings.Cut(key, "@")
				if when == at && alertOf(key) == a {
					sets = append(sets, ls)
				}
			}
			slices.Sort(sets)
			if len(sets) == 0 {
				b.WriteString(" []\n")
				continue
			}
			b.WriteString("\n")
			for _, ls := range sets {
				checked++
				b.WriteString("    - exp_labels:\n")
				for _, l := range parseLabelString(t, ls) {
					if l.Name != "alertname" {
						fmt.Fprintf(&b, "        %s: %q\n", l.Name, l.Value)
					}
				}
			}
		}
	}
	writeFile(t, dir, "edges_test.yml", b.String())
	cmd := exec.Command(promtool, "test", "rules", "edges_test.yml")
	cmd.Dir = dir
	outb, err := cmd.CombinedOutput()
	require.NoError(t, err, "promtool test rules disagrees with omen's replay:\n%s", outb)
	t.Logf("promtool (real) test rules agrees with omen at %d instants × %d alerts (%d firing alerts checked)", points, len(alerts), checked)
	require.Greater(t, checked, 40)
}

// parseLabelString reads back series.Labels.String() output.
func parseLabelString(t *testing.T, s string) series.Labels {
	t.Helper()
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	m := map[string]string{}
	for s != "" {
		name, rest, ok := strings.Cut(s, "=")
		require.True(t, ok, s)
		var v string
		n, err := fmt.Sscanf(rest, "%q", &v)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		q := fmt.Sprintf("%q", v)
		m[name] = v
		s = strings.TrimPrefix(strings.TrimPrefix(rest[len(q):], ","), " ")
	}
	return series.FromMap(m)
}
