package nab

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrFormat is wrapped by every error about a malformed corpus file.
var ErrFormat = errors.New("nab: bad format")

// ErrLabels is wrapped when labels and data disagree (a labelled file is
// missing, or a window limit is not a row of its file).
var ErrLabels = errors.New("nab: labels do not match data")

// Window is one labelled anomaly window as NAB's sweeper meets it, reading
// the rows in file order (nab/sweeper.py calcSweepScore): it is entered at
// the first row Start whose timestamp is the window's start, and left
// after the first row End at or after Start whose timestamp is its end
// (the last row when none is). Inside it a row's position is measured from
// Right, the first row of the file with the end timestamp, over Width rows,
// from the first rows of the file with the end and the start timestamps.
// In a file in time order Right is End and Width is End−Start+1; out of
// order, Width may even be negative, and the rows are then weighted as NAB
// weights them.
type Window struct {
	Start, End int
	Right      int
	Width      int
	// Exited is false when the window was not left at its end timestamp:
	// never reached, or cut short when the next window began first. NAB
	// then does not count it as the previous window of the rows after it.
	Exited bool
}

// File is one series of the corpus with its labelled windows.
type File struct {
	// Name is the path relative to the data folder with forward slashes,
	// for example "realTweets/Twitter_volume_AAPL.csv"; it is the key of
	// combined_windows.json.
	Name string
	// Category is the folder part of Name ("realTweets").
	Category string
	// Timestamps are Unix milliseconds of the wall-clock times in the file
	// read as UTC; Values the matching values.
	Timestamps []int64
	Values     []float64
	// Windows are the labelled windows, sorted and disjoint.
	Windows []Window
}

// Len returns the number of rows.
func (f *File) Len() int { return len(f.Timestamps) }

// Corpus is a set of labelled files, sorted by Name.
type Corpus struct {
	// Dir is the folder the corpus was read from.
	Dir   string
	Files []*File
	// Unlabelled lists data files present under data/ that have no key in
	// combined_windows.json; like NAB, they are not scored.
	Unlabelled []string
}

// Rows returns the total number of rows of the corpus.
func (c *Corpus) Rows() int {
	n := 0
	for _, f := range c.Files {
		n += f.Len()
	}
	return n
}

// NumWindows returns the total number of labelled windows.
func (c *Corpus) NumWindows() int {
	n := 0
	for _, f := range c.Files {
		n += len(f.Windows)
	}
	return n
}

// Categories returns the distinct categories in sorted order.
func (c *Corpus) Categories() []string {
	var cats []string
	for _, f := range c.Files {
		if !slices.Contains(cats, f.Category) {
			cats = append(cats, f.Category)
		}
	}
	sort.Strings(cats)
	return cats
}

// File returns the file with the given name, or nil.
func (c *Corpus) File(name string) *File {
	i := sort.Search(len(c.Files), func(i int) bool { return c.Files[i].Name >= name })
	if i < len(c.Files) && c.Files[i].Name == name {
		return c.Files[i]
	}
	return nil
}

const (
	rowLayout    = "2006-01-02 15:04:05.999999999"
	windowLayout = "2006-01-02 15:04:05.999999999"
)

// ParseTimestamp parses a NAB timestamp ("2006-01-02 15:04:05", optionally
// with fractional seconds) as UTC wall time and returns Unix milliseconds.
func ParseTimestamp(s string) (int64, error) {
	t, err := time.Parse(rowLayout, strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%w: timestamp %q: want YYYY-MM-DD HH:MM:SS", ErrFormat, s)
	}
	return t.UnixMilli(), nil
}

// ReadCSV reads a NAB data file: a header with the columns "timestamp" and
// "value" (in any order, other columns ignored) and one row per sample, in
// file order. NAB's corpus repeats a timestamp at a few daylight-saving
// changes and its full corpus has rows out of time order; like NAB, which
// scores the rows as the file lists them, every row is kept where it is.
// name is used in error messages only.
func ReadCSV(r io.Reader, name string) (ts []int64, vs []float64, err error) {
	return readColumns(r, name, "value")
}

