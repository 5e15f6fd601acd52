package source

import (
	"fmt"
	"time"
)

// GridStart returns the first instant of the evaluation grid of the range
// [start, end] at step: the first multiple of step since the Unix epoch at
// or after start, so that the same instants are asked whatever the range
// (VictoriaMetrics rounds a range of 50 points or more to multiples of the
// step anyway). When no multiple of step lies in the range — a range
// shorter than a step, such as the single instant of a lookup "as of now" —
// the grid is the single instant end: a lookup is evaluated at the instant
// asked for, never dropped. Both ends are first truncated to the
// millisecond, the servers' resolution. It panics when step is not a
// positive whole number of milliseconds, which is a programmer error.
func GridStart(start, end time.Time, step time.Duration) time.Time {
	if step <= 0 || step%time.Millisecond != 0 {
		panic(fmt.Sprintf("source.GridStart: step %s is not a positive whole number of milliseconds", step))
	}
	first := alignUp(start, step)
	start, end = start.Truncate(time.Millisecond), end.Truncate(time.Millisecond)
	if first.After(end) && !start.After(end) {
		return end
	}
	return first
}

// alignUp returns the first multiple of step (counted from the Unix epoch)
// at or after t, with t first truncated to the millisecond.
func alignUp(t time.Time, step time.Duration) time.Time {
	ms := t.UnixMilli()
	s := step.Milliseconds()
	r := ms % s
	if r < 0 {
		r += s
	}
	if r != 0 {
		ms += s - r
	}
	return time.UnixMilli(ms).In(t.Location())
}
