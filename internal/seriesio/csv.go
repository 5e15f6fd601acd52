package seriesio

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/omenhq/omen/series"
)

// ReadCSV reads series from CSV text; name is the file name used in errors.
//
// Layout. The first record is a header when its first field is not a
// timestamp. The time column is the first one named timestamp, time, ts or
// date (any case), else column 0. With a column named value (any case) the
// file is in long format: every other column is a label, rows with equal
// label values form one series, and a column named __name__, metric or name
// (in that order of preference, any case) holds the metric name. Without a
// value column the file is wide: every other column is one metric, a series
// labelled __name__=<column header>. A file without a header must have two
// columns, timestamp and value, and holds one series with no labels.
//
// Timestamps are RFC 3339 with or without fractional seconds and zone
// ("2023-11-14T22:13:20.5Z"), the same with a space for the T
// ("2023-11-14 22:13:20"), a date alone, all taken as UTC when no zone is
// given; or Unix seconds (integer or decimal) — a number of absolute value at
// least 1e11 is taken as Unix milliseconds instead. Sub-millisecond digits
// are rounded to the nearest millisecond.
//
// Values are decimal numbers, NaN, +Inf or -Inf (any case); an empty field
// is a NaN sample. Label columns with an empty field leave the label out.
//
// Fields may be quoted as in RFC 4180 (and then may hold commas, quotes
// doubled and newlines); spaces and tabs around unquoted fields are trimmed.
// Lines starting with # and blank lines are skipped, CRLF line ends and a
// UTF-8 byte order mark are accepted.
//
// Rows need not be in time order: they are sorted into place, stably. Of
// several rows of one series with the same timestamp (the hour repeated
// when daylight saving time ends) the last one in the file is kept. Use
// Decode to learn what was repaired and to get the rows in file order. The
// series are returned sorted by labels.
func ReadCSV(r io.Reader, name string) ([]series.Series, error) {
	d, err := decodeCSV(r, name)
	if err != nil {
		return nil, err
	}
	return d.Series, nil
}

func decodeCSV(r io.Reader, name string) (*Data, error) {
	bs, perRow, err := collectCSV(r, name)
	if err != nil {
		return nil, err
	}
	return newData(finish(bs, perRow, lineAt)), nil
}

const tsExpected = "expected RFC 3339 (2006-01-02T15:04:05Z), 2006-01-02 15:04:05, Unix seconds or Unix milliseconds"

// csvLayout says which column holds what.
type csvLayout struct {
	ncols      int
	headerLine int // 0 when the file has no header
	tcol       int
	// Long format: the value column and the label columns with their names.
	vcol       int // -1 in wide format
	labelCols  []int
	labelNames []string
	// Wide format: one series per column.
	wideCols  []int
	wideNames []string
}

// collectCSV reads the samples of every series, and how many series each
// row feeds.
func collectCSV(r io.Reader, name string) ([]*builder, int, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	if bom, _ := br.Peek(3); string(bom) == "\ufeff" {
		_, _ = br.Discard(3)
	}
	sc := &csvScanner{r: br, file: name}
	rec, line, err := sc.next()
	if err == io.EOF {
		return nil, 1, nil
	}
	if err != nil {
		return nil, 1, err
	}
	var lay csvLayout
	pending := false // rec is a data row still to be used
	if _, ok := parseTimestamp(rec[0]); ok {
		if len(rec) != 2 {
			return nil, 1, lineErr(name, line, "expected 2 fields (timestamp,value) in a file without a header, found %d; add a header row naming the columns", len(rec))
		}
		lay = csvLayout{ncols: 2, tcol: 0, vcol: 1}
		pending = true
	} else if lay, err = csvHeader(rec, line, name); err != nil {
		return nil, 1, err
	}

	var bs []*builder
	byKey := make(map[string]*builder)
	var last *builder
	var key, lastKey []byte
	wide := make([]*builder, len(lay.wideCols))
	for k, h := range lay.wideNames {
		wide[k] = &builder{labels: series.Labels{{Name: series.MetricName, Value: h}}}
		bs = append(bs, wide[k])
	}
	for {
		if !pending {
			rec, line, err = sc.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, 1, err
			}
		}
		pending = false
		if len(rec) != lay.ncols {
			if lay.headerLine > 0 {
				return nil, 1, lineErr(name, line, "expected %d fields as in the header on line %d, found %d", lay.ncols, lay.headerLine, len(rec))
			}
			return nil, 1, lineErr(name, line, "expected 2 fields (timestamp,value), found %d", len(rec))
		}
		t, ok := parseTimestamp(rec[lay.tcol])
		if !ok {
			return nil, 1, lineErr(name, line, "cannot parse timestamp %q in column %d: %s", rec[lay.tcol], lay.tcol+1, tsExpected)
		}
		if lay.vcol < 0 {
			for k, c := range lay.wideCols {
				v, ok := parseValue(rec[c])
				if !ok {
					return nil, 1, valueErr(name, line, rec[c], c, lay.wideNames[k])
				}
				wide[k].add(t, v, line)
			}
			continue
		}
		v, ok := parseValue(rec[lay.vcol])
		if !ok {
			return nil, 1, valueErr(name, line, rec[lay.vcol], lay.vcol, "value")
		}
		b := last
		if b == nil || len(lay.labelCols) > 0 {
			key = key[:0]
			for _, c := range lay.labelCols {
				key = append(key, rec[c]...)
				key = append(key, 0xff) // never in valid UTF-8, which label values must be
			}
			if b == nil || !bytes.Equal(key, lastKey) {
				b = byKey[string(key)]
				if b == nil {
					if b, err = newCSVBuilder(rec, lay, name, line); err != nil {
						return nil, 1, err
					}
					byKey[string(key)] = b
					bs = append(bs, b)
				}
				last = b
				lastKey = append(lastKey[:0], key...)
			}
		}
		b.add(t, v, line)
	}
	return bs, max(1, len(wide)), nil
}