// readColumns reads the timestamp column and the named value column.
func readColumns(r io.Reader, name, column string) (ts []int64, vs []float64, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	ti, vi := -1, -1
	ncol := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
			cols := strings.Split(text, ",")
			ncol = len(cols)
			for i, c := range cols {
				switch strings.TrimSpace(c) {
				case "timestamp":
					ti = i
				case column:
					vi = i
				}
			}
			if ti < 0 || vi < 0 {
				return nil, nil, fmt.Errorf("%s:1: %w: header %q lacks columns timestamp and %s", name, ErrFormat, text, column)
			}
			continue
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		cols := strings.Split(text, ",")
		if len(cols) != ncol {
			return nil, nil, fmt.Errorf("%s:%d: %w: %d fields, header has %d", name, line, ErrFormat, len(cols), ncol)
		}
		t, err := ParseTimestamp(cols[ti])
		if err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(cols[vi]), 64)
		if err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %w: %s %q is not a number", name, line, ErrFormat, column, cols[vi])
		}
		ts = append(ts, t)
		vs = append(vs, v)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("cannot read %s: %w", name, err)
	}
	if line == 0 {
		return nil, nil, fmt.Errorf("%s: %w: empty file, want a timestamp,%s header", name, ErrFormat, column)
	}
	return ts, vs, nil
}

// ReadWindows reads combined_windows.json: for each file name, a list of
// [start, end] timestamp pairs. The limits are returned as Unix ms.
func ReadWindows(r io.Reader, name string) (map[string][][2]int64, error) {
	var raw map[string][][]string
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return nil, fmt.Errorf("%s: %w: want {\"file.csv\": [[\"start\", \"end\"], ...]}: %v", name, ErrFormat, err)
	}
	out := make(map[string][][2]int64, len(raw))
	for file, wins := range raw {
		lims := make([][2]int64, 0, len(wins))
		for k, w := range wins {
			if len(w) != 2 {
				return nil, fmt.Errorf("%s: %w: window %d of %q has %d limits, want 2", name, ErrFormat, k, file, len(w))
			}
			a, err := time.Parse(windowLayout, strings.TrimSpace(w[0]))
			if err != nil {
				return nil, fmt.Errorf("%s: %w: window %d of %q: bad start %q", name, ErrFormat, k, file, w[0])
			}
			b, err := time.Parse(windowLayout, strings.TrimSpace(w[1]))
			if err != nil {
				return nil, fmt.Errorf("%s: %w: window %d of %q: bad end %q", name, ErrFormat, k, file, w[1])
			}
			if b.Before(a) {
				return nil, fmt.Errorf("%s: %w: window %d of %q ends before it starts", name, ErrFormat, k, file)
			}
			lims = append(lims, [2]int64{a.UnixMilli(), b.UnixMilli()})
		}
		sort.Slice(lims, func(i, j int) bool { return lims[i][0] < lims[j][0] })
		for k := 1; k < len(lims); k++ {
			if lims[k][0] <= lims[k-1][1] {
				return nil, fmt.Errorf("%s: %w: windows of %q overlap", name, ErrFormat, file)
			}
		}
		out[file] = lims
	}
	return out, nil
}

