package tuner_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/fixtures"
	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/internal/source/prom"
	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/tuner"
)

func TestRuleTimelineHoldsFor(t *testing.T) {
	// Headroom flat at 100 until 10:00, then falling 1 per minute: the
	// 30-minute prediction goes negative once the fall is steep enough in
	// the window; the alert fires exactly Hold after the first true
	// evaluation and resets on the first false one.
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	var ts []int64
	var hs []float64
	for m := 0; m <= 24*60; m++ {
		ts = append(ts, t0+int64(m)*60000)
		v := 100.0
		if m > 600 && m < 700 {
			v = 100 - float64(m-600)
		} else if m >= 700 {
			v = 100
		}
		hs = append(hs, v)
	}
	r := tuner.PredictLinearRule{Range: 10 * time.Minute, Predict: 30 * time.Minute, Hold: 15 * time.Minute}
	evals, firing := r.Timeline(ts, hs, nil, nil, t0+8*3600000, t0+14*3600000)
	var cond []bool
	for _, e := range evals {
		v, ok := tuner.PredictLinear(ts, hs, e, r.Range, r.Predict, false)
		cond = append(cond, ok && v < 0)
	}
	first := -1
	for i, c := range cond {
		if c {
			first = i
			break
		}
	}
	require.GreaterOrEqual(t, first, 0)
	for i := range evals {
		run := 0
		for j := i; j >= 0 && cond[j]; j-- {
			run++
		}
		require.Equal(t, run > 15, firing[i], "evaluation %d", i)
	}
}

// TestPredictLinearMatchesPrometheus backfills a real Prometheus with two
// suite series and checks that tuner.PredictLinear gives exactly what the
// server's predict_linear returns, bit for bit, on and between sample
// instants.
func TestPredictLinearMatchesPrometheus(t *testing.T) {
	at := fixtures.SuiteAt()
	from := at.Add(-3 * 24 * time.Hour)
	var ss []series.Series
	for _, sc := range fixtures.CapacitySuite(1, 2) { // steady disk, log-rotation trap
		s := fixtures.Sparse(sc.Series).Slice(from.UnixMilli(), at.UnixMilli())
		ss = append(ss, s)
	}
	srv := testrig.Prometheus(t, ss)
	c, err := prom.New(prom.Config{URL: srv.URL})
	require.NoError(t, err)
	for _, rng := range []time.Duration{6 * time.Hour, 24 * time.Hour} {
		expr := "predict_linear(node_filesystem_avail_bytes[" + strconv.Itoa(int(rng.Hours())) + "h], 86400)"
		q := source.Query{Expr: expr, Start: from.Add(rng + 7*time.Minute), End: at, Step: 7 * time.Minute}
		res, err := c.QueryRange(context.Background(), q)
		require.NoError(t, err)
		require.Len(t, res.Series, len(ss))
		checked := 0
		for _, got := range res.Series {
			var raw series.Series
			for _, s := range ss {
				if s.Labels.Get("instance") == got.Labels.Get("instance") {
					raw = s
				}
			}
			require.NotZero(t, raw.Len())
			for i, ts := range got.Timestamps {
				want, ok := tuner.PredictLinear(raw.Timestamps, raw.Values, ts, rng, 24*time.Hour, false)
				require.True(t, ok)
				require.Equal(t, want, got.Values[i], "%s at %s", expr, time.UnixMilli(ts).UTC())
				checked++
			}
		}
		require.Greater(t, checked, 500)
	}
}

// BenchmarkPredictLinear evaluates predict_linear(x[6h], 24h) on a 5-minute
// series (72 samples in the range), as a replay does at every instant.
func BenchmarkPredictLinear(b *testing.B) {
	var ts []int64
	var vs []float64
	for i := range 24 * 12 {
		ts = append(ts, int64(i)*300000)
		vs = append(vs, 1e12-float64(i)*1e8)
	}
	at := ts[len(ts)-1]
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := tuner.PredictLinear(ts, vs, at, 6*time.Hour, 24*time.Hour, false); !ok {
			b.Fatal("no result")
		}
	}
}
