package source

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestGridStart(t *testing.T) {
	t0 := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		start, end time.Time
		step       time.Duration
		want       time.Time
	}{
		{"an aligned start stays", t0, t0.Add(time.Hour), time.Minute, t0},
		{"a start inside a step moves to the next multiple", t0.Add(10 * time.Second), t0.Add(time.Hour), time.Minute, t0.Add(time.Minute)},
		{"sub-millisecond parts are dropped first", t0.Add(500 * time.Microsecond), t0.Add(time.Second), time.Millisecond, t0},
		{"times before 1970 align too", time.UnixMilli(-90_000), time.UnixMilli(0), time.Minute, time.UnixMilli(-60_000)},
		{"odd steps align to their own multiples", time.UnixMilli(1_000_001), time.UnixMilli(2_000_000), 7 * time.Millisecond, time.UnixMilli(1_000_006)},
		{"a single instant off the grid is its own grid", t0.Add(37 * time.Second), t0.Add(37 * time.Second), time.Minute, t0.Add(37 * time.Second)},
		{"a single instant keeps only its milliseconds", t0.Add(37*time.Second + 1500*time.Microsecond), t0.Add(37*time.Second + 1500*time.Microsecond), time.Minute, t0.Add(37*time.Second + time.Millisecond)},
		{"a range shorter than a step between multiples is evaluated at its end", t0.Add(10 * time.Second), t0.Add(50 * time.Second), time.Minute, t0.Add(50 * time.Second)},
		{"a range holding one multiple starts there", t0.Add(50 * time.Second), t0.Add(70 * time.Second), time.Minute, t0.Add(time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := GridStart(tt.start, tt.end, tt.step)
			require.True(t, tt.want.Equal(got), "got %s", got)
		})
	}
	t.Run("a step that is not a positive number of milliseconds is a programmer error", func(t *testing.T) {
		require.Panics(t, func() { GridStart(t0, t0, 0) })
		require.Panics(t, func() { GridStart(t0, t0, time.Microsecond) })
	})
}

func TestGridStartOfTheLiveInstant(t *testing.T) {
	now := time.Date(2026, 12, 1, 23, 16, 39, 666_570_362, time.UTC)
	require.True(t, now.Truncate(time.Millisecond).Equal(GridStart(now, now, time.Minute)),
		"an instant with nanoseconds, as time.Now gives, is its own grid")
}
