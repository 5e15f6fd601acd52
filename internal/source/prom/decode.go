package prom

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/omenhq/omen/series"
)

// rangeBody is a decoded query_range response body.
type rangeBody struct {
	status     string
	errorType  string
	errMsg     string
	resultType string
	// series are the float series of the matrix, samples limited to
	// [lo, hi]; series left without samples are not included.
	series []series.Series
	// histograms counts the native histogram samples in [lo, hi], which
	// series.Series cannot hold and which are dropped.
	histograms int
	warnings   []string
	infos      []string
}

// syntaxError is a body that is not the JSON of a query_range response.
type syntaxError struct {
	msg    string
	offset int64 // byte offset in the body
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("%s at byte %d of the body", e.msg, e.offset)
}

// Limits of the decoder.
const (
	// decodeBufferSize is the size of the read buffer: the body is never
	// held whole.
	decodeBufferSize = 64 << 10
	// maxNesting bounds the depth of skipped JSON values, as encoding/json
	// does.
	maxNesting = 10000
	// maxInterned bounds the label strings interned per response.
	maxInterned = 1 << 16
)

// decodeQueryRange reads a query_range response body from r in one pass,
// straight into series: the body is never held whole and no intermediate
// model is built. Only the samples with lo ≤ t ≤ hi (Unix ms) are kept, so
// that windows never overlap even if a server widens one.
//
// The envelope is decoded as client_golang decodes it: status, errorType,
// error, warnings and infos, fields in any order, unknown fields ignored.
// Label sets come out sorted by name, a later duplicate name winning and
// empty values dropped (series.FromMap's set); label names and values are
// interned per response, so the many series sharing job="node" share one
// string. Timestamps are float seconds turned into milliseconds as
// client_golang does (digits past the third decimal are dropped); values
// are parsed by strconv.ParseFloat, which reads "NaN", "+Inf" and "-Inf".
// Strings are unescaped as by encoding/json, invalid UTF-8 and unpaired
// surrogates becoming U+FFFD. Timestamps that do not increase within a
// series are an error. Native histogram samples are counted, not kept.
//
// An error is a read error of r, returned as is (a truncated body), or a
// *syntaxError naming the byte offset.
func decodeQueryRange(r io.Reader, lo, hi int64) (*rangeBody, error) {
	return newDecoder(r, lo, hi, decodeBufferSize).decode()
}

// newDecoder returns a decoder reading r through a buffer of bufSize bytes.
func newDecoder(r io.Reader, lo, hi int64, bufSize int) *decoder {
	return &decoder{r: r, buf: make([]byte, bufSize), lo: lo, hi: hi, strs: make(map[string]string)}
}

// decode decodes the whole body; see decodeQueryRange.
func (d *decoder) decode() (*rangeBody, error) {
	b, err := d.body()
	if d.rerr != nil {
		return nil, d.rerr // a truncated body, whatever it looked like so far
	}
	if err != nil {
		return nil, err
	}
	return b, nil
}

// decoder is a JSON reader over a fixed buffer, refilled from r.
type decoder struct {
	r    io.Reader
	buf  []byte
	pos  int   // next unread byte of buf
	end  int   // bytes of buf holding data
	off  int64 // offset in the body of buf[0]
	rerr error // the first read error other than io.EOF
	eof  bool

	lo, hi int64
	strs   map[string]string // interned label names and values

	key     []byte // the current field name
	scratch []byte // a string or number crossing a refill, or unescaped
	labels  []series.Label
	ts      []int64
	vs      []float64
	nSeries int // series seen in the result, for messages
}

