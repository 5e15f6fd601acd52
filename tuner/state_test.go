package tuner

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// promEval is a literal port of Prometheus's AlertingRule.Eval state
// handling (rules/alerting.go, 2.42), one evaluation at a time over a map
// of active alerts: the oracle the state machine is checked against.
type promAlert struct {
	state                        int // 0 inactive, 1 pending, 2 firing
	activeAt, firedAt, keepSince int64
	hasKeepSince                 bool
	activeIdx, firedIdx          int
}

func promOracle(g grid, present map[int]bool, skip map[int]bool, t timing) []span {
	var out []span
	var a *promAlert
	for k := 0; k < g.n; k++ {
		if skip[k] {
			continue
		}
		ts := g.at(k)
		if present[k] {
			if a == nil || a.state == 0 {
				a = &promAlert{state: 1, activeAt: ts, activeIdx: k}
			}
		}
		if a == nil {
			continue
		}
		if !present[k] {
			keep := false
			if a.state == 2 && t.keep > 0 {
				if !a.hasKeepSince {
					a.keepSince, a.hasKeepSince = ts, true
				}
				keep = ts-a.keepSince < t.keep
			}
			if a.state == 1 {
				a = nil
				continue
			}
			if a.state != 0 && !keep {
				out = append(out, span{active: a.activeIdx, fired: a.firedIdx, resolved: k})
				a.state = 0
			}
			if !keep {
				continue
			}
		} else {
			a.hasKeepSince = false
		}
		if a.state == 1 && ts-a.activeAt >= t.hold {
			a.state, a.firedAt, a.firedIdx = 2, ts, k
		}
	}
	if a != nil && a.state == 2 {
		out = append(out, span{active: a.activeIdx, fired: a.firedIdx, resolved: -1})
	}
	return out
}

func TestAlertSpans(t *testing.T) {
	min := int64(time.Minute / time.Millisecond)
	g := grid{first: 0, step: min, n: 20}
	tests := []struct {
		name    string
		present []int32
		t       timing
		want    []span
	}{
		{"a rule without for fires at the first instant it returns the series", []int32{3, 4, 5}, timing{}, []span{{3, 3, 6}}},
		{"for 2m fires two instants after the pending period began", []int32{3, 4, 5, 6}, timing{hold: 2 * min}, []span{{3, 5, 7}}},
		{"a pending period shorter than for never fires", []int32{3, 4, 8, 9}, timing{hold: 2 * min}, nil},
		{"a gap of one instant restarts for", []int32{1, 2, 4, 5, 6}, timing{hold: 2 * min}, []span{{4, 6, 7}}},
		{"flapping without for gives one firing per run", []int32{1, 3, 5}, timing{}, []span{{1, 1, 2}, {3, 3, 4}, {5, 5, 6}}},
		{"keep_firing_for bridges a gap shorter than it", []int32{1, 2, 4, 5}, timing{keep: 2 * min}, []span{{1, 1, 8}}},
		{"keep_firing_for resolves exactly keep after the first missing instant", []int32{1}, timing{keep: 3 * min}, []span{{1, 1, 5}}},
		{"a firing still active at the end is unresolved", []int32{17, 18, 19}, timing{hold: time.Minute.Milliseconds()}, []span{{17, 18, -1}}},
		{"keep_firing_for past the end leaves it unresolved", []int32{18}, timing{keep: 5 * min}, []span{{18, 18, -1}}},
		{"keep_firing_for does not keep a pending alert", []int32{1, 2}, timing{hold: 5 * min, keep: 5 * min}, nil},
		{"nothing returned, nothing fires", nil, timing{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := alertSpans(nil, g, tt.present, nil, tt.t)
			require.Equal(t, tt.want, got)
			pm := map[int]bool{}
			for _, k := range tt.present {
				pm[int(k)] = true
			}
			require.Equal(t, tt.want, promOracle(g, pm, nil, tt.t), "the oracle disagrees with the table")
		})
	}
}

func TestAlertSpansMatchPrometheusOnRandomHistories(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	step := int64(60_000)
	for iter := range 3000 {
		n := 1 + rng.IntN(120)
		g := grid{first: 1_700_000_040_000, step: step, n: n}
		density := rng.Float64()
		pm := map[int]bool{}
		var present []int32
		for k := range n {
			if rng.Float64() < density {
				pm[k] = true
				present = append(present, int32(k))
			}
		}
		var skip bitset
		sm := map[int]bool{}
		if rng.IntN(4) == 0 {
			skip = newBitset(n)
			for range 1 + rng.IntN(5) {
				k := rng.IntN(n)
				skip.set(k)
				sm[k] = true
			}
		}
		tm := timing{hold: int64(rng.IntN(8)) * step, keep: int64(rng.IntN(6)) * step}
		if rng.IntN(3) == 0 {
			tm.hold += int64(rng.IntN(int(step))) // `for` off the interval
		}
		got := alertSpans(nil, g, present, skip, tm)
		want := promOracle(g, pm, sm, tm)
		require.Equal(t, want, got, fmt.Sprintf("iteration %d: present %v skip %v timing %+v", iter, present, sm, tm))
	}
}

func TestNewGridUsesMultiplesOfTheIntervalSinceTheEpoch(t *testing.T) {
	start := time.Date(2026, 1, 3, 10, 0, 30, 0, time.UTC)
	end := time.Date(2026, 1, 3, 10, 5, 0, 0, time.UTC)
	g := newGrid(start, end, time.Minute)
	require.Equal(t, 5, g.n)
	require.Equal(t, time.Date(2026, 1, 3, 10, 1, 0, 0, time.UTC), g.time(0))
	require.Equal(t, time.Date(2026, 1, 3, 10, 5, 0, 0, time.UTC), g.time(4))
	g = newGrid(start, start, time.Minute)
	require.Equal(t, 0, g.n, "no instant lies in a range of 30 seconds past a minute")
	g = newGrid(end, end, 5*time.Minute)
	require.Equal(t, 1, g.n, "an end on an instant is included")
}
