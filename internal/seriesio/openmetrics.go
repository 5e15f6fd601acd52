package seriesio

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/omenhq/omen/series"
)

// ReadOpenMetrics reads series from OpenMetrics text or from the Prometheus
// text exposition format, each sample with a timestamp; name is the file
// name used in errors.
//
// Lines look like `metric{a="b",c="d"} 1.5 1700000000`. Label values may
// hold the escapes \\, \" and \n. # HELP, # TYPE, # UNIT and other comment
// lines and blank lines are skipped; exemplars (" # {…} …" after the
// timestamp) are ignored. When the input has a "# EOF" line it is
// OpenMetrics: the line must end the input, and timestamps are decimal Unix
// seconds (rounded to the millisecond). Otherwise it is the Prometheus text
// format, whose timestamps are integer Unix milliseconds — but a file
// without "# EOF" is often OpenMetrics cut short, so the unit is told from
// the numbers as for CSV: integers of absolute value at least 1e11 are
// milliseconds, anything else (smaller, or with a fraction) seconds; a file
// mixing both is an error, and reading seconds without "# EOF" (or a .om
// file without it) is reported in Repairs.Warnings (see Decode). A sample
// without a timestamp is an error, since history needs one. Samples of a
// series may come in any order and are sorted; of several with the same
// timestamp the last one in the file is kept. The series are returned
// sorted by labels.
func ReadOpenMetrics(r io.Reader, name string) ([]series.Series, error) {
	data, err := readAll(r)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, err)
	}
	d, err := parseOpenMetrics(data, name)
	if err != nil {
		return nil, err
	}
	return d.Series, nil
}

func parseOpenMetrics(data []byte, name string) (*Data, error) {
	bs, notes, err := collectOpenMetrics(unsafeString(data), name)
	if err != nil {
		return nil, err
	}
	d := newData(finish(bs, 1, lineAt))
	d.Repairs.Warnings = append(d.Repairs.Warnings, notes.warnings...)
	d.Repairs.Assumed = append(d.Repairs.Assumed, notes.assumed...)
	return d, nil
}

// omNotes is what collectOpenMetrics assumed about the timestamp unit.
type omNotes struct{ warnings, assumed []string }

// findEOF returns the offsets of the start of the first "# EOF" line and of
// the byte after it, or -1, -1.
func findEOF(text string) (start, end int) {
	for off := 0; off < len(text); {
		i := strings.Index(text[off:], "# EOF")
		if i < 0 {
			break
		}
		i += off
		if i == 0 || text[i-1] == '\n' {
			j := i + len("# EOF")
			for j < len(text) && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r') {
				j++
			}
			if j == len(text) {
				return i, j
			}
			if text[j] == '\n' {
				return i, j + 1
			}
		}
		off = i + 1
	}
	return -1, -1
}

