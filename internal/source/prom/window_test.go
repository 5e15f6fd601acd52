package prom

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestChooseStep(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name  string
		rng   time.Duration
		want  time.Duration
		check bool // also check the 5,000-point bound and minimality
	}{
		{"an empty range gets the smallest step", 0, 15 * time.Second, false},
		{"a reversed range gets the smallest step", -time.Hour, 15 * time.Second, false},
		{"one hour gets 15s", time.Hour, 15 * time.Second, true},
		{"exactly 4999 steps of 15s still fits", 4999 * 15 * time.Second, 15 * time.Second, true},
		{"one step more than 4999 of 15s moves to 30s", 5000 * 15 * time.Second, 30 * time.Second, true},
		{"one day gets 30s", day, 30 * time.Second, true},
		{"seven days get 5m", 7 * day, 5 * time.Minute, true},
		{"thirty days get 10m", 30 * day, 10 * time.Minute, true},
		{"one year gets 2h", 365 * day, 2 * time.Hour, true},
		{"4999 days get 1d", 4999 * day, day, true},
		{"9998 days fit in 5000 points of 2d", 9998 * day, 2 * day, false},
		{"10000 days need 3d", 10000 * day, 3 * day, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ChooseStep(t0, t0.Add(tt.rng))
			require.Equal(t, tt.want, got)
			points := func(s time.Duration) int { return int(tt.rng/s) + 1 }
			require.LessOrEqual(t, points(got), MaxChosenPoints)
			if tt.check && got > niceSteps[0] {
				for i, s := range niceSteps {
					if s == got {
						require.Greater(t, points(niceSteps[i-1]), MaxChosenPoints, "a smaller nice step would fit")
					}
				}
			}
		})
	}
}

func TestWindows(t *testing.T) {
	tests := []struct {
		name      string
		end       time.Time
		step      time.Duration
		maxPoints int
		want      []Window
	}{
		{"a reversed range has no windows", t0.Add(-time.Second), time.Minute, 10, nil},
		{"a single instant is one point", t0, time.Minute, 10, []Window{{t0, t0, 1}}},
		{"an end off the grid is not a point", t0.Add(150 * time.Second), time.Minute, 10,
			[]Window{{t0, t0.Add(2 * time.Minute), 3}}},
		{"points fitting exactly make one window", t0.Add(9 * time.Minute), time.Minute, 10,
			[]Window{{t0, t0.Add(9 * time.Minute), 10}}},
		{"one point more makes a second window one step later", t0.Add(10 * time.Minute), time.Minute, 10,
			[]Window{{t0, t0.Add(9 * time.Minute), 10}, {t0.Add(10 * time.Minute), t0.Add(10 * time.Minute), 1}}},
		{"maxPoints below one means the default", t0.Add(11000 * time.Minute), time.Minute, 0,
			[]Window{{t0, t0.Add(10999 * time.Minute), 11000}, {t0.Add(11000 * time.Minute), t0.Add(11000 * time.Minute), 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, Windows(t0, tt.end, tt.step, tt.maxPoints))
		})
	}
	t.Run("thirty days at one minute are 43,201 points in four windows", func(t *testing.T) {
		ws := Windows(t0, t0.Add(30*24*time.Hour), time.Minute, DefaultMaxPointsPerQuery)
		require.Len(t, ws, 4)
		checkWindows(t, t0, t0.Add(30*24*time.Hour), time.Minute, 11000, ws)
	})
	t.Run("a non-positive step panics", func(t *testing.T) {
		require.Panics(t, func() { Windows(t0, t0, 0, 10) })
	})
}

// TestWindowsProperty checks on random ranges, steps and limits that the
// windows cover the grid exactly once, in order, each within the limit.
func TestWindowsProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		step := time.Duration(1+rng.IntN(3600_000)) * time.Millisecond
		points := rng.IntN(50_000)
		end := t0.Add(time.Duration(points)*step + time.Duration(rng.Int64N(int64(step))))
		start := t0.Add(time.Duration(rng.IntN(1000)) * time.Millisecond)
		maxPoints := 1 + rng.IntN(12_000)
		checkWindows(t, start, end, step, maxPoints, Windows(start, end, step, maxPoints))
	}
}

// FuzzWindows checks the same properties on fuzzed inputs.
func FuzzWindows(f *testing.F) {
	f.Add(int64(0), int64(30*24*3600_000), int64(60_000), 11000)
	f.Add(int64(17), int64(17), int64(1), 1)
	f.Add(int64(1000), int64(999), int64(5), 3)
	f.Add(int64(-5000), int64(123_456), int64(7_000), 4)
	f.Fuzz(func(t *testing.T, startMs, spanMs, stepMs int64, maxPoints int) {
		if stepMs <= 0 || spanMs < -1e12 || spanMs > 1e12 || stepMs > 1e12 || spanMs/stepMs > 200_000 {
			t.Skip()
		}
		if maxPoints < 1 || maxPoints > 1e6 {
			t.Skip()
		}
		start := time.UnixMilli(startMs % 1e13)
		end := start.Add(time.Duration(spanMs) * time.Millisecond)
		step := time.Duration(stepMs) * time.Millisecond
		checkWindows(t, start, end, step, maxPoints, Windows(start, end, step, maxPoints))
	})
}

// checkWindows asserts that ws are the grid start+k·step ≤ end split into
// consecutive windows of at most maxPoints points: their union is the whole
// grid, without overlaps or gaps.
func checkWindows(t testing.TB, start, end time.Time, step time.Duration, maxPoints int, ws []Window) {
	t.Helper()
	if end.Before(start) {
		require.Empty(t, ws)
		return
	}
	want := int(end.Sub(start)/step) + 1
	next := start // the next grid point not yet covered
	total := 0
	for i, w := range ws {
		require.True(t, w.Start.Equal(next), "window %d starts at %s, want %s", i, w.Start, next)
		require.GreaterOrEqual(t, w.Points, 1)
		require.LessOrEqual(t, w.Points, maxPoints)
		if i < len(ws)-1 {
			require.Equal(t, maxPoints, w.Points, "only the last window may be short")
		}
		require.True(t, w.End.Equal(w.Start.Add(time.Duration(w.Points-1)*step)), "window %d end", i)
		require.False(t, w.End.After(end), "window %d ends after the range", i)
		total += w.Points
		next = w.End.Add(step)
	}
	require.Equal(t, want, total, "points covered")
	require.True(t, next.After(end), "the grid point after the last window is inside the range")
}
