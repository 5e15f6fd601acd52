package anomaly

import (
	"math"
	"math/rand/v2"
	"slices"
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

func TestMachineMoments(t *testing.T) {
	t.Run("they are the plain mean and variance until the memory fills", func(t *testing.T) {
		m := newMoments(1000, 0)
		xs := []float64{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3, 3, 8, 3, 2, 7, 9, 5, 0, 2}
		mean, sq := 0.0, 0.0
		for _, x := range xs {
			m.learn(x)
			mean += x
		}
		mean /= float64(len(xs))
		for _, x := range xs {
			sq += (x - mean) * (x - mean)
		}
		sd := math.Sqrt(sq / float64(len(xs)))
		require.InDelta(t, mean, m.mean, 1e-12)
		require.InDelta(t, sd*sd, m.vari, 1e-12)
		require.InDelta(t, math.Abs(10-mean)/sd, m.z(10), 1e-12)
	})
	t.Run("then they forget with the half-life", func(t *testing.T) {
		m := newMoments(100, 0)
		for i := 0; i < 10_000; i++ {
			m.learn(0)
		}
		for i := 0; i < 100; i++ {
			m.learn(1)
		}
		require.InDelta(t, 0.5, m.mean, 1e-9)
	})
	t.Run("missing values are not learnt and score NaN", func(t *testing.T) {
		m := newMoments(100, 0)
		for i := 0; i < minMoments; i++ {
			require.True(t, math.IsNaN(m.z(1)), "scored before %d samples", minMoments)
			m.learn(float64(i % 2))
			m.learn(math.NaN())
			m.learn(math.Inf(1))
		}
		require.Equal(t, minMoments, m.n)
		require.InDelta(t, 0.5, m.mean, 1e-12)
		require.True(t, math.IsNaN(m.z(math.Inf(-1))))
		require.InDelta(t, 1.0, m.z(1), 1e-12)
	})
	t.Run("a constant metric gets a tiny floor, or MinScale", func(t *testing.T) {
		for _, tc := range []struct {
			minScale, want float64
		}{{0, 1 / (1e-9 * 2)}, {0.5, 2}} {
			m := newMoments(100, tc.minScale)
			for i := 0; i < 50; i++ {
				m.learn(2)
			}
			require.InDelta(t, tc.want, m.z(3), 1e-6*tc.want)
		}
	})
}

func TestMachineTopK(t *testing.T) {
	for _, tc := range []struct{ metrics, top, want int }{
		{1, 3, 1}, {4, 3, 1}, {19, 3, 1}, {20, 3, 2}, {38, 3, 3}, {500, 3, 3}, {38, 1, 1}, {100, 8, 8},
	} {
		t.Run(formatG(float64(tc.metrics))+" metrics with Top "+formatG(float64(tc.top))+" average "+formatG(float64(tc.want)), func(t *testing.T) {
			require.Equal(t, tc.want, topK(tc.metrics, tc.top))
		})
	}
}

func TestMachineTraining(t *testing.T) {
	ts, rows, names := machineRows(3000, 30, 2500, 4)
	train, test := rows[:2000], rows[2000:]
	t.Run("DetectMachine with Train equals a Machine that learns them first", func(t *testing.T) {
		for _, freeze := range []bool{false, true} {
			m := NewMachine(names, MachineConfig{})
			for _, row := range train {
				m.Learn(row)
			}
			if freeze {
				m.Freeze()
			}
			want := make([]float64, len(test))
			for i, row := range test {
				want[i] = m.Update(ts[2000+i], row)
			}
			for _, w := range []int{1, 4} {
				got := DetectMachine(ts[2000:], test, names, MachineOptions{Train: train, Freeze: freeze, Workers: w})
				require.Equal(t, want, got.Scores, "freeze %v, %d workers", freeze, w)
			}
		}
	})
	t.Run("training and then scoring equals scoring everything, after the training rows", func(t *testing.T) {
		all := DetectMachine(ts, rows, names, MachineOptions{})
		part := DetectMachine(ts[2000:], test, names, MachineOptions{Train: train})
		require.Equal(t, all.Unsuppressed[2000:], part.Unsuppressed)
	})
	t.Run("scores stay causal with a training period", func(t *testing.T) {
		for _, freeze := range []bool{false, true} {
			full := DetectMachine(ts[2000:], test, names, MachineOptions{Train: train, Freeze: freeze})
			for _, k := range []int{1, 499, 501, 1000} {
				p := DetectMachine(ts[2000:2000+k], test[:k], names, MachineOptions{Train: train, Freeze: freeze})
				require.Equal(t, full.Scores[:k], p.Scores)
			}
		}
	})
	t.Run("frozen on its own training rows it is a z-score averaged over the top metrics", func(t *testing.T) {
		small := rows[:300]
		res := DetectMachine(ts[:300], small, names[:30], MachineOptions{Train: small, Freeze: true})
		mu, sd := make([]float64, 30), make([]float64, 30)
		for j := range mu {
			for _, row := range small {
				mu[j] += row[j]
			}
			mu[j] /= 300
			for _, row := range small {
				sd[j] += (row[j] - mu[j]) * (row[j] - mu[j])
			}
			sd[j] = math.Sqrt(sd[j] / 300)
		}
		for _, i := range []int{0, 17, 299} {
			z := make([]float64, 30)
			for j := range z {
				z[j] = math.Abs(small[i][j]-mu[j]) / sd[j]
			}
			slices.Sort(z)
			d := (z[29] + z[28] + z[27]) / 3 // 30 metrics: the top 3
			require.InDelta(t, d/(d+20), res.Unsuppressed[i], 1e-9)
			require.InDelta(t, z[29]/(z[29]+20), maxOver(res.MetricScores, i), 1e-9)
		}
	})
	t.Run("training rows count towards the warm-up", func(t *testing.T) {
		res := DetectMachine(ts[:10], rows[:10], names, MachineOptions{Train: train[:300]})
		require.Greater(t, minOf(res.Unsuppressed), 0.0)
		res = DetectMachine(ts[:10], rows[:10], names, MachineOptions{Train: train[:100]})
		require.Equal(t, 0.0, maxOf(res.Unsuppressed))
	})
	t.Run("the incident after the training period stands out", func(t *testing.T) {
		res := DetectMachine(ts[2000:], test, names, MachineOptions{Train: train})
		require.GreaterOrEqual(t, res.Unsuppressed[500], Threshold)
		require.Less(t, maxOf(res.Unsuppressed[:500]), 0.3)
	})
	t.Run("it panics on a training row of the wrong width", func(t *testing.T) {
		require.Panics(t, func() {
			DetectMachine(ts[:1], rows[:1], names, MachineOptions{Train: [][]float64{{1}}})
		})
		require.Panics(t, func() { NewMachine([]string{"a"}, MachineConfig{}).Learn([]float64{1, 2}) })
	})
}

func maxOver(cols [][]float64, i int) float64 {
	m := math.Inf(-1)
	for _, c := range cols {
		m = math.Max(m, c[i])
	}
	return m
}

func minOf(s []float64) float64 {
	m := math.Inf(1)
	for _, v := range s {
		m = math.Min(m, v)
	}
	return m
}

func TestIntervals(t *testing.T) {
	ts := make([]int64, 40)
	for i := range ts {
		ts[i] = int64(i) * 1000
	}
	for _, tc := range []struct {
		name   string
		flags  [][2]int // inclusive runs of anomalous samples
		scores map[int]float64
		want   [][3]float64 // start index, end index, peak
	}{
		{"no anomalous sample, no interval", nil, map[int]float64{3: 0.9}, nil},
		{"one flagged sample is a one-sample interval", [][2]int{{5, 5}}, map[int]float64{5: 0.9}, [][3]float64{{5, 5, 0.9}}},
		{"the peak is the largest score of the run", [][2]int{{5, 9}}, map[int]float64{5: 0.6, 6: 0.1, 7: 0.8}, [][3]float64{{5, 9, 0.8}}},
		{"scores outside the run do not count", [][2]int{{5, 6}}, map[int]float64{4: 1, 5: 0.6, 7: 1}, [][3]float64{{5, 6, 0.6}}},
		{"two runs are two intervals", [][2]int{{5, 5}, {7, 8}}, map[int]float64{5: 0.6, 8: 0.7}, [][3]float64{{5, 5, 0.6}, {7, 8, 0.7}}},
		{"a run still open at the end is kept", [][2]int{{38, 39}}, map[int]float64{38: 0.6, 39: 0.5}, [][3]float64{{38, 39, 0.6}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := make([]float64, len(ts))
			for i, v := range tc.scores {
				sc[i] = v
			}
			fl := make([]bool, len(ts))
			for _, r := range tc.flags {
				for i := r[0]; i <= r[1]; i++ {
					fl[i] = true
				}
			}
			got := Intervals(ts, sc, fl)
			require.Len(t, got, len(tc.want))
			for k, w := range tc.want {
				require.Equal(t, int(w[0]), got[k].StartIndex)
				require.Equal(t, int(w[1]), got[k].EndIndex)
				require.Equal(t, ts[int(w[0])], got[k].Start)
				require.Equal(t, ts[int(w[1])], got[k].End)
				require.Equal(t, w[2], got[k].Peak)
				require.Equal(t, w[2], sc[(got[k].PeakAt-ts[0])/1000])
			}
		})
	}
	require.Panics(t, func() { Intervals(ts, nil, nil) })
}

func TestDetectIntervalsComeFromTheFlagsAndScores(t *testing.T) {
	ts, vs := series(288*8, 100, 30, 2, 21)
	at := 288*6 + 10
	for i := at; i < at+6; i++ {
		vs[i] += 400
	}
	r := Detect(ts, vs, Config{})
	require.Len(t, r.Scores, len(vs))
	require.Len(t, r.Anomalous, len(vs))
	var found bool
	for _, iv := range r.Intervals {
		if iv.StartIndex == at {
			found = true
			require.Equal(t, r.Scores[at], iv.Peak)
			require.GreaterOrEqual(t, iv.Peak, Threshold)
		}
		peak := 0.0
		for i := iv.StartIndex; i <= iv.EndIndex; i++ {
			require.True(t, r.Anomalous[i])
			peak = math.Max(peak, r.Scores[i])
		}
		require.Equal(t, peak, iv.Peak)
		require.False(t, iv.StartIndex > 0 && r.Anomalous[iv.StartIndex-1])
		require.False(t, iv.EndIndex+1 < len(vs) && r.Anomalous[iv.EndIndex+1])
	}
	require.True(t, found, "intervals %+v", r.Intervals)
	for i, a := range r.Anomalous {
		if r.Scores[i] >= Threshold {
			require.True(t, a, "sample %d scores %.2f but is not anomalous", i, r.Scores[i])
		}
	}
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

func BenchmarkMachineLearn(b *testing.B) {
	_, rows, names := machineRows(8192, 38, 1<<30, 2)
	m := NewMachine(names, MachineConfig{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Learn(rows[i&8191])
	}
}

func BenchmarkDetectMachine(b *testing.B) {
	ts, rows, names := machineRows(8192, 38, 1<<30, 2)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		DetectMachine(ts[4096:], rows[4096:], names, MachineOptions{Train: rows[:4096]})
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*4096), "ns/row")
}