func valueErr(name string, line int, field string, col int, header string) error {
	return lineErr(name, line, "cannot parse %s %q in column %d: expected a number, NaN, +Inf, -Inf or an empty field for a missing sample", header, field, col+1)
}

func newCSVBuilder(rec []string, lay csvLayout, name string, line int) (*builder, error) {
	m := make(map[string]string, len(lay.labelCols))
	for k, c := range lay.labelCols {
		if !utf8.ValidString(rec[c]) {
			return nil, lineErr(name, line, "label %s in column %d is not valid UTF-8", lay.labelNames[k], c+1)
		}
		m[lay.labelNames[k]] = strings.Clone(rec[c])
	}
	return &builder{labels: series.FromMap(m)}, nil
}

func csvHeader(rec []string, line int, name string) (csvLayout, error) {
	lay := csvLayout{ncols: len(rec), headerLine: line, vcol: -1}
	seen := make(map[string]int, len(rec))
	for i, h := range rec {
		switch j, dup := seen[h]; {
		case h == "":
			return lay, lineErr(name, line, "column %d of the header has no name; expected a name for every column", i+1)
		case !utf8.ValidString(h):
			return lay, lineErr(name, line, "column %d of the header is not valid UTF-8", i+1)
		case dup:
			return lay, lineErr(name, line, "column %d of the header repeats %q from column %d; expected unique column names", i+1, h, j+1)
		}
		seen[h] = i
	}
	find := func(skip []int, names ...string) int {
		for _, n := range names {
			for i, h := range rec {
				if strings.EqualFold(h, n) && !slices.Contains(skip, i) {
					return i
				}
			}
		}
		return -1
	}
	lay.tcol = 0
	for i, h := range rec {
		if slices.Contains([]string{"timestamp", "time", "ts", "date"}, strings.ToLower(h)) {
			lay.tcol = i
			break
		}
	}
	for i, h := range rec {
		if i != lay.tcol && strings.EqualFold(h, "value") {
			lay.vcol = i
			break
		}
	}
	if lay.vcol < 0 {
		for i, h := range rec {
			if i != lay.tcol {
				lay.wideCols = append(lay.wideCols, i)
				lay.wideNames = append(lay.wideNames, strings.Clone(h))
			}
		}
		if len(lay.wideCols) == 0 {
			return lay, lineErr(name, line, "the header names only a time column; expected a value column (long format) or one column per metric (wide format)")
		}
		return lay, nil
	}
	nameCol := -1
	for _, n := range []string{series.MetricName, "metric", "name"} {
		if nameCol = find([]int{lay.tcol, lay.vcol}, n); nameCol >= 0 {
			break
		}
	}
	for i, h := range rec {
		if i == lay.tcol || i == lay.vcol {
			continue
		}
		if i == nameCol {
			h = series.MetricName
		} else if h == series.MetricName {
			return lay, lineErr(name, line, "columns %d and %d both give the metric name; expected one __name__, metric or name column", nameCol+1, i+1)
		}
		lay.labelCols = append(lay.labelCols, i)
		lay.labelNames = append(lay.labelNames, strings.Clone(h))
	}
	return lay, nil
}

