package series_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/series"
)

func TestLabels(t *testing.T) {
	t.Run("New sorts by name and later duplicates win", func(t *testing.T) {
		ls := series.New("b", "2", "a", "1", "b", "3")
		require.Equal(t, series.Labels{{"a", "1"}, {"b", "3"}}, ls)
	})
	t.Run("FromMap drops empty values like Prometheus", func(t *testing.T) {
		require.Equal(t, series.Labels{{"x", "1"}}, series.FromMap(map[string]string{"x": "1", "y": ""}))
	})
	t.Run("Get and Has find labels by binary search", func(t *testing.T) {
		ls := series.New("__name__", "up", "job", "node", "instance", "a:9100")
		require.Equal(t, "node", ls.Get("job"))
		require.Equal(t, "up", ls.Name())
		require.Equal(t, "", ls.Get("missing"))
		require.True(t, ls.Has("instance"))
		require.False(t, ls.Has("zone"))
	})
	t.Run("With inserts, replaces and removes without touching the original", func(t *testing.T) {
		ls := series.New("a", "1", "c", "3")
		require.Equal(t, series.New("a", "1", "b", "2", "c", "3"), ls.With("b", "2"))
		require.Equal(t, series.New("a", "9", "c", "3"), ls.With("a", "9"))
		require.Equal(t, series.New("a", "1", "c", "3", "d", "4"), ls.With("d", "4"))
		require.Equal(t, series.New("c", "3"), ls.With("a", ""))
		require.Equal(t, series.New("a", "1", "c", "3"), ls)
	})
	t.Run("Without removes the named labels", func(t *testing.T) {
		require.Equal(t, series.New("b", "2"), series.New("a", "1", "b", "2", "c", "3").Without("a", "c"))
	})
	t.Run("String uses Prometheus notation with the name first", func(t *testing.T) {
		require.Equal(t, `up{instance="a:9100", job="node"}`, series.New("__name__", "up", "job", "node", "instance", "a:9100").String())
		require.Equal(t, `up`, series.New("__name__", "up").String())
		require.Equal(t, `{}`, series.Labels{}.String())
		require.Equal(t, `{path="a\"b"}`, series.New("path", `a"b`).String())
	})
	t.Run("Fingerprint is stable and tells sets apart", func(t *testing.T) {
		a := series.New("a", "1", "b", "2")
		require.Equal(t, a.Fingerprint(), series.New("b", "2", "a", "1").Fingerprint())
		require.NotEqual(t, a.Fingerprint(), series.New("a", "12").Fingerprint())
		require.NotEqual(t, series.New("a", "1b").Fingerprint(), series.New("a1", "b").Fingerprint())
		require.Equal(t, uint64(0x1cc37fac8a64ae01), a.Fingerprint(), "the fingerprint must not change across versions")
	})
	t.Run("Compare orders by name, then value, then length", func(t *testing.T) {
		require.Equal(t, -1, series.New("a", "1").Compare(series.New("a", "2")))
		require.Equal(t, 1, series.New("b", "1").Compare(series.New("a", "2")))
		require.Equal(t, -1, series.New("a", "1").Compare(series.New("a", "1", "b", "1")))
		require.Equal(t, 0, series.New("a", "1").Compare(series.New("a", "1")))
	})
}

