package anomaly

import (
	"slices"
)

// Day is one day in milliseconds.
const Day = int64(24 * 60 * 60 * 1000)

// cadence learns the sampling step of a series from its first timestamps
// (the median of the first steps) and derives the daily period in samples.
type cadence struct {
	first  []int64
	step   int64
	period int
	done   bool
	need   int
	maxP   int
}

func newCadence(need, maxPeriod int) cadence {
	return cadence{need: need, maxP: maxPeriod}
}

// observe records t; once need+1 timestamps are seen the step is fixed.
func (c *cadence) observe(t int64) {
	if c.done {
		return
	}
	c.first = append(c.first, t)
	if len(c.first) <= c.need {
		return
	}
	d := make([]int64, 0, len(c.first)-1)
	for i := 1; i < len(c.first); i++ {
		if s := c.first[i] - c.first[i-1]; s > 0 {
			d = append(d, s)
		}
	}
	c.done = true
	c.first = nil
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	c.step = d[len(d)/2]
	if c.step > 0 && Day%c.step == 0 {
		if p := int(Day / c.step); p >= 4 && p <= c.maxP {
			c.period = p
		}
	}
}

// phaseOf returns the position of t in a cycle of the given period, in
// steps.
func (c *cadence) phaseOf(t int64, period int) int {
	k := t / c.step
	if t < 0 && t%c.step != 0 {
		k--
	}
	p := int(k % int64(period))
	if p < 0 {
		p += period
	}
	return p
}
