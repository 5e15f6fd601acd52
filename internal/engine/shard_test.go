package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/capacity"
	"github.com/omenhq/omen/internal/source/file"
	"github.com/omenhq/omen/series"
)

func TestParseShard(t *testing.T) {
	tests := []struct {
		name, in string
		want     Shard
		err      bool
	}{
		{"an empty value is the whole fleet", "", Shard{}, false},
		{"the first of four", "0/4", Shard{0, 4}, false},
		{"the last of four", "3/4", Shard{3, 4}, false},
		{"spaces are allowed", " 1 / 2 ", Shard{1, 2}, false},
		{"one shard is the whole fleet", "0/1", Shard{0, 1}, false},
		{"an index equal to the count is refused", "4/4", Shard{}, true},
		{"a negative index is refused", "-1/4", Shard{}, true},
		{"a zero count is refused", "0/0", Shard{}, true},
		{"a value without a slash is refused", "2", Shard{}, true},
		{"words are refused", "a/b", Shard{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseShard(tt.in)
			if tt.err {
				require.ErrorIs(t, err, ErrShard)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestShardFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	t.Run("an Indexed Job's pod is its shard", func(t *testing.T) {
		s, ok, err := ShardFromEnv(env(map[string]string{EnvShardIndex: "2", EnvShardCount: "4"}))
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, Shard{2, 4}, s)
	})
	t.Run("no index is the whole fleet", func(t *testing.T) {
		s, ok, err := ShardFromEnv(env(nil))
		require.NoError(t, err)
		require.False(t, ok)
		require.False(t, s.Active())
	})
	t.Run("an index without a count is an error naming the variable to set", func(t *testing.T) {
		_, _, err := ShardFromEnv(env(map[string]string{EnvShardIndex: "1"}))
		require.ErrorIs(t, err, ErrShard)
		require.ErrorContains(t, err, EnvShardCount)
	})
	t.Run("an index beyond the count is an error", func(t *testing.T) {
		_, _, err := ShardFromEnv(env(map[string]string{EnvShardIndex: "4", EnvShardCount: "4"}))
		require.ErrorIs(t, err, ErrShard)
	})
}

func TestShardPath(t *testing.T) {
	s := Shard{1, 4}
	require.Equal(t, "/r/omen.shard-1-of-4.html", s.Path("/r/omen.html"))
	require.Equal(t, "/r/omen-1-of-4.json", s.Path("/r/omen-{shard}.json"))
	require.Equal(t, "report.shard-1-of-4", s.Path("report"))
	require.Equal(t, "-", s.Path("-"))
	require.Equal(t, "", s.Path(""))
	require.Equal(t, "/r/omen.html", Shard{}.Path("/r/omen.html"))
	require.Equal(t, "/r/omen-all.json", Shard{}.Path("/r/omen-{shard}.json"))
}

func TestShardOwnsEveryTargetOnce(t *testing.T) {
	spec, _ := Preset("memory")
	var labels []series.Labels
	for i := range 2000 {
		labels = append(labels, series.New("__name__", "container_memory_working_set_bytes",
			"namespace", fmt.Sprintf("team-%d", i%13), "pod", fmt.Sprintf("p-%d", i), "container", "app", "instance", fmt.Sprintf("n%d", i%7)))
	}
	counts := make([]int, 4)
	for _, ls := range labels {
		owners := 0
		for i := range 4 {
			if (Shard{i, 4}).Owns(spec[0], ls) {
				owners++
				counts[i]++
			}
		}
		require.Equal(t, 1, owners, "%s", ls)
		// Labels outside On (the node) do not move a target.
		require.Equal(t, (Shard{0, 4}).Owns(spec[0], ls), (Shard{0, 4}).Owns(spec[0], ls.With("instance", "elsewhere")))
	}
	for i, n := range counts {
		require.InDelta(t, 500, n, 75, "shard %d holds about a quarter", i)
	}
}

func TestShardedPredictUnionIsOneRun(t *testing.T) {
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var ss []series.Series
	for i := range 60 {
		inst := fmt.Sprintf("node-%d:9100", i%9)
		ts := make([]int64, 0, 300)
		vs := make([]float64, 0, 300)
		for k := range 300 {
			ts = append(ts, end.Add(-time.Duration(300-k)*5*time.Minute).UnixMilli())
			vs = append(vs, 1e9-float64(i*k)*1e5)
		}
		for _, m := range []string{"node_filesystem_avail_bytes", "node_filesystem_size_bytes"} {
			ss = append(ss, series.Series{
				Labels:     series.New("__name__", m, "instance", inst, "mountpoint", fmt.Sprintf("/m%d", i), "device", "sda", "fstype", "ext4"),
				Timestamps: ts, Values: vs,
			})
		}
	}
	series.Sort(ss)
	src := file.New(ss)
	spec := TargetSpec{Name: "disk", Usage: `node_filesystem_avail_bytes`, Capacity: `node_filesystem_size_bytes`, Direction: series.Down, On: []string{"instance", "device", "mountpoint"}}
	opts := PredictOptions{Specs: []TargetSpec{spec}, AsOf: end, BatchSize: 7, Capacity: capacity.Config{Window: 2 * 24 * time.Hour}}
	whole, err := Predict(context.Background(), src, opts)
	require.NoError(t, err)
	require.Len(t, whole.Results, 60)
	union := map[string]Result{}
	for i := range 4 {
		opts.Shard = Shard{i, 4}
		rep, err := Predict(context.Background(), src, opts)
		require.NoError(t, err)
		for _, r := range rep.Results {
			k := r.Labels.String()
			_, dup := union[k]
			require.False(t, dup, "%s in two shards", k)
			union[k] = r
		}
	}
	require.Len(t, union, len(whole.Results))
	for _, r := range whole.Results {
		u, ok := union[r.Labels.String()]
		require.True(t, ok, "%s in no shard", r.Labels)
		require.Equal(t, r.Risk, u.Risk, "%s", r.Labels)
		require.Equal(t, r.Pattern, u.Pattern, "%s", r.Labels)
		require.Equal(t, r.ETA, u.ETA, "%s", r.Labels)
		require.Equal(t, r.Reason, u.Reason, "%s", r.Labels)
	}
}

func TestChartsKeepTheRiskiest(t *testing.T) {
	d := func(h int) *time.Duration { x := time.Duration(h) * time.Hour; return &x }
	var rs []Result
	hist := series.Series{Timestamps: []int64{1}, Values: []float64{1}}
	for i, h := range []int{100, 5, 50, 1, 70, 30} {
		rs = append(rs, Result{Spec: "disk", History: hist, Prediction: capacity.Prediction{
			Labels: series.New("i", fmt.Sprint(i)), Risk: capacity.RiskWarning, ETA: &capacity.ETA{P50: d(h)},
		}})
	}
	rs = append(rs, Result{Spec: "disk", History: hist, Prediction: capacity.Prediction{Labels: series.New("i", "ok"), Risk: capacity.RiskOK}})
	c := newChartKeeper(3)
	for i := range rs {
		c.offer(rs, i)
	}
	var kept []string
	for _, r := range rs {
		if r.History.Len() > 0 {
			kept = append(kept, r.Labels.Get("i"))
		}
	}
	require.ElementsMatch(t, []string{"1", "3", "5"}, kept, "the three soonest ETAs (5h, 1h, 30h) keep their charts")
}

func TestPredictHandsOutEachBatchAndKeepsFewCharts(t *testing.T) {
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var ss []series.Series
	for i := range 30 {
		ts := make([]int64, 0, 200)
		vs := make([]float64, 0, 200)
		for k := range 200 {
			ts = append(ts, end.Add(-time.Duration(200-k)*5*time.Minute).UnixMilli())
			vs = append(vs, 1e9-float64((i+1)*k)*4e4)
		}
		ss = append(ss, series.Series{Labels: series.New("__name__", "free", "host", fmt.Sprintf("h%02d", i)), Timestamps: ts, Values: vs})
	}
	spec := TargetSpec{Name: "disk", Usage: `free`, LimitValue: 0, Direction: series.Down, On: []string{"host"}}
	var batches, seen int
	rep, err := Predict(context.Background(), file.New(ss), PredictOptions{
		Specs: []TargetSpec{spec}, AsOf: end, BatchSize: 8, Charts: 2, Capacity: capacity.Config{Window: 24 * time.Hour},
		OnBatch: func(rs []Result) error {
			batches++
			seen += len(rs)
			for _, r := range rs {
				require.Positive(t, r.History.Len(), "a batch's results come with their history")
			}
			return nil
		},
	})
	require.NoError(t, err)
	require.Equal(t, 4, batches, "30 series in batches of at most 8")
	require.Equal(t, 4, rep.Batches)
	require.Equal(t, 30, seen)
	charted := 0
	for _, r := range rep.Results {
		if r.History.Len() > 0 {
			charted++
		}
	}
	require.LessOrEqual(t, charted, 2, "only the two riskiest keep their history")

	t.Run("an error from OnBatch stops the run", func(t *testing.T) {
		stop := fmt.Errorf("stop")
		_, err := Predict(context.Background(), file.New(ss), PredictOptions{
			Specs: []TargetSpec{spec}, AsOf: end, BatchSize: 8, Capacity: capacity.Config{Window: 24 * time.Hour},
			OnBatch: func([]Result) error { return stop },
		})
		require.ErrorIs(t, err, stop)
	})
}