// more refills buf once pos has reached end; false at the end of the body
// or on a read error.
func (d *decoder) more() bool {
	if d.eof || d.rerr != nil {
		return false
	}
	d.off += int64(d.end)
	d.pos, d.end = 0, 0
	for {
		n, err := d.r.Read(d.buf)
		d.end = n
		if err != nil {
			if errors.Is(err, io.EOF) {
				d.eof = true
			} else {
				d.rerr = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

func (d *decoder) errorf(format string, args ...any) error {
	if d.rerr != nil {
		return d.rerr
	}
	return &syntaxError{msg: fmt.Sprintf(format, args...), offset: d.off + int64(d.pos)}
}

// endError is the error for a body that ends too early.
func (d *decoder) endError() error {
	if d.rerr != nil {
		return d.rerr
	}
	return &syntaxError{msg: "unexpected end of JSON input", offset: d.off + int64(d.pos)}
}

// space skips white space and returns the next byte without consuming it;
// ok is false at the end of the body.
func (d *decoder) space() (c byte, ok bool) {
	for {
		for d.pos < d.end {
			c := d.buf[d.pos]
			if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
				return c, true
			}
			d.pos++
		}
		if !d.more() {
			return 0, false
		}
	}
}

// next is space that treats the end of the body as an error.
func (d *decoder) next() (byte, error) {
	c, ok := d.space()
	if !ok {
		return 0, d.endError()
	}
	return c, nil
}

// expect consumes the byte want after white space.
func (d *decoder) expect(want byte, what string) error {
	c, err := d.next()
	if err != nil {
		return err
	}
	if c != want {
		return d.errorf("expected %s, found %s", what, describe(c))
	}
	d.pos++
	return nil
}

// describe names a byte found where something else was expected.
func describe(c byte) string {
	switch {
	case c == '"':
		return "a string"
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '-' || c >= '0' && c <= '9':
		return "a number"
	case c >= 0x20 && c < 0x7f:
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// body decodes the top-level object and checks that only white space
// follows it.
func (d *decoder) body() (*rangeBody, error) {
	b := &rangeBody{}
	c, err := d.next()
	if err != nil {
		return nil, err
	}
	if c != '{' {
		return nil, d.errorf("expected a JSON object, found %s", describe(c))
	}
	hasData := false
	err = d.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "status":
			b.status, err = d.optString()
		case "errorType":
			b.errorType, err = d.optString()
		case "error":
			b.errMsg, err = d.optString()
		case "warnings":
			b.warnings, err = d.stringList(b.warnings[:0])
		case "infos":
			b.infos, err = d.stringList(b.infos[:0])
		case "data":
			hasData = true
			err = d.data(b)
		default:
			err = d.skip(0)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if c, ok := d.space(); ok {
		return nil, d.errorf("unexpected %s after the response object", describe(c))
	}
	if d.rerr != nil {
		return nil, d.rerr
	}
	if b.status == "error" {
		return b, nil
	}
	switch {
	case !hasData:
		return nil, &syntaxError{msg: "the response has no data", offset: d.off + int64(d.pos)}
	case b.resultType == "":
		return nil, &syntaxError{msg: `unexpected value type ""`, offset: d.off + int64(d.pos)}
	}
	return b, nil
}

// object decodes an object whose '{' is the next byte, calling field for
// each field with its name (valid until field reads further) and leaving
// the value to it.
func (d *decoder) object(field func(key []byte) error) error {
	d.pos++ // '{'
	c, err := d.next()
	if err != nil {
		return err
	}
	if c == '}' {
		d.pos++
		return nil
	}
	for {
		if c != '"' {
			return d.errorf("expected a field name, found %s", describe(c))
		}
		k, err := d.str()
		if err != nil {
			return err
		}
		d.key = append(d.key[:0], k...)
		if err := d.expect(':', "':' after a field name"); err != nil {
			return err
		}
		if err := field(d.key); err != nil {
			return err
		}
		if c, err = d.next(); err != nil {
			return err
		}
		switch c {
		case ',':
			d.pos++
			if c, err = d.next(); err != nil {
				return err
			}
		case '}':
			d.pos++
			return nil
		default:
			return d.errorf("expected ',' or '}' in an object, found %s", describe(c))
		}
	}
}

// list decodes an array whose '[' is the next byte, calling elem for each
// element with its first byte, not consumed; what names the array in
// errors.
func (d *decoder) list(what string, elem func(c byte) error) error {
	d.pos++ // '['
	c, err := d.next()
	if err != nil {
		return err
	}
	if c == ']' {
		d.pos++
		return nil
	}
	for {
		if err := elem(c); err != nil {
			return err
		}
		if c, err = d.next(); err != nil {
			return err
		}
		switch c {
		case ',':
			d.pos++
			if c, err = d.next(); err != nil {
				return err
			}
		case ']':
			d.pos++
			return nil
		default:
			return d.errorf("expected ',' or ']' in %s, found %s", what, describe(c))
		}
	}
}

// data decodes the data object of a response.
func (d *decoder) data(b *rangeBody) error {
	c, err := d.next()
	if err != nil {
		return err
	}
	if c == 'n' {
		return d.literal("null")
	}
	if c != '{' {
		return d.errorf("expected the data object, found %s", describe(c))
	}
	notMatrix := false
	err = d.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "resultType":
			b.resultType, err = d.optString()
		case "result":
			notMatrix, err = d.result(b)
		default:
			err = d.skip(0)
		}
		return err
	})
	if err != nil {
		return err
	}
	switch b.resultType {
	case "matrix":
		if notMatrix {
			return d.errorf("the result of a matrix is not a list of series")
		}
	case "vector", "scalar", "string", "":
	default:
		return d.errorf("unexpected value type %q", b.resultType)
	}
	return nil
}

// result decodes the result list as a matrix. Anything else (a vector's
// samples, a scalar) is skipped and reported as notMatrix; resultType,
// which may come before or after it, then tells what it was.
func (d *decoder) result(b *rangeBody) (notMatrix bool, err error) {
	c, err := d.next()
	if err != nil {
		return false, err
	}
	if c == 'n' {
		return false, d.literal("null")
	}
	if c != '[' || b.resultType != "" && b.resultType != "matrix" {
		return true, d.skip(0)
	}
	err = d.list("the result", func(c byte) error {
		if c == '{' {
			return d.sampleStream(b)
		}
		notMatrix = true
		return d.skip(1)
	})
	return notMatrix, err
}

// sampleStream decodes one series of the matrix.
func (d *decoder) sampleStream(b *rangeBody) error {
	d.nSeries++
	d.labels, d.ts, d.vs = d.labels[:0], d.ts[:0], d.vs[:0]
	err := d.object(func(key []byte) error {
		switch string(key) {
		case "metric":
			return d.metric()
		case "values":
			return d.values()
		case "histograms":
			n, err := d.histograms()
			b.histograms += n
			return err
		}
		return d.skip(0)
	})
	if err != nil || len(d.ts) == 0 {
		return err
	}
	b.series = append(b.series, series.Series{
		Labels:     d.labelSet(),
		Timestamps: slices.Clone(d.ts),
		Values:     slices.Clone(d.vs),
	})
	return nil
}

// metric decodes a label set into d.labels.
func (d *decoder) metric() error {
	d.labels = d.labels[:0]
	c, err := d.next()
	if err != nil {
		return err
	}
	if c == 'n' {
		return d.literal("null")
	}
	if c != '{' {
		return d.errorf("expected the metric's labels, found %s", describe(c))
	}
	return d.object(func(key []byte) error {
		name := d.intern(key)
		c, err := d.next()
		if err != nil {
			return err
		}
		if c != '"' {
			return d.errorf("expected the value of label %q as a string, found %s", name, describe(c))
		}
		v, err := d.str()
		if err != nil {
			return err
		}
		d.labels = append(d.labels, series.Label{Name: name, Value: d.intern(v)})
		return nil
	})
}

// labelSet returns d.labels sorted by name, a later duplicate winning,
// without empty values, in a slice of its own.
func (d *decoder) labelSet() series.Labels {
	ls := d.labels
	// Insertion sort, stable: servers send the names sorted already.
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && ls[j].Name < ls[j-1].Name; j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
	n := 0
	for i, l := range ls {
		if i+1 < len(ls) && ls[i+1].Name == l.Name {
			continue // a later duplicate wins
		}
		if l.Value != "" {
			n++
		}
	}
	out := make(series.Labels, 0, n)
	for i, l := range ls {
		if (i+1 < len(ls) && ls[i+1].Name == l.Name) || l.Value == "" {
			continue
		}
		out = append(out, l)
	}
	return out
}

// intern returns b as a string, the same string for the same bytes within
// one response.
func (d *decoder) intern(b []byte) string {
	if s, ok := d.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.strs) < maxInterned {
		d.strs[s] = s
	}
	return s
}

// values decodes a list of [time, "value"] pairs into d.ts and d.vs,
// keeping those in [lo, hi].
func (d *decoder) values() error {
	d.ts, d.vs = d.ts[:0], d.vs[:0]
	c, err := d.next()
	if err != nil {
		return err
	}
	if c == 'n' {
		return d.literal("null")
	}
	if c != '[' {
		return d.errorf("expected the list of [time, \"value\"] samples, found %s", describe(c))
	}
	prev, i := int64(math.MinInt64), 0
	return d.list("the samples", func(c byte) error {
		if c != '[' {
			return d.errorf("expected a [time, \"value\"] sample, found %s", describe(c))
		}
		d.pos++
		t, err := d.timestamp()
		if err != nil {
			return err
		}
		if t <= prev && i > 0 {
			return d.errorf("series %d: sample %d at %d ms is not after the one before at %d ms", d.nSeries, i, t, prev)
		}
		if err := d.expect(',', "',' after a sample's time"); err != nil {
			return err
		}
		if c, err = d.next(); err != nil {
			return err
		}
		if c != '"' {
			return d.errorf("expected a sample value as a string, found %s", describe(c))
		}
		s, err := d.str()
		if err != nil {
			return err
		}
		v, err := strconv.ParseFloat(string(s), 64)
		if err != nil {
			return d.errorf("sample value %q is not a number", s)
		}
		if err := d.expect(']', "']' after a sample's value"); err != nil {
			return err
		}
		if t >= d.lo && t <= d.hi {
			d.ts = append(d.ts, t)
			d.vs = append(d.vs, v)
		}
		prev = t
		i++
		return nil
	})
}

// histograms counts the [time, {histogram}] pairs in [lo, hi].
func (d *decoder) histograms() (int, error) {
	c, err := d.next()
	if err != nil {
		return 0, err
	}
	if c == 'n' {
		return 0, d.literal("null")
	}
	if c != '[' {
		return 0, d.errorf("expected the list of histogram samples, found %s", describe(c))
	}
	n := 0
	err = d.list("the histogram samples", func(c byte) error {
		if c != '[' {
			return d.errorf("expected a [time, histogram] sample, found %s", describe(c))
		}
		d.pos++
		t, err := d.timestamp()
		if err != nil {
			return err
		}
		if err := d.expect(',', "',' after a sample's time"); err != nil {
			return err
		}
		if err := d.skip(2); err != nil {
			return err
		}
		if t >= d.lo && t <= d.hi {
			n++
		}
		return d.expect(']', "']' after a histogram")
	})
	return n, err
}

// timestamp decodes a sample time, float seconds, into milliseconds.
func (d *decoder) timestamp() (int64, error) {
	c, err := d.next()
	if err != nil {
		return 0, err
	}
	if c != '-' && (c < '0' || c > '9') {
		return 0, d.errorf("expected a sample time in seconds, found %s", describe(c))
	}
	num, err := d.number()
	if err != nil {
		return 0, err
	}
	t, ok := parseTime(num)
	if !ok {
		return 0, d.errorf("sample time %s is out of range", num)
	}
	return t, nil
}

// parseTime turns a valid JSON number of seconds into milliseconds as
// model.Time does: digits after the third decimal are dropped (towards
// zero). An exponent is read by strconv.ParseFloat and rounded to the
// millisecond. ok is false when the result does not fit an int64.
func parseTime(num []byte) (int64, bool) {
	for _, c := range num {
		if c == 'e' || c == 'E' {
			f, err := strconv.ParseFloat(string(num), 64)
			ms := math.Round(f * 1000)
			if err != nil || math.IsInf(ms, 0) || ms >= 1<<63 || ms < -(1<<63) {
				return 0, false
			}
			return int64(ms), true
		}
	}
	neg := num[0] == '-'
	if neg {
		num = num[1:]
	}
	// maxSec is the largest whole second whose milliseconds, with any
	// fraction, fit an int64.
	const maxSec = (math.MaxInt64 - 999) / 1000
	var sec int64
	i := 0
	for ; i < len(num) && num[i] != '.'; i++ {
		digit := int64(num[i] - '0')
		if sec > (maxSec-digit)/10 {
			return 0, false
		}
		sec = sec*10 + digit
	}
	ms := sec * 1000
	if i < len(num) { // the fraction: tenths, hundredths, thousandths
		frac := num[i+1:]
		for k, scale := 0, int64(100); k < 3 && k < len(frac); k, scale = k+1, scale/10 {
			ms += int64(frac[k]-'0') * scale
		}
	}
	if neg {
		return -ms, true
	}
	return ms, true
}

// number reads a JSON number token and checks its syntax. The bytes are
// valid until the next read.
func (d *decoder) number() ([]byte, error) {
	start := d.pos
	i := d.pos
	for i < d.end && isNumberByte(d.buf[i]) {
		i++
	}
	var num []byte
	if i < d.end || d.eof {
		num = d.buf[start:i]
		d.pos = i
	} else {
		// The number crosses the end of the buffer.
		d.scratch = append(d.scratch[:0], d.buf[start:i]...)
		d.pos = i
		for {
			if d.pos >= d.end && !d.more() {
				break
			}
			c := d.buf[d.pos]
			if !isNumberByte(c) {
				break
			}
			d.scratch = append(d.scratch, c)
			d.pos++
		}
		if d.rerr != nil {
			return nil, d.rerr
		}
		num = d.scratch
	}
	if !validNumber(num) {
		return nil, d.errorf("invalid number %q", num)
	}
	return num, nil
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// validNumber reports whether b is a JSON number:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = skipDigits(b, i)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return false
		}
		i = j
	}
	return i == len(b)
}

