package seriesio

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/omenhq/omen/series"
)

// ErrErrorResponse is wrapped by ReadPromJSON's error when the file holds a
// Prometheus API error response ("status":"error") instead of data.
var ErrErrorResponse = errors.New("seriesio: the response reports an error")

// ReadPromJSON reads the JSON body of a Prometheus (or VictoriaMetrics)
// /api/v1/query_range response:
//
//	{"status":"success","data":{"resultType":"matrix","result":[
//	  {"metric":{"__name__":"up","job":"node"},"values":[[1700000000.123,"1"],…]}]}}
//
// An /api/v1/query response with resultType "vector" (one "value" per
// series) is accepted too. Timestamps are decimal Unix seconds and are
// converted to milliseconds exactly, from the number's text; values are
// strings holding a number, NaN, +Inf or -Inf (bare JSON numbers are
// accepted as well). Other fields (warnings, infos, stats) are ignored. A
// "status":"error" response is returned as an error wrapping
// ErrErrorResponse with its errorType and error text. Syntax errors give the
// line and column; other errors also name the result entry, its labels and
// the sample index. Series with no samples are left out, samples are sorted
// by time (of several with the same timestamp the last one is kept; see
// Decode for what was repaired), and the series are returned sorted by
// labels.
func ReadPromJSON(r io.Reader, name string) ([]series.Series, error) {
	data, err := readAll(r)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, err)
	}
	d, err := parsePromJSON(data, name)
	if err != nil {
		return nil, err
	}
	return d.Series, nil
}

const promJSONShape = `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{…},"values":[[1700000000,"1"],…]}]}}`

func parsePromJSON(data []byte, name string) (*Data, error) {
	if len(data) >= 3 && string(data[:3]) == "\ufeff" {
		data = data[3:]
	}
	if !json.Valid(data) {
		var v struct{}
		err := json.Unmarshal(data, &v)
		var se *json.SyntaxError
		if !errors.As(err, &se) {
			return nil, offsetErr(name, data, 0, "invalid JSON; expected a Prometheus API response %s", promJSONShape)
		}
		off := len(data)
		if int(se.Offset) < len(data) {
			off = int(se.Offset) - 1
		}
		return nil, offsetErr(name, data, off, "invalid JSON: %v; expected a Prometheus API response %s", err, promJSONShape)
	}
	p := &jsonParser{data: data, name: name, seen: make(map[uint64][]entryRef)}
	return p.response()
}

// jsonParser walks a document that json.Valid has accepted, so it checks
// the shape of the document but not its syntax.
type jsonParser struct {
	data     []byte
	pos      int
	name     string
	builders []*builder
	seen     map[uint64][]entryRef
}

type entryRef struct {
	index int
	b     *builder
}

func (p *jsonParser) ws() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte (0 at the end).
func (p *jsonParser) peek() byte {
	p.ws()
	if p.pos >= len(p.data) {
		return 0
	}
	return p.data[p.pos]
}

func (p *jsonParser) errAt(off int, format string, args ...any) error {
	return offsetErr(p.name, p.data, off, format, args...)
}

