package m4

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// ErrFormat is wrapped by every error about a malformed M4 file.
var ErrFormat = errors.New("m4: malformed file")

// Series is one row of an M4 file: the id and the observations in time
// order. A missing observation inside the row ("", "NA" or "NaN" followed by
// further values) is NaN; empty fields at the end of a row are padding and
// are dropped.
type Series struct {
	ID     string
	Values []float64
}

// ReadFile reads an M4 file (see Read).
func ReadFile(path string) ([]Series, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open M4 file: %w", err)
	}
	defer f.Close()
	return Read(f, path)
}

// Read parses the wide M4 format from r: a header line ("V1","V2",… in the
// competition files, id,F1,… in forecast files), then one row per series
// with the id first and the values after it. Quoting is optional. name is
// used in error messages. Rows may have different lengths; ids must be
// non-empty and unique.
func Read(r io.Reader, name string) ([]Series, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	if _, err := cr.Read(); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: %w: empty file, expected a header line", name, ErrFormat)
		}
		return nil, fmt.Errorf("%s: %w: %w", name, ErrFormat, err)
	}
	var out []Series
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %w", name, ErrFormat, err)
		}
		line, _ := cr.FieldPos(0)
		id := strings.TrimSpace(rec[0])
		if id == "" {
			return nil, fmt.Errorf("%s:%d: %w: empty series id in the first column", name, line, ErrFormat)
		}
		if prev, ok := seen[id]; ok {
			return nil, fmt.Errorf("%s:%d: %w: series %q already defined on line %d", name, line, ErrFormat, id, prev)
		}
		seen[id] = line
		last := len(rec) - 1
		for last > 0 && strings.TrimSpace(rec[last]) == "" {
			last--
		}
		vals := make([]float64, last)
		for i := 1; i <= last; i++ {
			s := strings.TrimSpace(rec[i])
			switch s {
			case "", "NA", "NaN", "nan":
				vals[i-1] = math.NaN()
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s:%d: %w: series %q column %d: %q is not a finite number", name, line, ErrFormat, id, i+1, rec[i])
			}
			vals[i-1] = v
		}
		out = append(out, Series{ID: id, Values: vals})
	}
	return out, nil
}

// WriteForecasts writes forecasts in the organisers' submission format:
// a header id,F1,…,FH (H the longest row) then one unquoted row per series,
// values in the shortest decimal form that reads back exactly. NaN is
// written as NaN. Ids containing a comma, quote or newline are quoted.
func WriteForecasts(w io.Writer, rows []Series) error {
	h := 0
	for _, r := range rows {
		h = max(h, len(r.Values))
	}
	cw := csv.NewWriter(w)
	rec := make([]string, 0, h+1)
	rec = append(rec, "id")
	for i := 1; i <= h; i++ {
		rec = append(rec, "F"+strconv.Itoa(i))
	}
	if err := cw.Write(rec); err != nil {
		return fmt.Errorf("cannot write forecasts: %w", err)
	}
	for _, r := range rows {
		rec = rec[:0]
		rec = append(rec, r.ID)
		for _, v := range r.Values {
			rec = append(rec, strconv.FormatFloat(v, 'f', -1, 64))
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("cannot write forecasts of %q: %w", r.ID, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("cannot write forecasts: %w", err)
	}
	return nil
}
