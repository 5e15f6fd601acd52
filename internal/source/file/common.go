package file

import (
	"bytes"
	"fmt"
	"io"
	"math"
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
	return readAllHint(r, sizeHint(r))
}

// sizeHint returns the number of bytes r holds when it can tell, else 0.
func sizeHint(r io.Reader) int {
	switch v := r.(type) {
	case interface{ Len() int }:
		return v.Len()
	case *os.File:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			return int(fi.Size())
		}
	}
	return 0
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
	labels series.Labels
	ts     []int64
	vs     []float64
	// lines holds the line (or, for JSON, the sample index plus one) of
	// every sample, to name both when a timestamp repeats.
	lines []int32
	// unsorted is set once a sample arrives before the previous one.
	unsorted bool
}

// add appends a sample found on line. While the samples are in order it
// detects a repeated timestamp at once and returns the line of the earlier
// sample; otherwise it returns 0 and finish finds duplicates.
func (b *builder) add(t int64, v float64, line int) (dupLine int) {
	if n := len(b.ts); n > 0 && !b.unsorted {
		switch last := b.ts[n-1]; {
		case t == last:
			return int(b.lines[n-1])
		case t < last:
			b.unsorted = true
		}
	}
	b.ts = append(b.ts, t)
	b.vs = append(b.vs, v)
	b.lines = append(b.lines, int32(min(line, math.MaxInt32)))
	return 0
}

// duplicate describes two samples of one series with the same timestamp.
type duplicate struct {
	labels series.Labels
	t      int64
	lines  [2]int // of the earlier and the later sample
}

// finish turns builders into series sorted by labels with strictly
// increasing timestamps. Series without samples are left out. A repeated
// timestamp is returned as a duplicate.
func finish(bs []*builder) ([]series.Series, *duplicate) {
	out := make([]series.Series, 0, len(bs))
	for _, b := range bs {
		if len(b.ts) == 0 {
			continue
		}
		if b.unsorted {
			if d := sortSamples(b.ts, b.vs, b.lines); d != nil {
				d.labels = b.labels
				return nil, d
			}
		}
		b.lines = nil
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
// lines of the first two samples found with equal timestamps, or nil.
func sortSamples(ts []int64, vs []float64, lines []int32) *duplicate {
	type sample struct {
		t    int64
		v    float64
		line int32
	}
	all := make([]sample, len(ts))
	for i := range ts {
		all[i] = sample{ts[i], vs[i], lines[i]}
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
			return &duplicate{t: all[i].t, lines: [2]int{int(all[i-1].line), int(all[i].line)}}
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