func TestSeriesValidate(t *testing.T) {
	tests := []struct {
		name string
		s    series.Series
		want error
	}{
		{"a sorted series is valid", series.Series{Timestamps: []int64{1, 2}, Values: []float64{1, 2}}, nil},
		{"an empty series is valid", series.Series{}, nil},
		{"a repeated timestamp is rejected", series.Series{Timestamps: []int64{1, 1}, Values: []float64{1, 2}}, series.ErrUnsorted},
		{"decreasing timestamps are rejected", series.Series{Timestamps: []int64{2, 1}, Values: []float64{1, 2}}, series.ErrUnsorted},
		{"unequal lengths are rejected", series.Series{Timestamps: []int64{1}, Values: []float64{1, 2}}, series.ErrLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestSliceAndAsOf(t *testing.T) {
	s := series.Series{Timestamps: []int64{10, 20, 30, 40}, Values: []float64{1, 2, 3, 4}}
	t.Run("Slice keeps both ends inclusive", func(t *testing.T) {
		got := s.Slice(20, 30)
		require.Equal(t, []int64{20, 30}, got.Timestamps)
		require.Equal(t, []float64{2, 3}, got.Values)
	})
	t.Run("Slice of a range between samples is empty", func(t *testing.T) {
		require.Equal(t, 0, s.Slice(21, 29).Len())
		require.Equal(t, 0, s.Slice(50, 40).Len())
	})
	t.Run("AsOf keeps the sample at the instant and drops later ones", func(t *testing.T) {
		require.Equal(t, []int64{10, 20, 30}, s.AsOf(30).Timestamps)
		require.Equal(t, []int64{10, 20, 30}, s.AsOf(39).Timestamps)
		require.Equal(t, 0, s.AsOf(9).Len())
	})
	t.Run("appending to a slice never overwrites the original", func(t *testing.T) {
		got := s.Slice(10, 20)
		_ = append(got.Values, 99)
		require.Equal(t, 3.0, s.Values[2])
	})
}

func TestMerge(t *testing.T) {
	a := series.New("__name__", "m", "i", "a")
	b := series.New("__name__", "m", "i", "b")
	in := []series.Series{
		{Labels: b, Timestamps: []int64{1}, Values: []float64{10}},
		{Labels: a, Timestamps: []int64{1, 2, 3}, Values: []float64{1, 2, 3}},
		{Labels: a, Timestamps: []int64{3, 4, 5}, Values: []float64{30, 4, 5}},
	}
	got := series.Merge(in)
	require.Len(t, got, 2)
	require.Equal(t, a, got[0].Labels, "merged series are sorted by labels")
	require.Equal(t, []int64{1, 2, 3, 4, 5}, got[0].Timestamps, "a shared border sample appears once")
	require.Equal(t, []float64{1, 2, 30, 4, 5}, got[0].Values, "the later part wins on a shared timestamp")
	require.NoError(t, got[0].Validate())
	require.Equal(t, []float64{10}, got[1].Values)
}

func TestMergeCases(t *testing.T) {
	a := series.New("__name__", "m", "i", "a")
	b := series.New("__name__", "m", "i", "b")
	part := func(ls series.Labels, ts []int64, vs []float64) series.Series {
		return series.Series{Labels: ls, Timestamps: ts, Values: vs}
	}
	tests := []struct {
		name string
		in   []series.Series
		want []series.Series
	}{
		{"nothing gives nothing", nil, []series.Series{}},
		{"distinct label sets are only sorted",
			[]series.Series{part(b, []int64{1}, []float64{1}), part(a, []int64{2}, []float64{2})},
			[]series.Series{part(a, []int64{2}, []float64{2}), part(b, []int64{1}, []float64{1})}},
		{"windows given in reverse time order come out in time order",
			[]series.Series{part(a, []int64{7, 8}, []float64{7, 8}), part(a, []int64{4, 5, 6, 7}, []float64{4, 5, 6, 70}), part(a, []int64{1, 2, 3, 4}, []float64{1, 2, 3, 40})},
			[]series.Series{part(a, []int64{1, 2, 3, 4, 5, 6, 7, 8}, []float64{1, 2, 3, 40, 5, 6, 70, 8})}},
		{"the last of many overlapping parts wins",
			[]series.Series{part(a, []int64{1, 2}, []float64{1, 2}), part(a, []int64{2}, []float64{20}), part(a, []int64{2}, []float64{200}), part(a, []int64{1, 3}, []float64{10, 3})},
			[]series.Series{part(a, []int64{1, 2, 3}, []float64{10, 200, 3})}},
		{"an empty part adds nothing",
			[]series.Series{part(a, nil, nil), part(a, []int64{1}, []float64{1})},
			[]series.Series{part(a, []int64{1}, []float64{1})}},
		{"a part out of order is sorted, its later duplicate winning",
			[]series.Series{part(a, []int64{3, 1, 1}, []float64{3, 1, 10}), part(a, []int64{2}, []float64{2})},
			[]series.Series{part(a, []int64{1, 2, 3}, []float64{10, 2, 3})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := make([]series.Series, len(tt.in))
			for i, s := range tt.in {
				before[i] = s.Clone()
			}
			got := series.Merge(tt.in)
			require.Len(t, got, len(tt.want))
			for i := range got {
				require.Equal(t, tt.want[i].Labels, got[i].Labels)
				require.Equal(t, tt.want[i].Timestamps, got[i].Timestamps)
				require.Equal(t, tt.want[i].Values, got[i].Values)
				require.NoError(t, got[i].Validate())
			}
			for i := range tt.in {
				require.Equal(t, before[i].Timestamps, tt.in[i].Timestamps, "the input is not modified")
				require.Equal(t, before[i].Values, tt.in[i].Values, "the input is not modified")
			}
		})
	}
}

func TestRangeAndAlign(t *testing.T) {
	nan := math.NaN()
	s := series.Series{Timestamps: []int64{0, 60, 120, 300}, Values: []float64{1, 2, nan, 5}}
	t.Run("Points counts an inclusive grid", func(t *testing.T) {
		require.Equal(t, 6, series.Range{Start: 0, End: 300, Step: 60}.Points())
		require.Equal(t, 5, series.Range{Start: 0, End: 299, Step: 60}.Points())
		require.Equal(t, 0, series.Range{Start: 10, End: 0, Step: 60}.Points())
		require.Equal(t, 0, series.Range{Start: 0, End: 10, Step: 0}.Points())
	})
	tests := []struct {
		name     string
		r        series.Range
		lookback int64
		want     []float64
	}{
		{"samples on the grid come back exactly", series.Range{0, 300, 60}, 30, []float64{1, 2, nan, nan, nan, 5}},
		{"a longer lookback fills gaps with the last sample", series.Range{0, 300, 60}, 200, []float64{1, 2, nan, nan, nan, 5}},
		{"a grid between samples takes the latest earlier sample", series.Range{30, 330, 60}, 59, []float64{1, 2, nan, nan, nan, 5}},
		{"a sample exactly lookback old fills the point, as in Prometheus 2", series.Range{90, 90, 30}, 30, []float64{2}},
		{"a sample older than the lookback does not", series.Range{91, 91, 30}, 30, []float64{nan}},
		{"a point before any sample is NaN", series.Range{-60, -60, 60}, 300, []float64{nan}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := series.Align(nil, s, tt.r, tt.lookback)
			require.Len(t, got, len(tt.want))
			for i := range got {
				if math.IsNaN(tt.want[i]) {
					require.Truef(t, math.IsNaN(got[i]), "point %d: want NaN, got %v", i, got[i])
					continue
				}
				require.Equalf(t, tt.want[i], got[i], "point %d", i)
			}
		})
	}
	t.Run("a longer lookback carries a sample forward over a gap", func(t *testing.T) {
		s := series.Series{Timestamps: []int64{0, 300}, Values: []float64{1, 5}}
		got := series.Align(nil, s, series.Range{0, 300, 60}, 200)
		require.Equal(t, []float64{1, 1, 1, 1}, got[:4])
		require.True(t, math.IsNaN(got[4]), "a sample older than the lookback is not used")
		require.Equal(t, 5.0, got[5])
	})
	t.Run("Align reuses a large enough destination", func(t *testing.T) {
		dst := make([]float64, 0, 16)
		got := series.Align(dst, s, series.Range{0, 300, 60}, 30)
		require.Equal(t, &dst[:1][0], &got[0])
	})
	t.Run("Regular returns the grid's timestamps", func(t *testing.T) {
		got := series.Regular(s, series.Range{0, 120, 60}, 60)
		require.Equal(t, []int64{0, 60, 120}, got.Timestamps)
	})
}

func TestGapsAndStep(t *testing.T) {
	s := series.Series{Timestamps: []int64{0, 60, 120, 600, 660, 720}, Values: []float64{1, 1, 1, 1, math.NaN(), 1}}
	require.Equal(t, int64(60), series.Step(s))
	gaps := series.Gaps(s, 60, 1.5)
	require.Equal(t, []series.Gap{{120, 600}, {600, 720}}, gaps, "a NaN sample counts as missing")
	require.Empty(t, series.Gaps(series.Series{Timestamps: []int64{0, 60}, Values: []float64{1, 1}}, 60, 0))
	require.Equal(t, int64(0), series.Step(series.Series{Timestamps: []int64{5}, Values: []float64{1}}))
}

func ExampleAlign() {
	s := series.Series{
		Labels:     series.New("__name__", "node_filesystem_avail_bytes", "mountpoint", "/"),
		Timestamps: []int64{0, 60_000, 240_000},
		Values:     []float64{100, 90, 70},
	}
	// Resample on a 1-minute grid with a 1-minute lookback, as query_range
	// would: the sample at 1m still counts at 2m, nothing is left at 3m.
	r := series.Range{Start: 0, End: 240_000, Step: 60_000}
	fmt.Println(series.Align(nil, s, r, 60_000))
	// Output: [100 90 90 NaN 70]
}

func ExampleLabels_Fingerprint() {
	a := series.New("job", "node", "instance", "a:9100")
	b := series.FromMap(map[string]string{"instance": "a:9100", "job": "node"})
	fmt.Println(a.Fingerprint() == b.Fingerprint(), a)
	// Output: true {instance="a:9100", job="node"}
}

func BenchmarkAlign(b *testing.B) {
	n := 43200
	s := series.Series{Timestamps: make([]int64, n), Values: make([]float64, n)}
	for i := range n {
		s.Timestamps[i] = int64(i) * 60_000
		s.Values[i] = float64(i)
	}
	r := series.Range{Start: 0, End: int64(n-1) * 60_000, Step: 300_000}
	dst := make([]float64, r.Points())
	b.ReportAllocs()
	for b.Loop() {
		dst = series.Align(dst, s, r, 300_000)
	}
}
