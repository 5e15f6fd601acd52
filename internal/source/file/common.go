package file

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/omenhq/omen/series"
)

// readAll reads r to the end. When r can tell its size the buffer is
// allocated once.
func readAll(r io.Reader) ([]byte, error) {
	hint := 0
	switch v := r.(type) {
	case interface{ Len() int }:
		hint = v.Len()
	case *os.File:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			hint = int(fi.Size())
		}
	}
	return readAllHint(r, hint)
}

// readAllHint reads r to the end into a buffer of initial size hint+512.
func readAllHint(r io.Reader, hint int) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(hint + 512)
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// unsafeString returns a string sharing memory with b. The readers own the
// buffer they read into and never modify it afterwards, so the string is
// immutable as Go requires; every string that outlives the parse (label names
// and values, map keys) is cloned, so the returned series do not keep the
// input alive.
func unsafeString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// builder collects the samples of one series while a file is parsed.
type builder struct {
	labels   series.Labels
	ts       []int64
	vs       []float64
	lastLine int
	// unsorted is set once a sample arrives before the previous one.
	unsorted bool
	// watched marks the series a rescan looks for (see watch).
	watched bool
}

// add appends a sample. While the samples are in order it detects a repeated
// timestamp at once and returns the line of the earlier sample; otherwise it
// returns 0 and duplicates are found by finish.
func (b *builder) add(t int64, v float64, line int) (dupLine int) {
	if n := len(b.ts); n > 0 && !b.unsorted {
		switch last := b.ts[n-1]; {
		case t == last:
			return b.lastLine
		case t < last:
			b.unsorted = true
		}
	}
	b.ts = append(b.ts, t)
	b.vs = append(b.vs, v)
	b.lastLine = line
	return 0
}

// watch asks a second parse of the same input for the lines of two samples
// (by ordinal within their series): the error path for a duplicate
// timestamp in a series whose rows were out of order.
type watch struct {
	labels series.Labels
	ords   [2]int
	lines  [2]int
}

func (w *watch) observe(b *builder, line int) {
	ord := len(b.ts) - 1
	for k := range w.ords {
		if w.ords[k] == ord {
			w.lines[k] = line
		}
	}
}

// duplicate describes two samples of one series with the same timestamp.
type duplicate struct {
	labels series.Labels
	t      int64
	ords   [2]int
}

// finish turns builders into series sorted by labels with strictly
// increasing timestamps. Series without samples are left out. A repeated
// timestamp is returned as a duplicate naming the two samples' ordinals.
func finish(bs []*builder) ([]series.Series, *duplicate) {
	out := make([]series.Series, 0, len(bs))
	for _, b := range bs {
		if len(b.ts) == 0 {
			continue
		}
		if b.unsorted {
			if d := sortSamples(b.ts, b.vs); d != nil {
				d.labels = b.labels
				return nil, d
			}
		}
		ts, vs := b.ts, b.vs
		if cap(ts)-len(ts) > len(ts)/4+64 {
			ts, vs = slices.Clone(ts), slices.Clone(vs)
		}
		out = append(out, series.Series{Labels: b.labels, Timestamps: ts, Values: vs})
	}
	series.Sort(out)
	return out, nil
}

// sortSamples sorts ts and vs together by time, stably. It returns the
// ordinals of the first two samples found with equal timestamps, or nil.
func sortSamples(ts []int64, vs []float64) *duplicate {
	type sample struct {
		t   int64
		v   float64
		ord int
	}
	all := make([]sample, len(ts))
	for i := range ts {
		all[i] = sample{ts[i], vs[i], i}
	}
	slices.SortStableFunc(all, func(a, b sample) int {
		switch {
		case a.t < b.t:
			return -1
		case a.t > b.t:
			return 1
		}
		return 0
	})
	for i := 1; i < len(all); i++ {
		if all[i].t == all[i-1].t {
			return &duplicate{t: all[i].t, ords: [2]int{all[i-1].ord, all[i].ord}}
		}
	}
	for i, s := range all {
		ts[i], vs[i] = s.t, s.v
	}
	return nil
}

// checkSeries validates what a writer is given: valid series, label sets
// sorted with unique non-empty names and valid UTF-8, no label set twice.
func checkSeries(ss []series.Series) error {
	seen := make(map[uint64][]int, len(ss))
	for i, s := range ss {
		if err := s.Validate(); err != nil {
			return fmt.Errorf("cannot write series %d: %w", i, err)
		}
		for j, l := range s.Labels {
			switch {
			case l.Name == "":
				return fmt.Errorf("cannot write series %d %s: empty label name", i, s.Labels)
			case j > 0 && s.Labels[j-1].Name >= l.Name:
				return fmt.Errorf("cannot write series %d %s: labels are not sorted by name or repeat %q", i, s.Labels, l.Name)
			case !utf8.ValidString(l.Name) || !utf8.ValidString(l.Value):
				return fmt.Errorf("cannot write series %d %s: label %q is not valid UTF-8", i, s.Labels, l.Name)
			}
		}
		fp := s.Labels.Fingerprint()
		for _, k := range seen[fp] {
			if ss[k].Labels.Equal(s.Labels) {
				return fmt.Errorf("cannot write series %d %s: the same labels as series %d", i, s.Labels, k)
			}
		}
		seen[fp] = append(seen[fp], i)
	}
	return nil
}

// sortedForWrite returns the indexes of ss ordered by metric name, then by
// labels, so that every metric family is written contiguously.
func sortedForWrite(ss []series.Series) []int {
	idx := make([]int, len(ss))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if c := strings.Compare(ss[a].Labels.Name(), ss[b].Labels.Name()); c != 0 {
			return c
		}
		return ss[a].Labels.Compare(ss[b].Labels)
	})
	return idx
}
