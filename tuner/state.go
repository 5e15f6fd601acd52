package tuner

import "time"

// grid is the evaluation instants of one rule: first + k·step for
// k = 0 … n-1, in Unix milliseconds.
type grid struct {
	first, step int64
	n           int
}

// newGrid returns the instants of [start, end] that are multiples of
// interval since the Unix epoch, as vmalert's replay evaluates a group
// (a live Prometheus offsets each group by a hash of its name instead).
func newGrid(start, end time.Time, interval time.Duration) grid {
	step := interval.Milliseconds()
	if step <= 0 {
		panic("tuner: evaluation interval below one millisecond")
	}
	first := ceilDiv(start.UnixMilli(), step) * step
	last := end.UnixMilli()
	g := grid{first: first, step: step}
	if last >= first {
		g.n = int((last-first)/step) + 1
	}
	return g
}

// at returns the instant of index k.
func (g grid) at(k int) int64 { return g.first + int64(k)*g.step }

// last returns the last instant; g.first-g.step when there is none.
func (g grid) last() int64 { return g.first + int64(g.n-1)*g.step }

// time returns the instant of index k as a time in UTC.
func (g grid) time(k int) time.Time { return time.UnixMilli(g.at(k)).UTC() }

// index returns the index of the instant t and whether t is one.
func (g grid) index(t int64) (int, bool) {
	d := t - g.first
	if d < 0 || d%g.step != 0 {
		return 0, false
	}
	k := d / g.step
	if k >= int64(g.n) {
		return 0, false
	}
	return int(k), true
}

func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a > 0) == (b > 0) {
		q++
	}
	return q
}

// span is one firing found by the state machine, in grid indices: the
// pending period began at active, the alert fired at fired and was resolved
// at resolved (-1 when still firing after the last instant).
type span struct {
	active, fired, resolved int
}

// timing holds a rule's `for` and `keep_firing_for` in milliseconds.
type timing struct {
	hold, keep int64
}

// bitset marks grid indices.
type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) set(i int)      { b[i>>6] |= 1 << (uint(i) & 63) }
func (b bitset) has(i int) bool { return b != nil && b[i>>6]&(1<<(uint(i)&63)) != 0 }

// alertSpans runs Prometheus's alerting state machine (rules/alerting.go,
// AlertingRule.Eval, 2.42 and later) for one alert label set over the grid
// g, starting inactive at the first instant. present holds, in increasing
// order without duplicates, the indices at which the rule's expression
// returned the label set; skip marks instants at which the evaluation
// failed (the rule's result had two series with one label set), where
// Prometheus leaves every alert as it was. It appends the firings to dst.
//
// At each evaluation at ts: a label set returned while inactive becomes
// pending with ActiveAt = ts; a pending alert with ts − ActiveAt ≥ for
// fires (at once when for is 0); a pending alert not returned is dropped; a
// firing alert not returned keeps firing while ts − KeepFiringSince <
// keep_firing_for, KeepFiringSince being the first evaluation it was
// missing (reset whenever it is returned again), and is otherwise resolved
// at ts.
func alertSpans(dst []span, g grid, present []int32, skip bitset, t timing) []span {
	const (
		inactive = iota
		pending
		firing
	)
	state := inactive
	var active, fired, keepSince int
	p := 0 // next index into present
	k := 0
	for k < g.n {
		if state == inactive {
			if p >= len(present) {
				break
			}
			k = int(present[p]) // nothing happens until the label set is returned
		}
		for p < len(present) && int(present[p]) < k {
			p++
		}
		if skip.has(k) {
			if p < len(present) && int(present[p]) == k {
				p++ // returned, but the evaluation failed
			}
			k++
			continue
		}
		here := p < len(present) && int(present[p]) == k
		ts := g.at(k)
		if here {
			p++
			if state == inactive {
				state, active = pending, k
			}
			keepSince = -1
		} else {
			keep := false
			if state == firing && t.keep > 0 {
				if keepSince < 0 {
					keepSince = k
				}
				keep = ts-g.at(keepSince) < t.keep
			}
			if !keep {
				if state == firing {
					dst = append(dst, span{active: active, fired: fired, resolved: k})
				}
				state = inactive
				k++
				continue
			}
		}
		if state == pending && ts-g.at(active) >= t.hold {
			state, fired = firing, k
		}
		k++
	}
	if state == firing {
		dst = append(dst, span{active: active, fired: fired, resolved: -1})
	}
	return dst
}