// parseValue parses a sample value; an empty field is NaN.
func parseValue(s string) (float64, bool) {
	if s == "" {
		return math.NaN(), true
	}
	v, err := parseFloat(s)
	return v, err == nil
}

// csvScanner splits CSV text read from a stream into records of fields.
//
// The fields of a record share memory with the scanner's buffers (see
// unsafeString) and are valid only until the next call to next: callers
// clone what they keep.
type csvScanner struct {
	r      *bufio.Reader
	line   int // number of the last line read
	fields []string
	file   string
	long   []byte // a line longer than r's buffer
	multi  []byte // a record spanning lines
	eof    bool
}

// readLine returns the next line without its '\n', or io.EOF.
func (c *csvScanner) readLine() ([]byte, error) {
	if c.eof {
		return nil, io.EOF
	}
	l, err := c.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		c.long = append(c.long[:0], l...)
		for err == bufio.ErrBufferFull {
			l, err = c.r.ReadSlice('\n')
			c.long = append(c.long, l...)
		}
		l = c.long
	}
	switch {
	case err == io.EOF:
		c.eof = true
		if len(l) == 0 {
			return nil, io.EOF
		}
	case err != nil:
		return nil, fmt.Errorf("cannot read %s: %w", c.file, err)
	default:
		l = l[:len(l)-1]
	}
	c.line++
	return l, nil
}

// next returns the next record and the line it starts on, skipping blank
// and comment lines; io.EOF at the end of the input.
func (c *csvScanner) next() ([]string, int, error) {
	for {
		b, err := c.readLine()
		if err != nil {
			return nil, 0, err
		}
		line := unsafeString(b)
		if skipLine(line) {
			continue
		}
		if strings.IndexByte(line, '"') >= 0 {
			return c.quoted(b)
		}
		c.fields = c.fields[:0]
		for {
			i := strings.IndexByte(line, ',')
			if i < 0 {
				c.fields = append(c.fields, trimField(line))
				break
			}
			c.fields = append(c.fields, trimField(line[:i]))
			line = line[i+1:]
		}
		return c.fields, c.line, nil
	}
}

// skipLine reports whether a line is blank or a comment.
func skipLine(line string) bool {
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case ' ', '\t', '\r':
		case '#':
			return true
		default:
			return false
		}
	}
	return true
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

func trimField(s string) string {
	if len(s) > 0 && (s[0] <= ' ' || s[len(s)-1] <= ' ') {
		return strings.Trim(s, " \t\r")
	}
	return s
}

// quoted parses a record whose first line, first, holds a quote. While the
// quotes read so far are unbalanced a quoted field continues on the next
// line, which is appended.
func (c *csvScanner) quoted(first []byte) ([]string, int, error) {
	recLine := c.line
	c.multi = append(c.multi[:0], first...)
	for n := bytes.Count(first, []byte{'"'}); n%2 == 1; {
		b, err := c.readLine()
		if err == io.EOF {
			break // parse reports the unclosed quote
		}
		if err != nil {
			return nil, 0, err
		}
		c.multi = append(c.multi, '\n')
		c.multi = append(c.multi, b...)
		n += bytes.Count(b, []byte{'"'})
	}
	data := unsafeString(c.multi)
	line := recLine
	c.fields = c.fields[:0]
	p := 0
	for {
		q := p
		for q < len(data) && isBlank(data[q]) {
			q++
		}
		if q < len(data) && data[q] == '"' {
			openLine := line
			var sb []byte
			q++
			for {
				i := strings.IndexByte(data[q:], '"')
				if i < 0 {
					return nil, 0, lineErr(c.file, openLine, "quoted field in column %d is not closed; expected a closing quote", len(c.fields)+1)
				}
				chunk := data[q : q+i]
				line += strings.Count(chunk, "\n")
				sb = append(sb, chunk...)
				q += i + 1
				if q < len(data) && data[q] == '"' {
					sb = append(sb, '"')
					q++
					continue
				}
				break
			}
			c.fields = append(c.fields, string(sb))
			for q < len(data) && isBlank(data[q]) {
				q++
			}
			switch {
			case q == len(data) || (data[q] == '\r' && q+1 == len(data)):
				return c.fields, recLine, nil
			case data[q] == ',':
				p = q + 1
				continue
			}
			return nil, 0, lineErr(c.file, line, "expected a comma or the end of the line after the closing quote of column %d, found %q", len(c.fields), data[q])
		}
		e := q
		for e < len(data) && data[e] != ',' {
			switch data[e] {
			case '"':
				return nil, 0, lineErr(c.file, line, "quote inside unquoted field in column %d; expected the whole field quoted, with quotes doubled", len(c.fields)+1)
			case '\n':
				line++
			}
			e++
		}
		c.fields = append(c.fields, trimField(data[p:e]))
		if e == len(data) {
			return c.fields, recLine, nil
		}
		p = e + 1
	}
}