func collectOpenMetrics(text, name string) ([]*builder, omNotes, error) {
	text = strings.TrimPrefix(text, "\ufeff")
	om := false
	if start, end := findEOF(text); start >= 0 {
		om = true
		if rest := text[end:]; strings.TrimSpace(rest) != "" {
			i := len(rest) - len(strings.TrimLeft(rest, " \t\r\n"))
			return nil, omNotes{}, lineErr(name, strings.Count(text[:end+i], "\n")+1, "unexpected content after the # EOF line; expected # EOF to end the input")
		}
		text = text[:start]
	}
	var (
		bs       []*builder
		byRaw    = make(map[string]*builder)
		byLabels = make(map[uint64][]*builder)
		last     *builder
		lastRaw  string
		// The first timestamps read as milliseconds and as seconds, when
		// the input has no # EOF line.
		msLine, secLine int
		msTok, secTok   string
	)
	line := 0
	for pos := 0; pos < len(text); {
		line++
		var l string
		if nl := strings.IndexByte(text[pos:], '\n'); nl >= 0 {
			l = text[pos : pos+nl]
			pos += nl + 1
		} else {
			l = text[pos:]
			pos = len(text)
		}
		if len(l) > 0 && l[len(l)-1] == '\r' {
			l = l[:len(l)-1]
		}
		if len(l) == 0 || l[0] == '#' {
			continue
		}
		if isBlank(l[0]) {
			l = strings.TrimLeft(l, " \t")
			if len(l) == 0 {
				continue
			}
		}
		var b *builder
		var rest string
		if last != nil && len(l) > len(lastRaw) && isBlank(l[len(lastRaw)]) && l[:len(lastRaw)] == lastRaw {
			b, rest = last, l[len(lastRaw):]
		} else {
			end := seriesEnd(l)
			if end < 0 {
				if _, err := parseSeriesText(l, name, line); err != nil {
					return nil, omNotes{}, err
				}
				return nil, omNotes{}, lineErr(name, line, "expected a metric name and an optional {label=\"value\",…} set at the start of the line")
			}
			raw := l[:end]
			if b = byRaw[raw]; b == nil {
				ls, err := parseSeriesText(raw, name, line)
				if err != nil {
					return nil, omNotes{}, err
				}
				fp := ls.Fingerprint()
				for _, c := range byLabels[fp] {
					if c.labels.Equal(ls) {
						b = c
						break
					}
				}
				if b == nil {
					b = &builder{labels: ls}
					byLabels[fp] = append(byLabels[fp], b)
					bs = append(bs, b)
				}
				byRaw[strings.Clone(raw)] = b
			}
			last, lastRaw = b, raw
			rest = l[end:]
			if len(rest) > 0 && !isBlank(rest[0]) {
				return nil, omNotes{}, &ParseError{File: name, Line: line, Column: end + 1,
					Msg: fmt.Sprintf("unexpected %q after %s; expected a space and the value", rest[0], raw)}
			}
		}
		vtok, rest := nextToken(rest)
		if vtok == "" {
			return nil, omNotes{}, lineErr(name, line, "sample of %s has no value; expected a space, the value and the timestamp", b.labels)
		}
		v, err := parseFloat(vtok)
		if err != nil {
			return nil, omNotes{}, lineErr(name, line, "cannot parse value %q of %s: expected a number, NaN, +Inf or -Inf", vtok, b.labels)
		}
		ttok, rest := nextToken(rest)
		if ttok == "" || ttok[0] == '#' {
			if om {
				return nil, omNotes{}, lineErr(name, line, "sample of %s has no timestamp; expected Unix seconds after the value, as history needs one", b.labels)
			}
			return nil, omNotes{}, lineErr(name, line, "sample of %s has no timestamp; expected Unix milliseconds after the value, as history needs one", b.labels)
		}
		t, ok := parseMillis(ttok)
		if !ok {
			if om {
				return nil, omNotes{}, lineErr(name, line, "cannot parse timestamp %q of %s: expected Unix seconds such as 1700000000.5 (the input is OpenMetrics, as it ends with # EOF)", ttok, b.labels)
			}
			return nil, omNotes{}, lineErr(name, line, "cannot parse timestamp %q of %s: expected Unix milliseconds such as 1700000000000 (the Prometheus text format) or Unix seconds such as 1700000000.5 (OpenMetrics)", ttok, b.labels)
		}
		if !om {
			// The unit is decided for the whole file once it is read.
			if isMillisToken(ttok) {
				if msLine == 0 {
					msLine, msTok = line, ttok
				}
			} else if secLine == 0 {
				secLine, secTok = line, ttok
			}
		}
		if rest = strings.TrimLeft(rest, " \t"); rest != "" && rest[0] != '#' {
			return nil, omNotes{}, lineErr(name, line, "unexpected %q after the timestamp of %s; expected the end of the line or an exemplar (# {…})", rest, b.labels)
		}
		b.add(t, v, line)
	}
	var notes omNotes
	switch {
	case om || (msLine == 0 && secLine == 0):
	case msLine > 0 && secLine > 0:
		return nil, notes, lineErr(name, max(msLine, secLine), "timestamps mix Unix milliseconds (%s on line %d) and Unix seconds (%s on line %d); expected one unit in the file", msTok, msLine, secTok, secLine)
	case msLine > 0:
		for _, b := range bs {
			for i := range b.ts {
				b.ts[i] /= 1000 // parsed as seconds, exact for the integers seen
			}
			b.maxT /= 1000
		}
		msg := fmt.Sprintf("%s has no # EOF line: read as the Prometheus text format, timestamps in Unix milliseconds (like %s on line %d)", name, msTok, msLine)
		if isOpenMetricsName(name) {
			notes.warnings = append(notes.warnings, msg+"; an OpenMetrics file must end with # EOF, so it may be cut short")
		} else {
			notes.assumed = append(notes.assumed, msg)
		}
	default:
		notes.warnings = append(notes.warnings, fmt.Sprintf("%s has no # EOF line, but its timestamps (like %s on line %d) are not integers of at least 1e11, so they were read as Unix seconds as in OpenMetrics, not as the milliseconds of the Prometheus text format; end the file with # EOF to say so", name, secTok, secLine))
	}
	return bs, notes, nil
}