// skipDigits returns the index of the first non-digit of b at or after i.
func skipDigits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// str reads a string whose opening quote is the next byte and returns its
// unescaped bytes, valid until the next read.
func (d *decoder) str() ([]byte, error) {
	d.pos++ // '"'
	start := d.pos
	ascii := true
	for i := start; i < d.end; i++ {
		c := d.buf[i]
		if c == '"' {
			s := d.buf[start:i]
			if ascii || utf8.Valid(s) {
				d.pos = i + 1
				return s, nil
			}
			break
		}
		if c == '\\' || c < 0x20 {
			break
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	return d.strSlow(start)
}

// strSlow reads a string from buf[start:] that has escapes, crosses the end
// of the buffer or holds invalid UTF-8, into d.scratch.
func (d *decoder) strSlow(start int) ([]byte, error) {
	d.scratch = d.scratch[:0]
	d.pos = start
	var high rune // a pending high surrogate
	flush := func() {
		if high != 0 {
			d.scratch = utf8.AppendRune(d.scratch, utf8.RuneError)
			high = 0
		}
	}
	for {
		if d.pos >= d.end && !d.more() {
			return nil, d.endError()
		}
		c := d.buf[d.pos]
		switch {
		case c == '"':
			d.pos++
			flush()
			return toValidUTF8(d.scratch), nil
		case c < 0x20:
			return nil, d.errorf("invalid control character 0x%02x in a string", c)
		case c == '\\':
			d.pos++
			e, err := d.readByte()
			if err != nil {
				return nil, err
			}
			if e == 'u' {
				u, err := d.hex4()
				if err != nil {
					return nil, err
				}
				r := rune(u)
				switch {
				case high != 0 && utf16.IsSurrogate(r) && r >= 0xdc00:
					d.scratch = utf8.AppendRune(d.scratch, utf16.DecodeRune(high, r))
					high = 0
				case r >= 0xd800 && r < 0xdc00:
					flush()
					high = r
				default:
					flush()
					d.scratch = utf8.AppendRune(d.scratch, r) // a lone low surrogate becomes U+FFFD
				}
				continue
			}
			flush()
			switch e {
			case '"', '\\', '/':
				d.scratch = append(d.scratch, e)
			case 'b':
				d.scratch = append(d.scratch, '\b')
			case 'f':
				d.scratch = append(d.scratch, '\f')
			case 'n':
				d.scratch = append(d.scratch, '\n')
			case 'r':
				d.scratch = append(d.scratch, '\r')
			case 't':
				d.scratch = append(d.scratch, '\t')
			default:
				d.pos--
				return nil, d.errorf("invalid escape \\%c in a string", e)
			}
		default:
			flush()
			i := d.pos
			for i < d.end && d.buf[i] != '"' && d.buf[i] != '\\' && d.buf[i] >= 0x20 {
				i++
			}
			d.scratch = append(d.scratch, d.buf[d.pos:i]...)
			d.pos = i
		}
	}
}

// toValidUTF8 replaces each byte of b that is not part of valid UTF-8 by
// U+FFFD, as encoding/json does, in place when b is valid.
func toValidUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	return out
}

// readByte consumes one byte.
func (d *decoder) readByte() (byte, error) {
	if d.pos >= d.end && !d.more() {
		return 0, d.endError()
	}
	c := d.buf[d.pos]
	d.pos++
	return c, nil
}

// hex4 reads the four hex digits of a \u escape.
func (d *decoder) hex4() (uint16, error) {
	var u uint16
	for range 4 {
		c, err := d.readByte()
		if err != nil {
			return 0, err
		}
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			d.pos--
			return 0, d.errorf("invalid \\u escape in a string")
		}
		u = u<<4 | uint16(v)
	}
	return u, nil
}

