package series

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"
)

// ErrUnsorted is returned by Validate when timestamps do not strictly increase.
var ErrUnsorted = errors.New("series: timestamps not strictly increasing")

// ErrLength is returned by Validate when Timestamps and Values differ in length.
var ErrLength = errors.New("series: timestamps and values differ in length")

// Series is one labelled time series. Timestamps are Unix milliseconds in
// strictly increasing order; Values has the same length, NaN for a missing
// sample.
type Series struct {
	Labels     Labels
	Timestamps []int64
	Values     []float64
}

// Len returns the number of samples.
func (s Series) Len() int { return len(s.Timestamps) }

// Validate checks the invariants of s: equal lengths and strictly
// increasing timestamps. The error names the first offending index.
func (s Series) Validate() error {
	if len(s.Timestamps) != len(s.Values) {
		return fmt.Errorf("%s: %w (%d timestamps, %d values)", s.Labels, ErrLength, len(s.Timestamps), len(s.Values))
	}
	for i := 1; i < len(s.Timestamps); i++ {
		if s.Timestamps[i] <= s.Timestamps[i-1] {
			return fmt.Errorf("%s: %w at sample %d (%d after %d)", s.Labels, ErrUnsorted, i, s.Timestamps[i], s.Timestamps[i-1])
		}
	}
	return nil
}

// Clone returns a deep copy of s.
func (s Series) Clone() Series {
	return Series{
		Labels:     slices.Clone(s.Labels),
		Timestamps: slices.Clone(s.Timestamps),
		Values:     slices.Clone(s.Values),
	}
}

// First returns the first timestamp, or 0 for an empty series.
func (s Series) First() int64 {
	if len(s.Timestamps) == 0 {
		return 0
	}
	return s.Timestamps[0]
}

// Last returns the last timestamp, or 0 for an empty series.
func (s Series) Last() int64 {
	if len(s.Timestamps) == 0 {
		return 0
	}
	return s.Timestamps[len(s.Timestamps)-1]
}

// Slice returns the samples with start <= t <= end, sharing memory with s.
func (s Series) Slice(start, end int64) Series {
	i := sort.Search(len(s.Timestamps), func(i int) bool { return s.Timestamps[i] >= start })
	j := sort.Search(len(s.Timestamps), func(i int) bool { return s.Timestamps[i] > end })
	if j < i {
		j = i
	}
	return Series{Labels: s.Labels, Timestamps: s.Timestamps[i:j:j], Values: s.Values[i:j:j]}
}

// AsOf returns the samples at or before at (Unix ms), sharing memory with s.
// It is how every analysis is limited to the data known at an instant.
func (s Series) AsOf(at int64) Series {
	return s.Slice(math.MinInt64, at)
}

// Sort orders a slice of series by their label sets.
func Sort(ss []Series) {
	slices.SortStableFunc(ss, func(a, b Series) int { return a.Labels.Compare(b.Labels) })
}

// Merge combines series with equal label sets into one, their samples in
// time order. When two samples share a timestamp the later one in ss wins,
// so no sample is duplicated (a border sample shared by two windows appears
// once). The result is sorted by labels. A label set found once is returned
// as it is, sharing memory with ss; ss itself is not modified.
//
// Series are grouped by Labels.Fingerprint in one pass, so the cost is
// linear in the number of series and samples, plus the sort of the result.
func Merge(ss []Series) []Series {
	return merge(ss, Labels.Fingerprint)
}

// merge is Merge with the fingerprint function as a parameter, so that
// tests can force collisions.
func merge(ss []Series, fingerprint func(Labels) uint64) []Series {
	// group[i] is the group of ss[i]; head[g] the first series of group g;
	// chain[g] the next group with the same fingerprint, or -1.
	group := make([]int32, len(ss))
	var head, chain []int32
	count := make([]int32, 0, len(ss))
	byFP := make(map[uint64]int32, len(ss))
	for i := range ss {
		fp := fingerprint(ss[i].Labels)
		g, ok := byFP[fp]
		for ok && !ss[head[g]].Labels.Equal(ss[i].Labels) {
			if chain[g] < 0 {
				ok = false
				break
			}
			g = chain[g]
		}
		if !ok {
			g = int32(len(head))
			head = append(head, int32(i))
			count = append(count, 0)
			if first, seen := byFP[fp]; seen {
				chain = append(chain, chain[first])
				chain[first] = g
			} else {
				chain = append(chain, -1)
				byFP[fp] = g
			}
		}
		group[i] = g
		count[g]++
	}
	if len(head) == len(ss) {
		out := make([]Series, len(ss)) // never nil, as before
		copy(out, ss)
		sortUnique(out)
		return out
	}

	// The members of group g, in input order, are at
	// members[offset[g]:offset[g+1]]: a counting sort of the indices.
	offset := make([]int32, len(head)+1)
	for g, n := range count {
		offset[g+1] = offset[g] + n
	}
	members := make([]Series, len(ss))
	fill := slices.Clone(offset[:len(head)])
	for i, g := range group {
		members[fill[g]] = ss[i]
		fill[g]++
	}
	out := make([]Series, len(head))
	for g := range out {
		out[g] = mergeParts(members[offset[g]:offset[g+1]])
	}
	sortUnique(out)
	return out
}

