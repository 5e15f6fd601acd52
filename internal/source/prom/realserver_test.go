package prom

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/series"
)

// These tests check this package's grid and error handling against the real
// servers when their binaries are installed. The shared contract suite
// (loaded data, both servers, every source) lives with the test rig.

// startPrometheus and startVictoriaMetrics start empty real servers with
// the test rig (skipped outside CI when the binary is missing, failed
// under CI=true).
func startPrometheus(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("real server tests are skipped with -short")
	}
	return testrig.Prometheus(t, nil).URL
}

func startVictoriaMetrics(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("real server tests are skipped with -short")
	}
	return testrig.VictoriaMetrics(t, nil).URL
}

// TestRealServersReturnEveryGridPointOnce queries time() — whose value at
// each point is its own timestamp — over 30 days at 1m, which needs four
// windows, from an aligned and an unaligned start. VictoriaMetrics rounds an
// unaligned start down to a multiple of the step when a window has 50 points
// or more (unless nocache=1): without QueryRange's own alignment, 30 days
// from 00:00:10 came back from VictoriaMetrics 1.79.5 as 43,196 points with
// three 2-minute holes at window borders.
func TestRealServersReturnEveryGridPointOnce(t *testing.T) {
	servers := map[string]func(*testing.T) string{"Prometheus": startPrometheus, "VictoriaMetrics": startVictoriaMetrics}
	for name, start := range servers {
		t.Run(name, func(t *testing.T) {
			url := start(t)
			tests := []struct {
				name      string
				start     time.Time
				maxPoints int
				noCache   bool
				first     time.Time
				points    int
			}{
				{"thirty days from an aligned start", t0, 0, false, t0, 43201},
				{"thirty days from an unaligned start", t0.Add(10 * time.Second), 0, false, t0.Add(time.Minute), 43200},
				{"an unaligned start with a last window under 50 points", t0.Add(10 * time.Second), 10795, false, t0.Add(time.Minute), 43200},
				{"an unaligned start with nocache", t0.Add(10 * time.Second), 0, true, t0.Add(time.Minute), 43200},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					var mu sync.Mutex
					var calls [][2]int
					c := newClient(t, Config{URL: url, MaxPointsPerQuery: tt.maxPoints, NoCache: tt.noCache, Progress: func(done, planned int) {
						mu.Lock()
						defer mu.Unlock()
						calls = append(calls, [2]int{done, planned})
					}})
					res, err := c.QueryRange(context.Background(), source.Query{Expr: "time()", Start: tt.start, End: t0.Add(30 * day), Step: time.Minute})
					require.NoError(t, err)
					// Progress: the plan first (none answered), then one
					// call per request answered, ending with all of them.
					// (Requests run concurrently: their calls may arrive in
					// any order.)
					require.GreaterOrEqual(t, len(calls), 2)
					require.Equal(t, 0, calls[0][0])
					done := 0
					for _, c := range calls {
						done = max(done, c[0])
						require.Equal(t, len(calls)-1, c[1], "the plan: one call per request")
					}
					require.Equal(t, len(calls)-1, done, "every planned request answered")
					require.Len(t, res.Series, 1)
					s := res.Series[0]
					require.Equal(t, tt.points, s.Len())
					for i, ts := range s.Timestamps {
						require.Equal(t, tt.first.UnixMilli()+int64(i)*60_000, ts, "timestamp %d", i)
						require.Equal(t, float64(ts/1000), s.Values[i], "value %d", i)
					}
				})
			}
		})
	}
}

// TestRealServersRejectBadQueries checks that each server's own message
// reaches the error, and Prometheus's 11,000-point limit.
func TestRealServersRejectBadQueries(t *testing.T) {
	t.Run("Prometheus", func(t *testing.T) {
		url := startPrometheus(t)
		c := newClient(t, Config{URL: url})
		_, err := c.QueryRange(context.Background(), source.Query{Expr: "rate(m[5m]", Start: t0, End: t0.Add(time.Hour), Step: time.Minute})
		require.ErrorIs(t, err, ErrBadQuery)
		require.Contains(t, err.Error(), "400 Bad Request: 1:11: parse error: unclosed left parenthesis")

		for _, maxPoints := range []int{11001, 11002} {
			c := newClient(t, Config{URL: url, MaxPointsPerQuery: maxPoints})
			_, err := c.QueryRange(context.Background(), source.Query{Expr: "time()", Start: t0, End: t0.Add(30 * day), Step: time.Minute})
			if maxPoints == 11001 {
				require.NoError(t, err, "Prometheus accepts 11,001 points")
			} else {
				require.ErrorIs(t, err, ErrBadQuery)
				require.Contains(t, err.Error(), "exceeded maximum resolution of 11,000 points per timeseries")
			}
		}
	})
	t.Run("VictoriaMetrics", func(t *testing.T) {
		url := startVictoriaMetrics(t)
		c := newClient(t, Config{URL: url})
		_, err := c.QueryRange(context.Background(), source.Query{Expr: "rate(m[5m]", Start: t0, End: t0.Add(time.Hour), Step: time.Minute})
		require.ErrorIs(t, err, ErrBadQuery)
		require.Contains(t, err.Error(), "422 Unprocessable Entity: error when executing query=\"rate(m[5m]\"")
	})
}

// TestVictoriaMetricsReturnsLoadedSamplesExactly imports one-minute samples
// and reads them back at step 1m, the plain-selector case omen relies on.
func TestVictoriaMetricsReturnsLoadedSamplesExactly(t *testing.T) {
	url := startVictoriaMetrics(t)
	const n = 2 * 1440
	want := make([]float64, n)
	loaded := series.Series{Labels: series.New("__name__", "disk_used", "mount", "/")}
	for i := range n {
		want[i] = float64(i%97) * 1.25
		loaded.Timestamps = append(loaded.Timestamps, t0.UnixMilli()+int64(i)*60_000)
		loaded.Values = append(loaded.Values, want[i])
	}
	ctx := context.Background()
	require.NoError(t, testrig.ImportVictoriaMetrics(ctx, url, []series.Series{loaded}))
	require.NoError(t, testrig.FlushVictoriaMetrics(ctx, url))

	c := newClient(t, Config{URL: url, MaxPointsPerQuery: 1000})
	res, err := c.QueryRange(context.Background(), source.Query{Expr: "disk_used", Start: t0, End: t0.Add((n - 1) * time.Minute), Step: time.Minute})
	require.NoError(t, err)
	require.Len(t, res.Series, 1)
	require.Equal(t, "disk_used", res.Series[0].Labels.Name())
	require.Equal(t, want, res.Series[0].Values)
	require.Equal(t, t0.UnixMilli(), res.Series[0].First())
}
