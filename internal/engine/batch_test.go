package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/source/file"
	"github.com/omenhq/omen/series"
)

func TestAddMatcher(t *testing.T) {
	m := `instance=~"a|b"`
	tests := []struct{ name, in, want string }{
		{"a bare metric name gets braces", `up`, `up{instance=~"a|b"}`},
		{"a selector gets one more matcher", `up{job="node"}`, `up{job="node",instance=~"a|b"}`},
		{"empty braces get the matcher alone", `up{}`, `up{instance=~"a|b"}`},
		{"a value with braces is left intact", `up{path="/{id}"}`, `up{path="/{id}",instance=~"a|b"}`},
		{"an aggregation is left unchanged", `sum(up)`, `sum(up)`},
		{"an empty query stays empty", ``, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, addMatcher(tt.in, m))
		})
	}
}

func TestSplitKeepsEverySeriesExactlyOnce(t *testing.T) {
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var ss []series.Series
	for i := range 23 {
		inst := fmt.Sprintf("node-%d.example:9100", i%7) // dots and a colon need quoting
		for _, metric := range []string{"node_filesystem_avail_bytes", "node_filesystem_size_bytes"} {
			ss = append(ss, series.Series{
				Labels:     series.New("__name__", metric, "instance", inst, "mountpoint", fmt.Sprintf("/m%d", i), "device", "sda"),
				Timestamps: []int64{end.Add(-10 * time.Minute).UnixMilli(), end.UnixMilli()},
				Values:     []float64{100, 90},
			})
		}
	}
	series.Sort(ss)
	src := file.New(ss)
	spec := TargetSpec{Name: "disk", Usage: `node_filesystem_avail_bytes`, Capacity: `node_filesystem_size_bytes`, Direction: series.Down, On: []string{"instance", "device", "mountpoint"}}
	batches, err := split(context.Background(), src, spec, end.Add(-14*24*time.Hour), end, 5, Shard{})
	require.NoError(t, err)
	require.Greater(t, len(batches), 4)
	seen := map[string]int{}
	for _, b := range batches {
		targets, _, _, err := Collect(context.Background(), src, b, end.Add(-time.Hour), end, 0)
		require.NoError(t, err)
		require.LessOrEqual(t, len(targets), 5, b.Usage)
		for _, tg := range targets {
			seen[tg.Labels.String()]++
			require.Equal(t, tg.Usage.Labels.Get("mountpoint"), tg.Capacity.Labels.Get("mountpoint"), "the capacity comes with its usage")
		}
	}
	require.Len(t, seen, 23)
	for k, n := range seen {
		require.Equal(t, 1, n, k)
	}
}

func TestSplitNarrowsABigValueByTheNextLabelAndBoundsTheMatcher(t *testing.T) {
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var ss []series.Series
	add := func(ns, pod string, last time.Time) {
		ss = append(ss, series.Series{
			Labels:     series.New("__name__", "container_memory_working_set_bytes", "namespace", ns, "pod", pod, "container", "c"),
			Timestamps: []int64{last.Add(-5 * time.Minute).UnixMilli(), last.UnixMilli()},
			Values:     []float64{1, 2},
		})
	}
	for i := range 12 {
		add("big", fmt.Sprintf("pod-%02d", i), end) // one namespace larger than a batch
	}
	long := strings.Repeat("x", 3000)
	for i := range 4 {
		add(fmt.Sprintf("%s-%d", long, i), "p", end) // values too long to share a matcher
	}
	add("old", "p", end.Add(-3*time.Hour)) // no sample in the last hour
	series.Sort(ss)
	src := file.New(ss)
	spec := preset(t, "memory")[0]
	spec.Limit, spec.LimitFallback, spec.Restarts = "", "", ""
	spec.LimitValue = 10
	batches, err := split(context.Background(), src, spec, end.Add(-14*24*time.Hour), end, 5, Shard{})
	require.NoError(t, err)
	seen := map[string]int{}
	for _, b := range batches {
		require.LessOrEqual(t, len(b.Usage), len(spec.Usage)+maxMatcherBytes+64, "a batch's matcher stays within the byte budget")
		targets, _, _, err := Collect(context.Background(), src, b, end.Add(-14*24*time.Hour), end, 0)
		require.NoError(t, err)
		require.LessOrEqual(t, len(targets), 5, b.Usage)
		for _, tg := range targets {
			seen[tg.Labels.String()]++
		}
	}
	require.Len(t, seen, len(ss), "every series in exactly one batch, the one without a recent sample too")
	for k, n := range seen {
		require.Equal(t, 1, n, k)
	}
}

// preset returns the built-in specs named name.
func preset(t *testing.T, name string) []TargetSpec {
	specs, ok := Preset(name)
	require.True(t, ok, name)
	return specs
}