// sortUnique sorts series whose label sets are all different, so that a
// stable sort is not needed. Servers return their series sorted, which
// is checked first.
func sortUnique(ss []Series) {
	cmp := func(a, b Series) int { return a.Labels.Compare(b.Labels) }
	if !slices.IsSortedFunc(ss, cmp) {
		slices.SortFunc(ss, cmp)
	}
}

// mergeParts merges the parts of one label set: a later part wins on a
// shared timestamp.
func mergeParts(parts []Series) Series {
	if len(parts) == 1 {
		return parts[0]
	}
	for _, p := range parts {
		if !increasing(p.Timestamps) || len(p.Values) != len(p.Timestamps) {
			return mergeUnsorted(parts)
		}
	}
	return mergeSorted(parts)
}

// increasing reports whether ts is strictly increasing.
func increasing(ts []int64) bool {
	for i := 1; i < len(ts); i++ {
		if ts[i] <= ts[i-1] {
			return false
		}
	}
	return true
}

// mergeSorted merges parts whose timestamps strictly increase, halving the
// list so that each sample is copied O(log len(parts)) times. The later half
// wins on a shared timestamp, as the later part does.
func mergeSorted(parts []Series) Series {
	if len(parts) == 1 {
		return parts[0]
	}
	mid := len(parts) / 2
	a, b := mergeSorted(parts[:mid]), mergeSorted(parts[mid:])
	n := a.Len() + b.Len()
	out := Series{Labels: parts[0].Labels, Timestamps: make([]int64, 0, n), Values: make([]float64, 0, n)}
	i, j := 0, 0
	if a.Len() > 0 && b.Len() > 0 && a.Last() <= b.First() {
		// Adjacent windows: a before b, sharing at most the border sample,
		// which b wins.
		k := a.Len()
		if a.Last() == b.First() {
			k--
		}
		out.Timestamps = append(append(out.Timestamps, a.Timestamps[:k]...), b.Timestamps...)
		out.Values = append(append(out.Values, a.Values[:k]...), b.Values...)
		return out
	}
	for i < a.Len() && j < b.Len() {
		switch ta, tb := a.Timestamps[i], b.Timestamps[j]; {
		case ta < tb:
			out.Timestamps = append(out.Timestamps, ta)
			out.Values = append(out.Values, a.Values[i])
			i++
		case tb < ta:
			out.Timestamps = append(out.Timestamps, tb)
			out.Values = append(out.Values, b.Values[j])
			j++
		default: // the later part wins
			out.Timestamps = append(out.Timestamps, tb)
			out.Values = append(out.Values, b.Values[j])
			i++
			j++
		}
	}
	out.Timestamps = append(append(out.Timestamps, a.Timestamps[i:]...), b.Timestamps[j:]...)
	out.Values = append(append(out.Values, a.Values[i:]...), b.Values[j:]...)
	return out
}

// mergeUnsorted merges parts of which some are not in time order: every
// sample is sorted by time, a later part (and a later sample in one part)
// winning on a shared timestamp.
func mergeUnsorted(parts []Series) Series {
	type sample struct {
		t   int64
		v   float64
		src int
	}
	n := 0
	for _, p := range parts {
		n += p.Len()
	}
	all := make([]sample, 0, n)
	for k, p := range parts {
		for i := range min(len(p.Timestamps), len(p.Values)) {
			all = append(all, sample{p.Timestamps[i], p.Values[i], k})
		}
	}
	slices.SortStableFunc(all, func(a, b sample) int {
		switch {
		case a.t < b.t:
			return -1
		case a.t > b.t:
			return 1
		}
		return a.src - b.src
	})
	out := Series{Labels: parts[0].Labels, Timestamps: make([]int64, 0, n), Values: make([]float64, 0, n)}
	for i, s := range all {
		if i+1 < len(all) && all[i+1].t == s.t {
			continue // a later part has the same timestamp: keep that one
		}
		out.Timestamps = append(out.Timestamps, s.t)
		out.Values = append(out.Values, s.v)
	}
	return out
}

