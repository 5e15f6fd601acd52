package seriesio

import (
	"bufio"
	"io"
	"strings"
)

// CSVRow is one data row of a CSV file holding one value column, as
// written: Time and Value are the fields' text (quotes and surrounding
// blanks removed), Timestamp the parsed time in Unix milliseconds and Line
// the line the row starts on.
type CSVRow struct {
	Line      int
	Timestamp int64
	Time      string
	Value     string
}

// ReadCSVRows reads the data rows of a CSV file in the layout ReadCSV
// reads, in file order, keeping each row's time and value fields as
// written: what `omen detect --format csv` echoes beside its scores. The
// file must have one value column (no header, a long-format header, or a
// wide header with one metric column); label columns are not returned, so
// a caller that needs one series checks ReadCSV's result. Errors are
// *ParseError naming the file and line, as ReadCSV's.
func ReadCSVRows(r io.Reader, name string) ([]CSVRow, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	if bom, _ := br.Peek(3); string(bom) == "\ufeff" {
		_, _ = br.Discard(3)
	}
	sc := &csvScanner{r: br, file: name}
	rec, line, err := sc.next()
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	lay := csvLayout{ncols: 2, tcol: 0, vcol: 1}
	pending := true
	if _, ok := parseTimestamp(rec[0]); !ok {
		if lay, err = csvHeader(rec, line, name); err != nil {
			return nil, err
		}
		if lay.vcol < 0 {
			if len(lay.wideCols) != 1 {
				return nil, lineErr(name, line, "the header names %d metric columns; expected one value column", len(lay.wideCols))
			}
			lay.vcol = lay.wideCols[0]
		}
		pending = false
	} else if len(rec) != 2 {
		return nil, lineErr(name, line, "expected 2 fields (timestamp,value) in a file without a header, found %d; add a header row naming the columns", len(rec))
	}
	var out []CSVRow
	for {
		if !pending {
			if rec, line, err = sc.next(); err == io.EOF {
				return out, nil
			} else if err != nil {
				return nil, err
			}
		}
		pending = false
		if len(rec) != lay.ncols {
			return nil, lineErr(name, line, "expected %d fields, found %d", lay.ncols, len(rec))
		}
		t, ok := parseTimestamp(rec[lay.tcol])
		if !ok {
			return nil, lineErr(name, line, "cannot parse timestamp %q in column %d: %s", rec[lay.tcol], lay.tcol+1, tsExpected)
		}
		out = append(out, CSVRow{Line: line, Timestamp: t, Time: strings.Clone(rec[lay.tcol]), Value: strings.Clone(rec[lay.vcol])})
	}
}
