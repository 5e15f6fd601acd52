package pir

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// csvColumns are the columns of an incident CSV that are not labels.
var csvColumns = []string{"id", "start", "end", "title"}

// isCSVHeader reports whether line is the header of an incident CSV: comma
// separated, naming id or start.
func isCSVHeader(line []byte) bool {
	if !bytes.Contains(line, []byte(",")) {
		return false
	}
	r := csv.NewReader(bytes.NewReader(line))
	rec, err := r.Read()
	if err != nil {
		return false
	}
	for _, c := range rec {
		switch strings.ToLower(strings.TrimSpace(c)) {
		case "id", "start":
			return true
		}
	}
	return false
}

// parseCSV reads an incident CSV: a header id,start,end,title followed by
// label columns (any order; end, title and labels optional), then one
// incident a row. Times are read as parseTime does (UTC unless they say
// otherwise).
func parseCSV(data []byte, name string) ([]Incident, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, csvError(name, err)
	}
	col := map[string]int{}
	labels := map[int]string{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		lh := strings.ToLower(h)
		if _, dup := col[lh]; dup {
			return nil, parseErr(name, 1, h, "column named twice")
		}
		col[lh] = i
		isField := false
		for _, c := range csvColumns {
			if lh == c {
				isField = true
			}
		}
		if isField {
			continue
		}
		if !validLabelName(h) {
			return nil, parseErr(name, 1, h, "invalid label column name: want id, start, end, title, then label names (letters, digits, underscores)")
		}
		labels[i] = h
	}
	for _, c := range []string{"id", "start"} {
		if _, ok := col[c]; !ok {
			return nil, parseErr(name, 1, c, "missing column: want a header id,start,end,title then label columns")
		}
	}
	cell := func(rec []string, c string) string {
		i, ok := col[c]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	var out []Incident
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) > len(header) {
			return nil, parseErr(name, line, "", "%d fields, but the header has %d", len(rec), len(header))
		}
		in := Incident{ID: cell(rec, "id"), Title: cell(rec, "title")}
		if s := cell(rec, "start"); s != "" {
			if in.StartedAt, err = parseTime(s, nil); err != nil {
				return nil, &ParseError{File: name, Line: line, Field: "start", Msg: err.Error(), Err: err}
			}
		}
		if s := cell(rec, "end"); s != "" {
			if in.ResolvedAt, err = parseTime(s, nil); err != nil {
				return nil, &ParseError{File: name, Line: line, Field: "end", Msg: err.Error(), Err: err}
			}
		}
		for i, l := range labels {
			if i < len(rec) {
				in.setLabel(l, rec[i])
			}
		}
		if err := checkRecord(name, line, "", &in); err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, nil
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ParseError{File: name, Line: pe.Line, Msg: fmt.Sprintf("invalid CSV: %v", pe.Err), Err: err}
	}
	return &ParseError{File: name, Msg: fmt.Sprintf("invalid CSV: %v", err), Err: err}
}