func describe(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// stringEnd returns the offset just after the string starting at p.pos and
// whether it holds escapes.
func (p *jsonParser) stringEnd() (int, bool) {
	esc := false
	for i := p.pos + 1; i < len(p.data); i++ {
		switch p.data[i] {
		case '\\':
			esc = true
			i++
		case '"':
			return i + 1, esc
		}
	}
	return len(p.data), esc // unreachable for valid JSON
}

// str reads the string at p.pos, decoding escapes and replacing invalid
// UTF-8 as encoding/json does.
func (p *jsonParser) str() string {
	end, esc := p.stringEnd()
	raw := p.data[p.pos:end]
	p.pos = end
	if !esc && utf8.Valid(raw) {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	_ = json.Unmarshal(raw, &s) // raw is a valid JSON string
	return s
}

// stringValue reads a value that must be a string.
func (p *jsonParser) stringValue(what string) (string, error) {
	if c := p.peek(); c != '"' {
		return "", p.errAt(p.pos, "expected %s to be a string, found %s", what, describe(c))
	}
	return p.str(), nil
}

// skip skips one value.
func (p *jsonParser) skip() {
	depth := 0
	for p.ws(); p.pos < len(p.data); {
		switch c := p.data[p.pos]; c {
		case '"':
			p.pos, _ = p.stringEnd()
		case '{', '[':
			depth++
			p.pos++
		case '}', ']':
			depth--
			p.pos++
		case ',', ':', ' ', '\t', '\n', '\r':
			p.pos++
		default:
			for p.pos < len(p.data) && !isJSONDelim(p.data[p.pos]) {
				p.pos++
			}
		}
		if depth == 0 {
			return
		}
	}
}

func isJSONDelim(c byte) bool {
	switch c {
	case ',', ']', '}', ' ', '\t', '\n', '\r', ':':
		return true
	}
	return false
}

// object reads an object, calling fn for each key with p.pos at the value;
// fn must consume the value.
func (p *jsonParser) object(what string, fn func(key string) error) error {
	if c := p.peek(); c != '{' {
		return p.errAt(p.pos, "expected %s to be an object, found %s", what, describe(c))
	}
	p.pos++
	if p.peek() == '}' {
		p.pos++
		return nil
	}
	for {
		p.ws()
		key := p.str()
		p.ws()
		p.pos++ // ':'
		p.ws()
		if err := fn(key); err != nil {
			return err
		}
		c := p.peek()
		p.pos++
		if c == '}' {
			return nil
		}
	}
}

// array reads an array, calling fn for each element with p.pos at it.
func (p *jsonParser) array(what string, fn func(i int) error) error {
	if c := p.peek(); c != '[' {
		return p.errAt(p.pos, "expected %s to be an array, found %s", what, describe(c))
	}
	p.pos++
	if p.peek() == ']' {
		p.pos++
		return nil
	}
	for i := 0; ; i++ {
		p.ws()
		if err := fn(i); err != nil {
			return err
		}
		c := p.peek()
		p.pos++
		if c == ']' {
			return nil
		}
	}
}

func (p *jsonParser) response() (*Data, error) {
	var status, errorType, errText, resultType string
	statusOff, rtOff := -1, -1
	haveData, haveResult := false, false
	err := p.object("the response", func(key string) error {
		var err error
		switch key {
		case "status":
			statusOff = p.pos
			status, err = p.stringValue("status")
		case "errorType":
			errorType, err = p.stringValue("errorType")
		case "error":
			errText, err = p.stringValue("error")
		case "data":
			haveData = true
			if p.peek() == 'n' { // "data": null in error responses
				p.skip()
				return nil
			}
			err = p.object("data", func(key string) error {
				switch key {
				case "resultType":
					rtOff = p.pos
					var err error
					resultType, err = p.stringValue("data.resultType")
					return err
				case "result":
					haveResult = true
					if rtOff >= 0 && resultType != "matrix" && resultType != "vector" {
						return p.errAt(rtOff, "resultType %q is not supported; expected matrix or vector", resultType)
					}
					return p.array("data.result", p.entry)
				}
				p.skip()
				return nil
			})
		default:
			p.skip()
		}
		return err
	})
	switch {
	case status == "error":
		return nil, fmt.Errorf("%s: %w: %s: %s", p.name, ErrErrorResponse, errorType, errText)
	case err != nil:
		return nil, err
	case statusOff >= 0 && status != "success":
		return nil, p.errAt(statusOff, "unknown status %q; expected \"success\" or \"error\"", status)
	case !haveData || !haveResult:
		return nil, p.errAt(0, "no data.result; expected a Prometheus API response %s", promJSONShape)
	case rtOff >= 0 && resultType != "matrix" && resultType != "vector":
		return nil, p.errAt(rtOff, "resultType %q is not supported; expected matrix or vector", resultType)
	}
	return newData(finish(p.builders, 1, func(b *builder, k int) string {
		return fmt.Sprintf("sample %d of %s", k-1, b.labels)
	})), nil
}

// entry reads one element of data.result.
func (p *jsonParser) entry(i int) error {
	start := p.pos
	b := &builder{}
	haveMetric := false
	where := func() string {
		if haveMetric {
			return fmt.Sprintf("data.result[%d] %s", i, b.labels)
		}
		return fmt.Sprintf("data.result[%d]", i)
	}
	err := p.object(fmt.Sprintf("data.result[%d]", i), func(key string) error {
		switch key {
		case "metric":
			m := map[string]string{}
			err := p.object(where()+" metric", func(lname string) error {
				keyOff := p.pos
				v, err := p.stringValue(fmt.Sprintf("%s label %q", where(), lname))
				if err != nil {
					return err
				}
				if lname == "" {
					return p.errAt(keyOff, "%s: empty label name; expected a label name", where())
				}
				m[lname] = v
				return nil
			})
			b.labels, haveMetric = series.FromMap(m), true
			return err
		case "values":
			if c := p.peek(); c != '[' {
				return p.errAt(p.pos, "%s: expected values to be an array of [timestamp, \"value\"] pairs, found %s", where(), describe(c))
			}
			p.pos++
			if p.peek() == ']' {
				p.pos++
				return nil
			}
			for k := 0; ; k++ {
				if err := p.sample(b, k, where); err != nil {
					return err
				}
				c := p.peek()
				p.pos++
				if c == ']' {
					return nil
				}
			}
		case "value":
			return p.sample(b, len(b.ts), where)
		case "histogram", "histograms":
			return p.errAt(p.pos, "%s: native histograms are not supported; expected float samples in values", where())
		}
		p.skip()
		return nil
	})
	if err != nil {
		return err
	}
	fp := b.labels.Fingerprint()
	for _, e := range p.seen[fp] {
		if e.b.labels.Equal(b.labels) {
			return p.errAt(start, "data.result[%d] has the same labels %s as data.result[%d]; expected each series once", i, b.labels, e.index)
		}
	}
	p.seen[fp] = append(p.seen[fp], entryRef{i, b})
	p.builders = append(p.builders, b)
	return nil
}

// sample reads one [timestamp, "value"] pair, sample number k of b.
func (p *jsonParser) sample(b *builder, k int, where func() string) error {
	d := p.data
	if p.peek() != '[' {
		return p.errAt(p.pos, "%s: sample %d: expected [timestamp, \"value\"], found %s", where(), k, describe(p.peek()))
	}
	p.pos++
	c := p.peek()
	if c != '-' && (c < '0' || c > '9') {
		return p.errAt(p.pos, "%s: sample %d: expected the timestamp as a number of Unix seconds, found %s", where(), k, describe(c))
	}
	s := p.pos
	for p.pos < len(d) && !isJSONDelim(d[p.pos]) {
		p.pos++
	}
	t, ok := parseMillis(unsafeString(d[s:p.pos]))
	if !ok {
		return p.errAt(s, "%s: sample %d: timestamp %s is out of range; expected Unix seconds", where(), k, d[s:p.pos])
	}
	if p.peek() != ',' {
		return p.errAt(p.pos, "%s: sample %d: expected [timestamp, \"value\"] with a value after the timestamp", where(), k)
	}
	p.pos++
	var tok string
	switch c := p.peek(); {
	case c == '"':
		s := p.pos
		end, esc := p.stringEnd()
		if esc {
			tok = p.str()
		} else {
			tok = unsafeString(d[s+1 : end-1])
			p.pos = end
		}
	case c == '-' || c >= '0' && c <= '9':
		s := p.pos
		for p.pos < len(d) && !isJSONDelim(d[p.pos]) {
			p.pos++
		}
		tok = unsafeString(d[s:p.pos])
	default:
		return p.errAt(p.pos, "%s: sample %d: expected the value as a string such as \"1.5\", found %s", where(), k, describe(c))
	}
	v, err := parseFloat(tok)
	if err != nil {
		return p.errAt(p.pos-1, "%s: sample %d: cannot parse value %q; expected a number, NaN, +Inf or -Inf", where(), k, tok)
	}
	if p.peek() != ']' {
		return p.errAt(p.pos, "%s: sample %d: expected [timestamp, \"value\"] with nothing after the value", where(), k)
	}
	p.pos++
	b.add(t, v, k+1)
	return nil
}

// WritePromJSON writes series as the JSON body of a successful Prometheus
// /api/v1/query_range response (resultType "matrix"), one series per line:
// timestamps as decimal Unix seconds with at most three decimals, values as
// strings printed with strconv 'g' -1 ("NaN", "+Inf", "-Inf"), so
// ReadPromJSON reads everything back exactly. Series without samples are
// left out.
func WritePromJSON(w io.Writer, ss []series.Series) error {
	if err := checkSeries(ss); err != nil {
		return fmt.Errorf("cannot write Prometheus JSON: %w", err)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	b := []byte(`{"status":"success","data":{"resultType":"matrix","result":[`)
	first := true
	for _, i := range sortedForWrite(ss) {
		s := ss[i]
		if s.Len() == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, "\n{\"metric\":{"...)
		for j, l := range s.Labels {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, l.Name)
			b = append(b, ':')
			b = appendJSONString(b, l.Value)
		}
		b = append(b, `},"values":[`...)
		for k, t := range s.Timestamps {
			if k > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = appendSeconds(b, t)
			b = append(b, ',', '"')
			b = strconv.AppendFloat(b, s.Values[k], 'g', -1, 64)
			b = append(b, '"', ']')
			if len(b) > 32<<10 {
				if _, err := bw.Write(b); err != nil {
					return fmt.Errorf("cannot write Prometheus JSON: %w", err)
				}
				b = b[:0]
			}
		}
		b = append(b, "]}"...)
	}
	b = append(b, "\n]}}\n"...)
	if _, err := bw.Write(b); err != nil {
		return fmt.Errorf("cannot write Prometheus JSON: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("cannot write Prometheus JSON: %w", err)
	}
	return nil
}

// appendJSONString appends s as a JSON string, escaped as encoding/json
// reads it back: quotes, backslashes and control characters escaped, and
// invalid UTF-8 written as U+FFFD (as encoding/json does).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
		i++
	}
	return append(b, '"')
}