// literal consumes the literal word (true, false, null).
func (d *decoder) literal(word string) error {
	for i := range len(word) {
		c, err := d.readByte()
		if err != nil {
			return err
		}
		if c != word[i] {
			d.pos--
			return d.errorf("invalid literal, expected %q", word)
		}
	}
	return nil
}

// optString reads a string or null ("").
func (d *decoder) optString() (string, error) {
	c, err := d.next()
	if err != nil {
		return "", err
	}
	switch c {
	case 'n':
		return "", d.literal("null")
	case '"':
		s, err := d.str()
		return string(s), err
	}
	return "", d.errorf("expected a string, found %s", describe(c))
}

// stringList reads a list of strings, or null, appending to dst.
func (d *decoder) stringList(dst []string) ([]string, error) {
	c, err := d.next()
	if err != nil {
		return nil, err
	}
	if c == 'n' {
		return dst, d.literal("null")
	}
	if c != '[' {
		return nil, d.errorf("expected a list of strings, found %s", describe(c))
	}
	err = d.list("a list of strings", func(c byte) error {
		if c != '"' {
			return d.errorf("expected a string in the list, found %s", describe(c))
		}
		s, err := d.str()
		dst = append(dst, string(s))
		return err
	})
	return dst, err
}

// skip consumes any JSON value, checking its syntax; depth is the nesting
// depth of the value.
func (d *decoder) skip(depth int) error {
	if depth > maxNesting {
		return d.errorf("exceeded max depth of %d nested values", maxNesting)
	}
	c, err := d.next()
	if err != nil {
		return err
	}
	switch {
	case c == '"':
		_, err := d.str()
		return err
	case c == '-' || c >= '0' && c <= '9':
		_, err := d.number()
		return err
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '{':
		return d.object(func([]byte) error { return d.skip(depth + 1) })
	case c == '[':
		return d.list("an array", func(byte) error { return d.skip(depth + 1) })
	}
	return d.errorf("expected a JSON value, found %s", describe(c))
}
