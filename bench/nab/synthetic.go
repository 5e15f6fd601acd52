package nab

import (
	"sort"
	"time"

	"github.com/omenhq/omen/anomaly"
	"github.com/omenhq/omen/fixtures"
)

// SyntheticCorpus returns fixtures.AnomalyCorpus(seed, cfg) as a Corpus:
// one category per anomaly kind, one window per anomaly (from its onset to
// 10% of the series later), none on the noise and daily kinds. The
// synthetic corpus is data no setting of omen's detector was chosen on
// (bench/ANOMALY-NOTES.md, round 3).
func SyntheticCorpus(seed uint64, cfg fixtures.AnomalyCorpusConfig) *Corpus {
	c := &Corpus{Dir: "synthetic"}
	for _, s := range fixtures.AnomalyCorpus(seed, cfg) {
		f := &File{Name: s.Name, Category: string(s.Kind), Timestamps: s.Grid.Timestamps(nil), Values: s.Values}
		if s.Onset >= 0 {
			a, b := s.Window[0], s.Window[1]
			// In time order a window's weights run from Start to Right = End
			// over Width = End−Start+1 rows, and it is left at End (as
			// LoadCorpus builds them): without Right and Width every row's
			// weight was ±Inf and the NAB scores of this corpus meaningless.
			f.Windows = []Window{{Start: a, End: b, Right: b, Width: b - a + 1, Exited: true}}
		}
		c.Files = append(c.Files, f)
	}
	sort.Slice(c.Files, func(i, j int) bool { return c.Files[i].Name < c.Files[j].Name })
	return c
}

// EventCounts is the event-level outcome of one category of a corpus: how
// many labelled windows hold the start of a reported interval, and how
// many intervals start outside every window.
type EventCounts struct {
	Category string
	Files    int
	// Windows is the number of labelled windows, Caught how many of them
	// hold the start of at least one interval.
	Windows, Caught int
	// False is the number of intervals that start outside every window,
	// Days the length of the category's series in days, FalsePer30Days
	// False per 30 days of data.
	False          int
	Days           float64
	FalsePer30Days float64
}

// Events scores intervals against the windows of c, per category (sorted):
// intervals[i] are those reported on c.Files[i].
func Events(c *Corpus, intervals [][]anomaly.Interval) []EventCounts {
	by := map[string]*EventCounts{}
	for i, f := range c.Files {
		e := by[f.Category]
		if e == nil {
			e = &EventCounts{Category: f.Category}
			by[f.Category] = e
		}
		e.Files++
		e.Windows += len(f.Windows)
		if n := f.Len(); n > 1 {
			span := f.Timestamps[n-1] - f.Timestamps[0]
			e.Days += float64(span+(span/int64(n-1))) / float64(24*time.Hour/time.Millisecond)
		}
		caught := make([]bool, len(f.Windows))
		for _, iv := range intervals[i] {
			in := false
			for w, win := range f.Windows {
				if iv.StartIndex >= win.Start && iv.StartIndex <= win.End {
					caught[w], in = true, true
				}
			}
			if !in {
				e.False++
			}
		}
		for _, c := range caught {
			if c {
				e.Caught++
			}
		}
	}
	var out []EventCounts
	for _, e := range by {
		if e.Days > 0 {
			e.FalsePer30Days = 30 * float64(e.False) / e.Days
		}
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Category < out[j].Category })
	return out
}
