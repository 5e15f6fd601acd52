package anomaly

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// machineRows returns n rows of m noisy metrics, one minute apart, with
// metrics 2 and 5 jumping by 30σ during [at, at+20).
func machineRows(n, m, at int, seed uint64) ([]int64, [][]float64, []string) {
	r := rand.New(rand.NewPCG(seed, 3))
	ts := make([]int64, n)
	rows := make([][]float64, n)
	names := make([]string, m)
	for j := range names {
		names[j] = "m" + strconv.Itoa(j)
	}
	for i := range rows {
		ts[i] = int64(i) * 60_000
		rows[i] = make([]float64, m)
		for j := range rows[i] {
			rows[i][j] = float64(10*j) + r.NormFloat64()
			if i >= at && i < at+20 && (j == 2 || j == 5) {
				rows[i][j] += 30
			}
		}
	}
	return ts, rows, names
}

func TestMachine(t *testing.T) {
	ts, rows, names := machineRows(6000, 8, 5000, 1)
	t.Run("an incident on two metrics is reported once and names them", func(t *testing.T) {
		m := NewMachine(names, MachineConfig{})
		var fired []int
		var contrib []Contribution
		for i, row := range rows {
			if m.Update(ts[i], row) >= Threshold {
				fired = append(fired, i)
				if i >= 5000 && contrib == nil {
					contrib = m.Contributions(nil, 0.3)
				}
			}
		}
		require.Contains(t, fired, 5000)
		require.Len(t, contrib, 2)
		require.ElementsMatch(t, []string{"m2", "m5"}, []string{contrib[0].Metric, contrib[1].Metric})
		require.LessOrEqual(t, len(fired), 3, "fired at %v", fired)
	})
	t.Run("DetectMachine equals the online machine whatever the workers", func(t *testing.T) {
		m := NewMachine(names, MachineConfig{})
		want := make([]float64, len(rows))
		for i, row := range rows {
			want[i] = m.Update(ts[i], row)
		}
		for _, w := range []int{1, 3} {
			got := DetectMachine(ts, rows, names, MachineOptions{Workers: w})
			require.Equal(t, want, got.Scores)
		}
	})
	t.Run("its intervals cover the incident and list the metrics", func(t *testing.T) {
		res := DetectMachine(ts, rows, names, MachineOptions{})
		var hit *Interval
		for k := range res.Intervals {
			if res.Intervals[k].StartIndex <= 5000 && res.Intervals[k].EndIndex >= 5019 {
				hit = &res.Intervals[k]
			}
		}
		require.NotNil(t, hit, "intervals %+v", res.Intervals)
		require.Len(t, hit.Metrics, 2)
		require.ElementsMatch(t, []string{"m2", "m5"}, []string{hit.Metrics[0].Metric, hit.Metrics[1].Metric})
	})
	t.Run("a metric that was constant makes any change stand out", func(t *testing.T) {
		m := NewMachine([]string{"flat", "noise"}, MachineConfig{Top: 1})
		r := rand.New(rand.NewPCG(9, 9))
		var last float64
		for i := 0; i < 3000; i++ {
			flat := 0.0
			if i == 2999 {
				flat = 1
			}
			last = m.Update(int64(i), []float64{flat, r.NormFloat64()})
		}
		require.Greater(t, last, 0.99)
	})
	t.Run("missing values are skipped", func(t *testing.T) {
		m := NewMachine([]string{"a", "b"}, MachineConfig{})
		for i := 0; i < 500; i++ {
			s := m.Update(int64(i), []float64{math.NaN(), float64(i % 7)})
			require.False(t, math.IsNaN(s))
		}
		require.True(t, math.IsNaN(m.Deviations()[0]))
	})
	t.Run("it panics on a row of the wrong width", func(t *testing.T) {
		require.Panics(t, func() { NewMachine([]string{"a"}, MachineConfig{}).Update(0, []float64{1, 2}) })
		require.Panics(t, func() { NewMachine(nil, MachineConfig{}) })
	})
}

func TestIntervals(t *testing.T) {
	ts := make([]int64, 40)
	for i := range ts {
		ts[i] = int64(i) * 1000
	}
	for _, tc := range []struct {
		name   string
		scores map[int]float64
		cfg    IntervalConfig
		want   [][3]float64 // start index, end index, peak
	}{
		{"no score reaches the threshold", map[int]float64{3: 0.4}, IntervalConfig{}, nil},
		{"one spike is a one-sample interval", map[int]float64{5: 0.9}, IntervalConfig{}, [][3]float64{{5, 5, 0.9}}},
		{"elevated samples after the opening extend it", map[int]float64{5: 0.6, 6: 0.35, 7: 0.8, 9: 0.4}, IntervalConfig{}, [][3]float64{{5, 9, 0.8}}},
		{"a quiet gap splits two events", map[int]float64{5: 0.6, 20: 0.7}, IntervalConfig{Gap: 5}, [][3]float64{{5, 5, 0.6}, {20, 20, 0.7}}},
		{"an interval still open at the end is kept", map[int]float64{38: 0.6, 39: 0.5}, IntervalConfig{}, [][3]float64{{38, 39, 0.6}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := make([]float64, len(ts))
			for i, v := range tc.scores {
				sc[i] = v
			}
			got := Intervals(ts, sc, tc.cfg)
			require.Len(t, got, len(tc.want))
			for k, w := range tc.want {
				require.Equal(t, int(w[0]), got[k].StartIndex)
				require.Equal(t, int(w[1]), got[k].EndIndex)
				require.Equal(t, ts[int(w[0])], got[k].Start)
				require.Equal(t, ts[int(w[1])], got[k].End)
				require.Equal(t, w[2], got[k].Peak)
			}
		})
	}
	require.Panics(t, func() { Intervals(ts, nil, IntervalConfig{}) })
}

func TestDetectGroupsAnEventIntoOneInterval(t *testing.T) {
	ts, vs := series(288*6, 100, 30, 2, 21)
	at := 288*5 + 10
	for i := at; i < at+6; i++ {
		vs[i] += 400
	}
	r := Detect(ts, vs, Config{}, IntervalConfig{})
	require.Len(t, r.Scores, len(vs))
	var found bool
	for _, iv := range r.Intervals {
		if iv.StartIndex == at {
			found = true
			require.Equal(t, 1.0, iv.Peak)
			require.GreaterOrEqual(t, iv.EndIndex, at)
		}
	}
	require.True(t, found, "intervals %+v", r.Intervals)
	require.Equal(t, EvidenceRange, r.Evidence[at])
}

func BenchmarkMachineUpdate(b *testing.B) {
	ts, rows, names := machineRows(8192, 38, 1<<30, 2)
	m := NewMachine(names, MachineConfig{})
	for i, row := range rows {
		m.Update(ts[i], row)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Update(int64(i), rows[i&8191])
	}
}