// windowRows converts window limits to rows as NAB's sweeper does, in file
// order (see Window): both limits must be timestamps of rows, and a
// repeated timestamp means its first row, as NAB looks limits up with
// list.index. Windows are entered in the order of their start times, each
// when its start timestamp comes up; a window whose start never comes up
// after the previous one is never entered, as in NAB, and left out.
func windowRows(ts []int64, lims [][2]int64, name string) ([]Window, error) {
	first := make(map[int64]int, len(lims)*2)
	for _, l := range lims {
		first[l[0]], first[l[1]] = -1, -1
	}
	for i, t := range ts {
		if k, ok := first[t]; ok && k < 0 {
			first[t] = i
		}
	}
	for _, l := range lims {
		a, b := first[l[0]], first[l[1]]
		if a < 0 || b < 0 {
			return nil, fmt.Errorf("%s: %w: window [%s, %s] limits are not both rows of the file", name, ErrLabels,
				time.UnixMilli(l[0]).UTC().Format(time.DateTime), time.UnixMilli(l[1]).UTC().Format(time.DateTime))
		}
		if b == a-1 {
			// NAB divides by the width, b−a+1, and fails here.
			return nil, fmt.Errorf("%s: %w: window [%s, %s] ends on line %d, just before it starts on line %d, in file order: NAB's window width is 0", name, ErrLabels,
				time.UnixMilli(l[0]).UTC().Format(time.DateTime), time.UnixMilli(l[1]).UTC().Format(time.DateTime), b+2, a+2)
		}
	}
	out := make([]Window, 0, len(lims))
	next, cur := 0, -1
	for i, t := range ts {
		if next < len(lims) && t == lims[next][0] {
			if cur >= 0 {
				out[len(out)-1].End = i - 1 // NAB enters the next window without leaving this one
			}
			right := first[lims[next][1]]
			out = append(out, Window{Start: i, End: len(ts) - 1, Right: right, Width: right - first[lims[next][0]] + 1})
			cur = next
			next++
		}
		if cur >= 0 && t == lims[cur][1] {
			out[len(out)-1].End, out[len(out)-1].Exited = i, true
			cur = -1
		}
	}
	return out, nil
}

// LoadCorpus reads a corpus in NAB's layout from dir: the series under
// dir/data and the windows in dir/labels/combined_windows.json. Every
// labelled file must exist; data files without labels are listed in
// Corpus.Unlabelled and not loaded.
func LoadCorpus(dir string) (*Corpus, error) {
	labelPath := filepath.Join(dir, "labels", "combined_windows.json")
	lf, err := os.Open(labelPath)
	if err != nil {
		return nil, fmt.Errorf("cannot open NAB labels: %w", err)
	}
	defer lf.Close()
	lims, err := ReadWindows(lf, labelPath)
	if err != nil {
		return nil, err
	}
	c := &Corpus{Dir: dir}
	dataDir := filepath.Join(dir, "data")
	err = filepath.WalkDir(dataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".csv") {
			return nil
		}
		rel, err := filepath.Rel(dataDir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if _, ok := lims[rel]; !ok {
			c.Unlabelled = append(c.Unlabelled, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot list NAB data: %w", err)
	}
	names := make([]string, 0, len(lims))
	for n := range lims {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dataDir, filepath.FromSlash(n))
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("%w: labelled file %q: %w", ErrLabels, n, err)
		}
		ts, vs, err := ReadCSV(f, p)
		f.Close()
		if err != nil {
			return nil, err
		}
		wins, err := windowRows(ts, lims[n], p)
		if err != nil {
			return nil, err
		}
		cat := path.Dir(n)
		if cat == "." {
			cat = ""
		}
		c.Files = append(c.Files, &File{Name: n, Category: cat, Timestamps: ts, Values: vs, Windows: wins})
	}
	if len(c.Files) == 0 {
		return nil, fmt.Errorf("%s: %w: no labelled files", labelPath, ErrLabels)
	}
	return c, nil
}

// ReadResults reads the per-row anomaly scores of a detector in NAB's
// results layout, resultsDir/<category>/<detector>_<name>.csv with the
// columns timestamp and anomaly_score, for every file of c. The timestamps
// must equal the data file's. The result is indexed like c.Files.
func ReadResults(c *Corpus, resultsDir, detector string) ([][]float64, error) {
	out := make([][]float64, len(c.Files))
	for i, f := range c.Files {
		dir, base := path.Split(f.Name)
		p := filepath.Join(resultsDir, filepath.FromSlash(dir), detector+"_"+base)
		fh, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("cannot read results of %s: %w", detector, err)
		}
		ts, scores, err := readColumns(fh, p, "anomaly_score")
		fh.Close()
		if err != nil {
			return nil, err
		}
		if !slices.Equal(ts, f.Timestamps) {
			return nil, fmt.Errorf("%s: %w: timestamps differ from %s", p, ErrLabels, f.Name)
		}
		out[i] = scores
	}
	return out, nil
}
