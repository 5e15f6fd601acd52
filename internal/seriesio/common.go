package seriesio

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
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

// builder collects the samples of one series while a file is parsed, in
// file order.
type builder struct {
	labels series.Labels
	ts     []int64
	vs     []float64
	// lines holds the line (or, for JSON, the sample index plus one) of
	// every sample, to say where a repair was made.
	lines []int32
	// maxT is the latest timestamp added so far.
	maxT int64
	// unordered counts the samples that came after a later one; firstLate
	// is the line of the first of them.
	unordered int
	firstLate int
	// repeated is set once a sample repeats the timestamp of the sample
	// just before it (repeats out of order are found after sorting).
	repeated bool
}

// add appends a sample found on line.
func (b *builder) add(t int64, v float64, line int) {
	if n := len(b.ts); n > 0 {
		switch {
		case t < b.maxT:
			if b.unordered == 0 {
				b.firstLate = line
			}
			b.unordered++
		case t == b.ts[n-1]:
			b.repeated = true
		}
	}
	if len(b.ts) == 0 || t > b.maxT {
		b.maxT = t
	}
	b.ts = append(b.ts, t)
	b.vs = append(b.vs, v)
	b.lines = append(b.lines, int32(min(line, math.MaxInt32)))
}

// Rows are the samples of one series as the input holds them: in file
// order, possibly out of time order and with repeated timestamps. They
// are what per-row output (omen detect --format csv) scores and echoes.
type Rows struct {
	Labels     series.Labels
	Timestamps []int64
	Values     []float64
}

// Len returns the number of samples.
func (r Rows) Len() int { return len(r.Timestamps) }

// Repairs says what a reader changed to return series in time order with
// one sample per timestamp, and what it assumed. Every reader applies the
// same rules: samples out of time order are sorted into place, stably,
// and of several samples of one series with the same timestamp the last
// one in file order is kept.
type Repairs struct {
	// Unordered is the number of rows (samples; in a wide CSV, rows) that
	// came after a row with a later timestamp of the same series and were
	// moved into time order. UnorderedAt says where the first one is
	// ("line 12", or for JSON "sample 3 of {…}").
	Unordered   int
	UnorderedAt string
	// Duplicates is the number of rows dropped because a later row of the
	// same series has the same timestamp. DuplicateAt says where the
	// first dropped one is and which series and timestamp it has.
	Duplicates  int
	DuplicateAt string
	// Warnings are other doubts about the input, such as an OpenMetrics
	// file without its "# EOF" line, and what was assumed.
	Warnings []string
	// Assumed notes how an ambiguous input was read when nothing looks
	// wrong (the timestamp unit of Prometheus text), for an info log.
	Assumed []string
}

// SortWarning returns the warning for rows moved into time order, or ""
// when none was.
func (r Repairs) SortWarning(file string) string {
	if r.Unordered == 0 {
		return ""
	}
	return fmt.Sprintf("%s: %s out of time order (the first at %s); sorted into time order, keeping the file order of equal timestamps",
		file, plural(r.Unordered, "row is", "rows are"), r.UnorderedAt)
}

// DuplicateWarning returns the warning for the repeated timestamps an
// analysis on a time grid drops, or "" when there is none.
func (r Repairs) DuplicateWarning(file string) string {
	if r.Duplicates == 0 {
		return ""
	}
	return fmt.Sprintf("%s: %s the timestamp of a later row of the same series and %s dropped, keeping the last row in file order (the first at %s)",
		file, plural(r.Duplicates, "row repeats", "rows repeat"), map[bool]string{true: "was", false: "were"}[r.Duplicates == 1], r.DuplicateAt)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// finish turns builders into series sorted by labels with strictly
// increasing timestamps, and returns beside them the samples in file order
// (sharing memory with the series when nothing had to change) and what was
// repaired. Series without samples are left out. perRow is the number of
// builders every row feeds (the columns of a wide CSV, else 1), so that
// the counts are of rows; where names a line (or sample) for the repairs.
func finish(bs []*builder, perRow int, where func(b *builder, line int) string) ([]series.Series, []Rows, Repairs) {
	type pair struct {
		s series.Series
		r Rows
	}
	var rep Repairs
	firstLate, firstDup := math.MaxInt, math.MaxInt
	ps := make([]pair, 0, len(bs))
	for _, b := range bs {
		if len(b.ts) == 0 {
			continue
		}
		ts, vs := b.ts, b.vs
		raw := Rows{Labels: b.labels, Timestamps: ts, Values: vs}
		if b.unordered > 0 || b.repeated {
			raw.Timestamps, raw.Values = slices.Clone(ts), slices.Clone(vs)
		}
		if b.unordered > 0 {
			rep.Unordered += b.unordered
			if b.firstLate < firstLate {
				firstLate = b.firstLate
				rep.UnorderedAt = where(b, b.firstLate)
			}
			sortSamples(ts, vs, b.lines)
		}
		// Keep the last of each run of equal timestamps: after a stable
		// sort it is the last in file order.
		k := 0
		for i := range ts {
			if i+1 < len(ts) && ts[i+1] == ts[i] {
				rep.Duplicates++
				if l := int(b.lines[i]); l < firstDup {
					firstDup = l
					rep.DuplicateAt = where(b, l) + ", " + b.labels.String() + " at " + string(appendTimestamp(nil, ts[i]))
				}
				continue
			}
			ts[k], vs[k] = ts[i], vs[i]
			k++
		}
		ts, vs = ts[:k], vs[:k]
		b.lines = nil
		if cap(ts)-len(ts) > len(ts)/4+64 {
			ts, vs = slices.Clone(ts), slices.Clone(vs)
			if b.unordered == 0 && !b.repeated {
				raw.Timestamps, raw.Values = ts, vs
			}
		}
		ps = append(ps, pair{series.Series{Labels: b.labels, Timestamps: ts, Values: vs}, raw})
	}
	if perRow > 1 {
		rep.Unordered /= perRow
		rep.Duplicates /= perRow
	}
	slices.SortStableFunc(ps, func(a, b pair) int { return a.s.Labels.Compare(b.s.Labels) })
	out := make([]series.Series, len(ps))
	rows := make([]Rows, len(ps))
	for i, p := range ps {
		out[i], rows[i] = p.s, p.r
	}
	return out, rows, rep
}

// lineAt names a line of a text file.
func lineAt(_ *builder, line int) string { return "line " + strconv.Itoa(line) }

// sortSamples sorts ts, vs and lines together by time, stably.
func sortSamples(ts []int64, vs []float64, lines []int32) {
	type sample struct {
		t    int64
		v    float64
		line int32
	}
	all := make([]sample, len(ts))
	for i := range ts {
		all[i] = sample{ts[i], vs[i], lines[i]}
	}
	slices.SortStableFunc(all, func(a, b sample) int { return cmp.Compare(a.t, b.t) })
	for i, s := range all {
		ts[i], vs[i], lines[i] = s.t, s.v, s.line
	}
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
