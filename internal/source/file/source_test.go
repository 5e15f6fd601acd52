package file

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/series"
)

var t0 = time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC) // 1700000000000 ms

func selectorSource() *Source {
	mk := func(ls ...string) series.Series {
		return series.Series{Labels: series.New(ls...), Timestamps: []int64{t0.UnixMilli()}, Values: []float64{1}}
	}
	return New([]series.Series{
		mk("__name__", "disk", "host", "a", "mount", "/"),
		mk("__name__", "disk", "host", "b", "mount", "/var"),
		mk("__name__", "disk", "host", "ab"),
		mk("__name__", "mem", "host", "a"),
		mk("host", "c"),
	})
}

func TestQueryRangeSelectsSeriesLikePrometheus(t *testing.T) {
	src := selectorSource()
	cases := []struct {
		expr string
		want []string
	}{
		{"", []string{`disk{host="a", mount="/"}`, `disk{host="ab"}`, `disk{host="b", mount="/var"}`, `mem{host="a"}`, `{host="c"}`}},
		{"disk", []string{`disk{host="a", mount="/"}`, `disk{host="ab"}`, `disk{host="b", mount="/var"}`}},
		{`{__name__="mem"}`, []string{`mem{host="a"}`}},
		{`disk{host="a"}`, []string{`disk{host="a", mount="/"}`}},
		{`disk{host!="a"}`, []string{`disk{host="ab"}`, `disk{host="b", mount="/var"}`}},
		{`disk{host=~"a"}`, []string{`disk{host="a", mount="/"}`}}, // anchored: does not match "ab"
		{`disk{host=~"a.*"}`, []string{`disk{host="a", mount="/"}`, `disk{host="ab"}`}},
		{`disk{host!~"a|b"}`, []string{`disk{host="ab"}`}},
		{`disk{mount=""}`, []string{`disk{host="ab"}`}}, // absent label equals ""
		{`disk{mount!=""}`, []string{`disk{host="a", mount="/"}`, `disk{host="b", mount="/var"}`}},
		{`{mount=~".*"}`, []string{`disk{host="a", mount="/"}`, `disk{host="ab"}`, `disk{host="b", mount="/var"}`, `mem{host="a"}`, `{host="c"}`}},
		{`{__name__=~"d.*|m.*", host="a"}`, []string{`disk{host="a", mount="/"}`, `mem{host="a"}`}},
		{`{host="c" or mount="/var"}`, []string{`disk{host="b", mount="/var"}`, `{host="c"}`}},
		{`(disk{host="b"})`, []string{`disk{host="b", mount="/var"}`}},
		{"nothing", nil},
	}
	for _, c := range cases {
		t.Run("selector "+c.expr, func(t *testing.T) {
			res, err := src.QueryRange(context.Background(), source.Query{Expr: c.expr, Start: t0, End: t0})
			require.NoError(t, err)
			var got []string
			for _, s := range res.Series {
				got = append(got, s.Labels.String())
			}
			require.Equal(t, c.want, got)
		})
	}
}

func TestQueryRangeRefusesWhatIsNotASelector(t *testing.T) {
	src := selectorSource()
	for _, expr := range []string{`rate(disk[5m])`, `disk[5m]`, `sum(disk)`, `disk + 1`, `1`, `disk offset 1h`, `disk or mem`, `disk @ 1700000000`} {
		t.Run(expr, func(t *testing.T) {
			_, err := src.QueryRange(context.Background(), source.Query{Expr: expr, Start: t0, End: t0})
			require.ErrorIs(t, err, source.ErrUnsupportedQuery)
			require.ErrorContains(t, err, `a file source evaluates only series selectors like name{label="v"}`)
			require.ErrorContains(t, err, expr)
		})
	}
	for _, expr := range []string{`disk{`, `{}`, `disk{host=~"("}`} {
		t.Run("invalid "+expr, func(t *testing.T) {
			_, err := src.QueryRange(context.Background(), source.Query{Expr: expr, Start: t0, End: t0})
			require.Error(t, err)
			require.False(t, errors.Is(err, source.ErrUnsupportedQuery), "%v", err)
			require.ErrorContains(t, err, "query")
		})
	}
}