// isMillisToken reports whether a timestamp token reads as Unix
// milliseconds when the format does not say: an integer of absolute value
// at least 1e11 (1e11 seconds is in the year 5138, 1e11 milliseconds in
// March 1973), the rule ReadCSV applies.
func isMillisToken(tok string) bool {
	d := strings.TrimPrefix(strings.TrimPrefix(tok, "-"), "+")
	return isDigits(d) && len(strings.TrimLeft(d, "0")) > msThreshold
}

// isOpenMetricsName reports whether a file name says OpenMetrics.
func isOpenMetricsName(name string) bool {
	ext := strings.ToLower(filepath.Ext(strings.TrimSuffix(strings.ToLower(name), ".gz")))
	return ext == ".om" || ext == ".openmetrics"
}

// nextToken skips blanks and returns the text up to the next blank.
func nextToken(s string) (tok, rest string) {
	i := 0
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	j := i
	for j < len(s) && !isBlank(s[j]) {
		j++
	}
	return s[i:j], s[j:]
}

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isNameChar(c byte) bool { return isNameStart(c) || c >= '0' && c <= '9' }

// seriesEnd returns the length of the metric name and label set at the
// start of l, or -1 when they are malformed.
func seriesEnd(l string) int {
	i := 0
	for i < len(l) && (isNameChar(l[i]) || l[i] == ':') {
		i++
	}
	if i == 0 {
		return -1
	}
	if i == len(l) || l[i] != '{' {
		return i
	}
	for i++; i < len(l); i++ {
		switch l[i] {
		case '}':
			return i + 1
		case '"':
			for i++; i < len(l) && l[i] != '"'; i++ {
				if l[i] == '\\' {
					i++
				}
			}
			if i >= len(l) {
				return -1
			}
		}
	}
	return -1
}

// parseSeriesText parses `name` or `name{a="b",…}` (the whole of s, or its
// start when s is a malformed line) into labels.
func parseSeriesText(s, file string, line int) (series.Labels, error) {
	errAt := func(col int, format string, args ...any) error {
		return &ParseError{File: file, Line: line, Column: col + 1, Msg: fmt.Sprintf(format, args...)}
	}
	i := 0
	if len(s) == 0 || !(isNameStart(s[0]) || s[0] == ':') {
		return nil, errAt(0, "expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) at the start of the line, found %q", prefix(s))
	}
	for i < len(s) && (isNameChar(s[i]) || s[i] == ':') {
		i++
	}
	m := map[string]string{series.MetricName: s[:i]}
	if i == len(s) || s[i] != '{' {
		return series.FromMap(m), nil
	}
	i++
	for {
		for i < len(s) && isBlank(s[i]) {
			i++
		}
		if i < len(s) && s[i] == '}' {
			break
		}
		start := i
		if i < len(s) && isNameStart(s[i]) {
			for i < len(s) && isNameChar(s[i]) {
				i++
			}
		}
		if i == start {
			return nil, errAt(i, "expected a label name ([a-zA-Z_][a-zA-Z0-9_]*) or '}', found %q", prefix(s[i:]))
		}
		lname := s[start:i]
		if lname == series.MetricName {
			return nil, errAt(start, "label %s inside braces; expected the metric name before them", lname)
		}
		if _, dup := m[lname]; dup {
			return nil, errAt(start, "label %s repeated; expected each label once", lname)
		}
		for i < len(s) && isBlank(s[i]) {
			i++
		}
		if i >= len(s) || s[i] != '=' {
			return nil, errAt(i, "expected '=' after label name %s, found %q", lname, prefix(s[i:]))
		}
		i++
		for i < len(s) && isBlank(s[i]) {
			i++
		}
		if i >= len(s) || s[i] != '"' {
			return nil, errAt(i, "expected a quoted value for label %s, found %q", lname, prefix(s[i:]))
		}
		i++
		var val []byte
		vstart := i
		closed := false
		for i < len(s) {
			c := s[i]
			if c == '"' {
				closed = true
				break
			}
			if c != '\\' {
				if val != nil {
					val = append(val, c)
				}
				i++
				continue
			}
			if val == nil {
				val = append([]byte{}, s[vstart:i]...)
			}
			if i+1 >= len(s) {
				break
			}
			switch s[i+1] {
			case '\\':
				val = append(val, '\\')
			case '"':
				val = append(val, '"')
			case 'n':
				val = append(val, '\n')
			default:
				return nil, errAt(i, "unknown escape \\%c in the value of label %s; expected \\\\, \\\" or \\n", s[i+1], lname)
			}
			i += 2
		}
		if !closed {
			return nil, errAt(vstart-1, "the value of label %s is not closed; expected a closing quote", lname)
		}
		v := s[vstart:i]
		if val != nil {
			v = string(val)
		} else {
			v = strings.Clone(v)
		}
		if !utf8.ValidString(v) {
			return nil, errAt(vstart, "the value of label %s is not valid UTF-8", lname)
		}
		m[strings.Clone(lname)] = v
		i++
		for i < len(s) && isBlank(s[i]) {
			i++
		}
		if i < len(s) && s[i] == ',' {
			i++
			continue
		}
		if i < len(s) && s[i] == '}' {
			break
		}
		return nil, errAt(i, "expected ',' or '}' after the value of label %s, found %q", lname, prefix(s[i:]))
	}
	m[series.MetricName] = strings.Clone(m[series.MetricName])
	return series.FromMap(m), nil
}