// Range is a regular time grid: Start, Start+Step, … up to and including End
// when it falls on the grid. Times are Unix milliseconds.
type Range struct {
	Start, End int64
	Step       int64
}

// NewRange builds a Range from times and a step.
func NewRange(start, end time.Time, step time.Duration) Range {
	return Range{Start: start.UnixMilli(), End: end.UnixMilli(), Step: step.Milliseconds()}
}

// Points returns the number of grid points, 0 when the range is empty or
// the step is not positive.
func (r Range) Points() int {
	if r.Step <= 0 || r.End < r.Start {
		return 0
	}
	return int((r.End-r.Start)/r.Step) + 1
}

// Timestamps appends the grid's timestamps to dst and returns it.
func (r Range) Timestamps(dst []int64) []int64 {
	n := r.Points()
	dst = slices.Grow(dst[:0], n)
	for i := range n {
		dst = append(dst, r.Start+int64(i)*r.Step)
	}
	return dst
}

// Align resamples s onto the grid r and writes the values to dst, which is
// grown or allocated as needed (nil allocates). Grid point t takes the value
// of the last sample in [t-lookback, t]; with lookback <= 0 it takes Step.
// A point with no such sample, or whose sample is NaN, is NaN. This is the
// instant-vector lookback rule of Prometheus 2.x and VictoriaMetrics, both
// ends included, so a file aligned here matches what their query_range
// returns for a plain selector. (Prometheus 3 excludes the left end.)
func Align(dst []float64, s Series, r Range, lookback int64) []float64 {
	n := r.Points()
	if cap(dst) < n {
		dst = make([]float64, n)
	}
	dst = dst[:n]
	if lookback <= 0 {
		lookback = r.Step
	}
	j := 0 // index of the first sample after the current grid point
	for i := range n {
		t := r.Start + int64(i)*r.Step
		for j < len(s.Timestamps) && s.Timestamps[j] <= t {
			j++
		}
		if j == 0 || s.Timestamps[j-1] < t-lookback {
			dst[i] = math.NaN()
			continue
		}
		dst[i] = s.Values[j-1]
	}
	return dst
}

// Regular returns s resampled on r as a new series with the grid's
// timestamps; see Align.
func Regular(s Series, r Range, lookback int64) Series {
	return Series{Labels: s.Labels, Timestamps: r.Timestamps(nil), Values: Align(nil, s, r, lookback)}
}

// Gap is a stretch of missing data: the samples at From and To exist (or
// are the range edges) and nothing usable lies strictly between them.
type Gap struct {
	From, To int64
}

// Duration returns the length of the gap.
func (g Gap) Duration() time.Duration { return time.Duration(g.To-g.From) * time.Millisecond }

// Gaps returns the stretches where consecutive non-NaN samples are more
// than tolerance*step apart (tolerance below 1 is taken as 1.5). NaN
// samples count as missing.
func Gaps(s Series, step int64, tolerance float64) []Gap {
	if tolerance < 1 {
		tolerance = 1.5
	}
	limit := int64(float64(step) * tolerance)
	var gaps []Gap
	prev := int64(math.MinInt64)
	for i, t := range s.Timestamps {
		if math.IsNaN(s.Values[i]) {
			continue
		}
		if prev != math.MinInt64 && t-prev > limit {
			gaps = append(gaps, Gap{From: prev, To: t})
		}
		prev = t
	}
	return gaps
}

// Step estimates the sampling interval of s as the median difference of
// consecutive timestamps; 0 when there are fewer than two samples.
func Step(s Series) int64 {
	if len(s.Timestamps) < 2 {
		return 0
	}
	d := make([]int64, len(s.Timestamps)-1)
	for i := range d {
		d[i] = s.Timestamps[i+1] - s.Timestamps[i]
	}
	slices.Sort(d)
	return d[len(d)/2]
}
