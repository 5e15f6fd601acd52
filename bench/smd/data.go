package smd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ErrFormat is wrapped by every error about a malformed SMD file.
var ErrFormat = errors.New("smd: bad format")

// Segment is a run of test rows [Start, End) (0-based, end exclusive).
type Segment struct {
	Start, End int
}

// Interpretation is one line of interpretation_label: a segment and the
// 0-based metric columns that contributed to it.
type Interpretation struct {
	Segment
	Metrics []int
}

// Machine is one machine of the dataset.
type Machine struct {
	Name string
	// Train and Test are rows × metrics.
	Train, Test [][]float64
	// Labels marks the anomalous test rows.
	Labels []bool
	// Interpretation is optional (nil when the file is absent).
	Interpretation []Interpretation
}

// Events returns the labelled events: maximal runs of labelled test rows.
func (m *Machine) Events() []Segment { return runs(m.Labels) }

// Metrics returns the number of metrics (columns).
func (m *Machine) Metrics() int {
	if len(m.Test) > 0 {
		return len(m.Test[0])
	}
	return 0
}

func runs(flags []bool) []Segment {
	var out []Segment
	for i := 0; i < len(flags); {
		if !flags[i] {
			i++
			continue
		}
		j := i
		for j < len(flags) && flags[j] {
			j++
		}
		out = append(out, Segment{Start: i, End: j})
		i = j
	}
	return out
}

// ReadMatrix reads comma-separated rows of numbers with the same number of
// columns and no header. name is used in error messages.
func ReadMatrix(r io.Reader, name string) ([][]float64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var out [][]float64
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		fields := strings.Split(text, ",")
		if len(out) > 0 && len(fields) != len(out[0]) {
			return nil, fmt.Errorf("%s:%d: %w: %d columns, first row has %d", name, line, ErrFormat, len(fields), len(out[0]))
		}
		row := make([]float64, len(fields))
		for j, f := range fields {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w: column %d %q is not a number", name, line, ErrFormat, j+1, f)
			}
			row[j] = v
		}
		out = append(out, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w: no rows", name, ErrFormat)
	}
	return out, nil
}

// ReadLabels reads one 0 or 1 per line.
func ReadLabels(r io.Reader, name string) ([]bool, error) {
	sc := bufio.NewScanner(r)
	var out []bool
	line := 0
	for sc.Scan() {
		line++
		switch t := strings.TrimSpace(sc.Text()); t {
		case "0", "0.0":
			out = append(out, false)
		case "1", "1.0":
			out = append(out, true)
		case "":
		default:
			return nil, fmt.Errorf("%s:%d: %w: label %q, want 0 or 1", name, line, ErrFormat, t)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, err)
	}
	return out, nil
}

// ReadInterpretation reads interpretation_label lines "start-end:d1,d2,…"
// (0-based rows, end exclusive, 1-based columns); columns are returned
// 0-based.
func ReadInterpretation(r io.Reader, name string) ([]Interpretation, error) {
	sc := bufio.NewScanner(r)
	var out []Interpretation
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if t == "" {
			continue
		}
		seg, dims, ok := strings.Cut(t, ":")
		a, b, ok2 := strings.Cut(seg, "-")
		if !ok || !ok2 {
			return nil, fmt.Errorf("%s:%d: %w: %q, want start-end:d1,d2 (0-based rows, 1-based columns)", name, line, ErrFormat, t)
		}
		s, err1 := strconv.Atoi(strings.TrimSpace(a))
		e, err2 := strconv.Atoi(strings.TrimSpace(b))
		if err1 != nil || err2 != nil || s < 0 || e < s {
			return nil, fmt.Errorf("%s:%d: %w: bad segment %q", name, line, ErrFormat, seg)
		}
		in := Interpretation{Segment: Segment{Start: s, End: e}}
		for _, d := range strings.Split(dims, ",") {
			k, err := strconv.Atoi(strings.TrimSpace(d))
			if err != nil || k < 1 {
				return nil, fmt.Errorf("%s:%d: %w: bad column %q", name, line, ErrFormat, d)
			}
			in.Metrics = append(in.Metrics, k-1)
		}
		out = append(out, in)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, err)
	}
	return out, nil
}

func readFile[T any](path string, read func(io.Reader, string) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("cannot read SMD file: %w", err)
	}
	defer f.Close()
	return read(f, path)
}

// LoadMachine reads one machine from dir.
func LoadMachine(dir, name string) (*Machine, error) {
	m := &Machine{Name: name}
	var err error
	if m.Train, err = readFile(filepath.Join(dir, "train", name+".txt"), ReadMatrix); err != nil {
		return nil, err
	}
	if m.Test, err = readFile(filepath.Join(dir, "test", name+".txt"), ReadMatrix); err != nil {
		return nil, err
	}
	if m.Labels, err = readFile(filepath.Join(dir, "test_label", name+".txt"), ReadLabels); err != nil {
		return nil, err
	}
	if len(m.Labels) != len(m.Test) {
		return nil, fmt.Errorf("%s: %w: %d labels for %d test rows", name, ErrFormat, len(m.Labels), len(m.Test))
	}
	if len(m.Train[0]) != len(m.Test[0]) {
		return nil, fmt.Errorf("%s: %w: train has %d columns, test %d", name, ErrFormat, len(m.Train[0]), len(m.Test[0]))
	}
	ip := filepath.Join(dir, "interpretation_label", name+".txt")
	if _, err := os.Stat(ip); err == nil {
		if m.Interpretation, err = readFile(ip, ReadInterpretation); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// MachineNames lists the machines of dir (the files of dir/test).
func MachineNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(dir, "test"))
	if err != nil {
		return nil, fmt.Errorf("cannot list SMD machines: %w", err)
	}
	var out []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".txt"); ok && !e.IsDir() {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w: no machine in test/", dir, ErrFormat)
	}
	return out, nil
}
