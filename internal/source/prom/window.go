package prom

import (
	"fmt"
	"time"
)

// MaxChosenPoints is the most points per series ChooseStep allows.
const MaxChosenPoints = 5000

// niceSteps are the steps ChooseStep picks from, smallest first.
var niceSteps = [...]time.Duration{
	15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// ChooseStep returns the step used for a query with Step 0: the smallest of
// 15s, 30s, 1m, 2m, 5m, 10m, 15m, 30m, 1h, 2h, 3h, 6h, 12h and 1d for which
// the grid over [start, end] has at most MaxChosenPoints (5,000) points,
// that is floor((end-start)/step)+1 ≤ 5000. A range too long even for 1d
// (over 4,999 days) gets the smallest whole number of days that fits. An
// empty or reversed range gets 15s. For example 1h → 15s, 1d → 30s,
// 7d → 5m, 30d → 10m, 1y → 2h.
func ChooseStep(start, end time.Time) time.Duration {
	d := end.Sub(start)
	if d <= 0 {
		return niceSteps[0]
	}
	for _, s := range niceSteps {
		if d/s+1 <= MaxChosenPoints {
			return s
		}
	}
	// The smallest k with floor(d/(k·day)) ≤ MaxChosenPoints-1.
	const day = 24 * time.Hour
	return (d/(MaxChosenPoints*day) + 1) * day
}

// Window is one request's share of a query's grid: the points Start,
// Start+step, …, End, Points of them.
type Window struct {
	Start, End time.Time
	Points     int
}

// String formats the window for messages.
func (w Window) String() string {
	return fmt.Sprintf("%s..%s (%d points)", w.Start.UTC().Format(time.RFC3339), w.End.UTC().Format(time.RFC3339), w.Points)
}

// Windows splits the grid start+k·step (k ≥ 0, start+k·step ≤ end) into
// consecutive windows of at most maxPoints points, in time order. Each
// window starts exactly one step after the previous window's last point, so
// every grid point lies in exactly one window. It returns nil when end is
// before start. A maxPoints below 1 is taken as DefaultMaxPointsPerQuery.
// It panics when step is not positive, which is a programmer error.
func Windows(start, end time.Time, step time.Duration, maxPoints int) []Window {
	if step <= 0 {
		panic(fmt.Sprintf("prom.Windows: step %s is not positive", step))
	}
	if end.Before(start) {
		return nil
	}
	if maxPoints < 1 {
		maxPoints = DefaultMaxPointsPerQuery
	}
	n := int(end.Sub(start)/step) + 1
	ws := make([]Window, 0, (n+maxPoints-1)/maxPoints)
	for first := 0; first < n; first += maxPoints {
		last := min(first+maxPoints, n) - 1
		ws = append(ws, Window{
			Start:  start.Add(time.Duration(first) * step),
			End:    start.Add(time.Duration(last) * step),
			Points: last - first + 1,
		})
	}
	return ws
}
