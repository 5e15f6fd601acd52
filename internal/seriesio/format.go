package seriesio

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/omenhq/omen/series"
)

// Format is one of the file formats the package reads.
type Format int

// The formats. FormatAuto asks Read to detect the format with DetectFormat.
const (
	FormatAuto Format = iota
	FormatCSV
	FormatPromJSON
	FormatOpenMetrics
)

var formatNames = [...]string{"auto", "csv", "promjson", "openmetrics"}

// String returns the format's name: auto, csv, promjson or openmetrics.
func (f Format) String() string {
	if f < 0 || int(f) >= len(formatNames) {
		return fmt.Sprintf("Format(%d)", int(f))
	}
	return formatNames[f]
}

// ParseFormat returns the format named s (as printed by String; also
// "json", "prom" and "om"), for command-line flags.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return FormatAuto, nil
	case "csv":
		return FormatCSV, nil
	case "promjson", "json":
		return FormatPromJSON, nil
	case "openmetrics", "om", "prom", "prometheus":
		return FormatOpenMetrics, nil
	}
	return FormatAuto, fmt.Errorf("unknown file format %q; expected auto, csv, promjson or openmetrics", s)
}

// DetectFormat tells the format of a file from its name and, when the
// extension says nothing, from the first bytes of its (decompressed)
// content. Extensions, after removing a final .gz: .csv is CSV; .json is
// Prometheus JSON; .om, .prom, .txt and .openmetrics are OpenMetrics. Content
// starting with '{' is JSON; content whose first non-comment line is a
// sample line (name or name{ followed by a value), or whose comments are
// # HELP, # TYPE, # UNIT or # EOF, is OpenMetrics; a first line with a comma
// is CSV. It returns FormatAuto when it cannot tell.
func DetectFormat(name string, head []byte) Format {
	ext := strings.ToLower(filepath.Ext(strings.TrimSuffix(strings.ToLower(name), ".gz")))
	switch ext {
	case ".csv":
		return FormatCSV
	case ".json":
		return FormatPromJSON
	case ".om", ".prom", ".txt", ".openmetrics":
		return FormatOpenMetrics
	}
	head = bytes.TrimPrefix(head, []byte("\ufeff"))
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return FormatPromJSON
	}
	for len(trimmed) > 0 {
		line := trimmed
		if i := bytes.IndexByte(trimmed, '\n'); i >= 0 {
			line, trimmed = trimmed[:i], trimmed[i+1:]
		} else {
			trimmed = nil
		}
		line = bytes.TrimSpace(line)
		switch {
		case len(line) == 0:
			continue
		case line[0] == '#':
			for _, p := range []string{"# HELP ", "# TYPE ", "# UNIT ", "# EOF"} {
				if bytes.HasPrefix(line, []byte(p)) {
					return FormatOpenMetrics
				}
			}
			continue
		case looksLikeSample(string(line)):
			return FormatOpenMetrics
		case bytes.IndexByte(line, ',') >= 0:
			return FormatCSV
		}
		return FormatAuto
	}
	return FormatAuto
}

// looksLikeSample reports whether line starts like an exposition-format
// sample: a metric name followed by '{' or by a blank and a value.
func looksLikeSample(line string) bool {
	i := 0
	for i < len(line) && (isNameChar(line[i]) || line[i] == ':') {
		i++
	}
	if !validMetricName(line[:i]) || i == len(line) {
		return false
	}
	if line[i] == '{' {
		return true
	}
	tok, _ := nextToken(line[i:])
	_, err := strconv.ParseFloat(tok, 64)
	return isBlank(line[i]) && err == nil
}

// Data is what Decode read: the series in time order with one sample per
// timestamp, the same samples as the file holds them, and what was
// repaired between the two.
type Data struct {
	// Series are sorted by labels, each with strictly increasing
	// timestamps: what analyses on a time grid use.
	Series []series.Series
	// Rows are the samples of Series[i] in file order, duplicates
	// included: what per-row output uses. They share memory with Series
	// when the file needed no repair.
	Rows []Rows
	// Repairs says what was sorted, dropped or assumed.
	Repairs Repairs
}

func newData(ss []series.Series, rows []Rows, rep Repairs) *Data {
	return &Data{Series: ss, Rows: rows, Repairs: rep}
}

// Read reads series in format f from r; name is used in errors and, with
// FormatAuto, to detect the format from the name or the first 4 KiB (see
// DetectFormat). Gzip-compressed input is recognised by its magic bytes and
// decompressed. Rows out of time order are sorted and of several samples
// of a series with the same timestamp the last is kept, silently: Decode
// says what was repaired.
func Read(r io.Reader, name string, f Format) ([]series.Series, error) {
	d, err := Decode(r, name, f)
	if err != nil {
		return nil, err
	}
	return d.Series, nil
}

// Decode reads r as Read does and returns the series with the rows as the
// file holds them and what was repaired.
func Decode(r io.Reader, name string, f Format) (*Data, error) {
	return decode(r, name, f, sizeHint(r))
}

// decode reads r, decompressing gzip; hint is its size when known, else 0.
func decode(r io.Reader, name string, f Format, hint int) (*Data, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("cannot decompress %s: %w", name, err)
		}
		defer zr.Close()
		br, hint = bufio.NewReaderSize(zr, 64<<10), 0
	}
	if f == FormatAuto {
		head, err := br.Peek(4096)
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("cannot read %s: %w", name, err)
		}
		f = DetectFormat(name, head)
	}
	switch f {
	case FormatCSV:
		return decodeCSV(br, name)
	case FormatPromJSON, FormatOpenMetrics:
		data, err := readAllHint(br, hint)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", name, err)
		}
		if f == FormatPromJSON {
			return parsePromJSON(data, name)
		}
		return parseOpenMetrics(data, name)
	case FormatAuto:
		return nil, fmt.Errorf("cannot tell the format of %s: expected a .csv, .json or .om file name, or content in one of these formats", name)
	}
	return nil, fmt.Errorf("cannot read %s: unknown format %v", name, f)
}
