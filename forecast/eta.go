package forecast

import (
	"math"
	"time"

	"github.com/omenhq/omen/series"
)

// Crossing is the time to the first crossing of a limit, in forecast steps,
// as three quantiles. A step s means the crossing happens s steps after the
// last observation; it is fractional, interpolated linearly between the
// forecast steps around the crossing (a crossing already at step 1 is 1).
// A nil field means that quantile path does not cross within the horizon.
type Crossing struct {
	// P10 is the early, plausible crossing: the 90% quantile path for Up
	// (the 10% quantile path for Down).
	P10 *float64
	// P50 is the crossing of the mean path.
	P50 *float64
	// P90 is the late crossing: the 10% quantile path for Up (the 90%
	// quantile path for Down).
	P90 *float64
	// Limit and Direction are the arguments of ETA.
	Limit     float64
	Direction series.Direction
}

// ETA returns the first crossing of limit in direction dir by the forecast
// fc: P50 from the mean path, P10 and P90 from the 10% and 90% quantile
// paths. When fc.Level is not 0.8 the quantile paths are obtained by scaling
// the half-widths of the interval by z(0.8)/z(fc.Level), a normal
// approximation. A mean path that is NaN at a step never crosses there.
// The quantile of a first-passage time is approximated by the first passage
// of the quantile path, which is exact when the paths are monotone (steady
// growth to a limit — the disk-full case) and otherwise optimistic for P10
// and pessimistic for P90.
func ETA(fc *Forecast, limit float64, dir series.Direction) Crossing {
	c := Crossing{Limit: limit, Direction: dir}
	if fc == nil || len(fc.Mean) == 0 || (dir != series.Up && dir != series.Down) {
		return c
	}
	scale := 1.0
	if lv := fc.Level; lv > 0 && lv < 1 && math.Abs(lv-0.8) > 1e-12 {
		scale = zQuantile(0.8) / zQuantile(lv)
	}
	mean := func(i int) float64 { return fc.Mean[i] }
	hi := func(i int) float64 {
		if i >= len(fc.Upper) {
			return math.NaN()
		}
		return fc.Mean[i] + scale*(fc.Upper[i]-fc.Mean[i])
	}
	lo := func(i int) float64 {
		if i >= len(fc.Lower) {
			return math.NaN()
		}
		return fc.Mean[i] - scale*(fc.Mean[i]-fc.Lower[i])
	}
	h := len(fc.Mean)
	c.P50 = firstCrossing(mean, h, limit, dir)
	if dir == series.Up {
		c.P10 = firstCrossing(hi, h, limit, dir)
		c.P90 = firstCrossing(lo, h, limit, dir)
	} else {
		c.P10 = firstCrossing(lo, h, limit, dir)
		c.P90 = firstCrossing(hi, h, limit, dir)
	}
	return c
}

// firstCrossing returns the fractional step of the first crossing of path
// (steps 1..h) or nil.
func firstCrossing(path func(int) float64, h int, limit float64, dir series.Direction) *float64 {
	crossed := func(v float64) bool {
		if dir == series.Up {
			return v >= limit
		}
		return v <= limit
	}
	prev := math.NaN()
	for i := range h {
		v := path(i)
		if math.IsNaN(v) {
			prev = v
			continue
		}
		if crossed(v) {
			s := float64(i + 1)
			if i > 0 && !math.IsNaN(prev) && v != prev {
				s = float64(i) + (limit-prev)/(v-prev)
			}
			return &s
		}
		prev = v
	}
	return nil
}

// Durations converts the steps of c into durations for a sampling step;
// nil stays nil.
func (c Crossing) Durations(step time.Duration) (p10, p50, p90 *time.Duration) {
	conv := func(s *float64) *time.Duration {
		if s == nil {
			return nil
		}
		d := time.Duration(*s * float64(step))
		return &d
	}
	return conv(c.P10), conv(c.P50), conv(c.P90)
}