func TestQueryRangeReturnsRawSamplesOrAGrid(t *testing.T) {
	// A multiple of the 150 s and 1 m steps asked below: stepped queries
	// are sampled on multiples of the step, as on the servers.
	base := time.UnixMilli(1_700_000_100_000)
	ms := func(d time.Duration) int64 { return base.Add(d).UnixMilli() }
	// Samples every minute for 10 minutes, a 20-minute gap, then a NaN
	// sample and two more.
	s := series.Series{Labels: series.New("__name__", "m")}
	for i := range 10 {
		s.Timestamps = append(s.Timestamps, ms(time.Duration(i)*time.Minute))
		s.Values = append(s.Values, float64(i))
	}
	s.Timestamps = append(s.Timestamps, ms(30*time.Minute), ms(31*time.Minute), ms(32*time.Minute))
	s.Values = append(s.Values, math.NaN(), 31, 32)
	other := series.Series{Labels: series.New("__name__", "old"), Timestamps: []int64{ms(-time.Hour)}, Values: []float64{1}}
	src := New([]series.Series{s, other})
	ctx := context.Background()

	t.Run("step 0 returns raw samples with both ends inclusive", func(t *testing.T) {
		res, err := src.QueryRange(ctx, source.Query{Start: base.Add(2 * time.Minute), End: base.Add(4 * time.Minute)})
		require.NoError(t, err)
		require.Equal(t, time.Duration(0), res.Step)
		requireSameSeries(t, []series.Series{{Labels: s.Labels, Timestamps: []int64{ms(2 * time.Minute), ms(3 * time.Minute), ms(4 * time.Minute)}, Values: []float64{2, 3, 4}}}, res.Series)
	})
	t.Run("a stepped query takes the latest sample within 5 minutes and leaves out points without one", func(t *testing.T) {
		start, end, step := base.Add(-10*time.Minute-20*time.Second), base.Add(33*time.Minute), 150*time.Second
		res, err := src.QueryRange(ctx, source.Query{Start: start, End: end, Step: step})
		require.NoError(t, err)
		require.Equal(t, step, res.Step)
		require.Len(t, res.Series, 1, "the series without samples in range is left out")
		got := res.Series[0]
		r := series.NewRange(source.GridStart(start, end, step), end, step)
		require.Equal(t, ms(-10*time.Minute), r.Start, "the grid starts at the first multiple of the step")
		aligned := series.Align(nil, s, r, Lookback.Milliseconds())
		var want series.Series
		for i, ts := range r.Timestamps(nil) {
			// Align's NaN means no sample, except at the NaN sample itself.
			if !math.IsNaN(aligned[i]) || (ts >= ms(30*time.Minute) && ts < ms(31*time.Minute)) {
				want.Timestamps = append(want.Timestamps, ts)
				want.Values = append(want.Values, aligned[i])
			}
		}
		want.Labels = s.Labels
		requireSameSeries(t, []series.Series{want}, []series.Series{got})
		require.Equal(t, ms(0), got.Timestamps[0], "the first points before any sample are left out")
		require.Equal(t, ms(30*time.Minute), got.Timestamps[6])
		require.True(t, math.IsNaN(got.Values[6]), "a NaN sample stays a NaN point")
	})
	t.Run("a stepped query over a range with no samples returns no series", func(t *testing.T) {
		res, err := src.QueryRange(ctx, source.Query{Start: base.Add(15 * time.Minute), End: base.Add(25 * time.Minute), Step: time.Minute})
		require.NoError(t, err)
		require.Empty(t, res.Series)
	})
	t.Run("a step below a millisecond or a huge grid is refused", func(t *testing.T) {
		_, err := src.QueryRange(ctx, source.Query{Start: base, End: base.Add(time.Hour), Step: time.Microsecond})
		require.ErrorContains(t, err, "below the 1ms resolution")
		_, err = src.QueryRange(ctx, source.Query{Start: base, End: base.Add(24 * time.Hour), Step: time.Millisecond})
		require.ErrorContains(t, err, "use a larger step")
	})
	t.Run("an invalid range is refused", func(t *testing.T) {
		_, err := src.QueryRange(ctx, source.Query{Start: base, End: base.Add(-time.Second)})
		require.ErrorContains(t, err, "is before start")
	})
	t.Run("a cancelled context stops the query", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := src.QueryRange(cctx, source.Query{Start: base, End: base})
		require.ErrorIs(t, err, context.Canceled)
	})
}

func TestQueryResultsAndSeriesDoNotShareMemoryWithTheSource(t *testing.T) {
	src := New([]series.Series{{Labels: series.New("__name__", "m", "a", "1"), Timestamps: []int64{1000, 2000}, Values: []float64{1, 2}}})
	for _, step := range []time.Duration{0, time.Second} {
		res, err := src.QueryRange(context.Background(), source.Query{Start: time.UnixMilli(0), End: time.UnixMilli(5000), Step: step})
		require.NoError(t, err)
		res.Series[0].Values[0] = 99
		res.Series[0].Timestamps[0] = 99
		res.Series[0].Labels[0].Value = "changed"
	}
	ss := src.Series()
	ss[0].Values[1] = 99
	ss[0].Labels[1].Value = "changed"
	requireSameSeries(t, []series.Series{{Labels: series.New("__name__", "m", "a", "1"), Timestamps: []int64{1000, 2000}, Values: []float64{1, 2}}}, src.Series())
}

func TestNewPanicsOnInvalidSeries(t *testing.T) {
	require.PanicsWithValue(t, `file.New: series {a="1"} given twice`, func() {
		New([]series.Series{{Labels: series.New("a", "1")}, {Labels: series.New("a", "1")}})
	})
	require.Panics(t, func() {
		New([]series.Series{{Labels: series.New("a", "1"), Timestamps: []int64{2, 1}, Values: []float64{1, 1}}})
	})
}

func TestSourceLastIsTheLatestSampleOfAnySeries(t *testing.T) {
	src := New([]series.Series{
		{Labels: series.New("__name__", "a"), Timestamps: []int64{1, 5}, Values: []float64{1, 2}},
		{Labels: series.New("__name__", "b"), Timestamps: []int64{3, 9}, Values: []float64{1, 2}},
	})
	last, ok := src.Last()
	require.True(t, ok)
	require.Equal(t, int64(9), last)
	_, ok = New(nil).Last()
	require.False(t, ok)
}