// WriteCSV writes series in long CSV format: a header
// "timestamp,value[,__name__],<label names sorted>" and one row per sample,
// series grouped by metric name and then labels. Timestamps are RFC 3339 in
// UTC with milliseconds only when not zero (integer Unix milliseconds outside
// the years 0000–9999); values are printed with strconv 'g' -1, so ReadCSV
// reads everything back exactly, NaN and ±Inf included. The __name__ column
// is written when a series has a metric name or a label the reader would take
// for one (metric, name). The time and value columns get another spelling
// (time, Value, …) when a label already uses the name. Series without
// samples leave no trace.
func WriteCSV(w io.Writer, ss []series.Series) error {
	if err := checkSeries(ss); err != nil {
		return fmt.Errorf("cannot write CSV: %w", err)
	}
	names := map[string]bool{}
	needName := false
	for _, s := range ss {
		for _, l := range s.Labels {
			if l.Name == series.MetricName {
				needName = true
				continue
			}
			names[l.Name] = true
			if strings.EqualFold(l.Name, series.MetricName) || strings.EqualFold(l.Name, "metric") || strings.EqualFold(l.Name, "name") {
				needName = true
			}
		}
	}
	labelNames := make([]string, 0, len(names))
	for n := range names {
		labelNames = append(labelNames, n)
	}
	slices.Sort(labelNames)
	// The reader takes the first column with one of these names, in any
	// case, for the time and the value: write the first spelling that no
	// label uses.
	pick := func(what string, bases ...string) (string, error) {
		for mask := range 1 << 9 {
			for _, base := range bases {
				if mask >= 1<<len(base) {
					continue
				}
				c := []byte(base)
				for i := range c {
					if mask&(1<<i) != 0 {
						c[i] = byte(unicode.ToUpper(rune(c[i])))
					}
				}
				if !names[string(c)] {
					return string(c), nil
				}
			}
		}
		return "", fmt.Errorf("cannot write CSV: labels use every spelling of %s, leaving no name for the %s column", strings.Join(bases, ", "), what)
	}
	tname, err := pick("time", "timestamp", "time", "ts", "date")
	if err != nil {
		return err
	}
	vname, err := pick("value", "value")
	if err != nil {
		return err
	}

	bw := bufio.NewWriterSize(w, 64<<10)
	var b []byte
	b = appendCSVField(b, tname)
	b = append(b, ',')
	b = appendCSVField(b, vname)
	if needName {
		b = append(b, ","+series.MetricName...)
	}
	for _, n := range labelNames {
		b = append(b, ',')
		b = appendCSVField(b, n)
	}
	b = append(b, '\n')
	var suffix []byte
	for _, i := range sortedForWrite(ss) {
		s := ss[i]
		suffix = suffix[:0]
		if needName {
			suffix = append(suffix, ',')
			suffix = appendCSVField(suffix, s.Labels.Name())
		}
		for _, n := range labelNames {
			suffix = append(suffix, ',')
			suffix = appendCSVField(suffix, s.Labels.Get(n))
		}
		suffix = append(suffix, '\n')
		for k, t := range s.Timestamps {
			b = appendTimestamp(b, t)
			b = append(b, ',')
			b = strconv.AppendFloat(b, s.Values[k], 'g', -1, 64)
			b = append(b, suffix...)
			if len(b) > 32<<10 {
				if _, err := bw.Write(b); err != nil {
					return fmt.Errorf("cannot write CSV: %w", err)
				}
				b = b[:0]
			}
		}
	}
	if _, err := bw.Write(b); err != nil {
		return fmt.Errorf("cannot write CSV: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("cannot write CSV: %w", err)
	}
	return nil
}

// appendCSVField appends s, quoted when ReadCSV would not read it back
// unchanged otherwise.
func appendCSVField(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") && (s == "" || (s[0] > ' ' && s[len(s)-1] > ' ' && s[0] != '#')) {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}