// prefix returns the start of s for an error message.
func prefix(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

// validMetricName reports whether s matches [a-zA-Z_:][a-zA-Z0-9_:]*.
func validMetricName(s string) bool {
	if s == "" || !(isNameStart(s[0]) || s[0] == ':') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isNameChar(s[i]) && s[i] != ':' {
			return false
		}
	}
	return true
}

// validLabelName reports whether s matches [a-zA-Z_][a-zA-Z0-9_]*.
func validLabelName(s string) bool {
	if s == "" || !isNameStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isNameChar(s[i]) {
			return false
		}
	}
	return true
}

// WriteOpenMetrics writes series as OpenMetrics text: one line
// `name{label="value",…} value timestamp` per sample, timestamps in Unix
// seconds with at most three decimals (1700000000.5), values printed with
// strconv 'g' -1 (+Inf, -Inf), series grouped by metric name so that no
// metric family interleaves, each series' samples in time order, and a
// final "# EOF" line. This is the input of
// "promtool tsdb create-blocks-from openmetrics" and of VictoriaMetrics'
// /api/v1/import/prometheus.
//
// NaN samples are left out: in a TSDB a missing sample is an absent one.
// Every series needs a metric name, and names must be valid Prometheus
// metric and label names; otherwise nothing is written and an error says
// which series is at fault.
func WriteOpenMetrics(w io.Writer, ss []series.Series) error {
	if err := checkSeries(ss); err != nil {
		return fmt.Errorf("cannot write OpenMetrics: %w", err)
	}
	for i, s := range ss {
		n := s.Labels.Name()
		if n == "" {
			return fmt.Errorf("cannot write OpenMetrics: series %d %s has no metric name; expected a __name__ label", i, s.Labels)
		}
		if !validMetricName(n) {
			return fmt.Errorf("cannot write OpenMetrics: series %d %s: metric name %q does not match [a-zA-Z_:][a-zA-Z0-9_:]*", i, s.Labels, n)
		}
		for _, l := range s.Labels {
			if l.Name != series.MetricName && !validLabelName(l.Name) {
				return fmt.Errorf("cannot write OpenMetrics: series %d %s: label name %q does not match [a-zA-Z_][a-zA-Z0-9_]*", i, s.Labels, l.Name)
			}
		}
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var b, head []byte
	for _, i := range sortedForWrite(ss) {
		s := ss[i]
		head = append(head[:0], s.Labels.Name()...)
		first := true
		for _, l := range s.Labels {
			if l.Name == series.MetricName || l.Value == "" {
				continue
			}
			if first {
				head = append(head, '{')
				first = false
			} else {
				head = append(head, ',')
			}
			head = append(head, l.Name...)
			head = append(head, '=', '"')
			head = appendEscaped(head, l.Value)
			head = append(head, '"')
		}
		if !first {
			head = append(head, '}')
		}
		head = append(head, ' ')
		for k, t := range s.Timestamps {
			v := s.Values[k]
			if math.IsNaN(v) {
				continue
			}
			b = append(b, head...)
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
			b = append(b, ' ')
			b = appendSeconds(b, t)
			b = append(b, '\n')
			if len(b) > 32<<10 {
				if _, err := bw.Write(b); err != nil {
					return fmt.Errorf("cannot write OpenMetrics: %w", err)
				}
				b = b[:0]
			}
		}
	}
	b = append(b, "# EOF\n"...)
	if _, err := bw.Write(b); err != nil {
		return fmt.Errorf("cannot write OpenMetrics: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("cannot write OpenMetrics: %w", err)
	}
	return nil
}

// appendEscaped appends a label value with \, " and newline escaped.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '"':
			b = append(b, '\\', '"')
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, c)
		}
	}
	return b
}
