package pir

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrUnknownFormat is returned (wrapped) for a file whose content is none
// of the incident formats pir reads.
var ErrUnknownFormat = errors.New("pir: unknown incident format")

// ErrNotIncidents is returned (wrapped) for a file that pir recognises but
// that holds no incidents: an Alertmanager webhook log is alert history.
var ErrNotIncidents = errors.New("pir: not an incident file")

// ParseError is a malformed incident or history file: where, and what was
// expected.
type ParseError struct {
	// File is the file's name as given.
	File string
	// Line is the 1-based line, 0 when unknown.
	Line int
	// Field is the field at fault (started_at, incidents[3].created_at);
	// "" when the fault is not one field's.
	Field string
	// Msg says what was wrong and what was expected.
	Msg string
	// Err is the underlying error, if any.
	Err error
}

// Error formats the error as file:line: field: message.
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

func parseErr(file string, line int, field, format string, args ...any) *ParseError {
	return &ParseError{File: file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// timeLayouts are the layouts parseTime tries, most specific first. Those
// without a zone are read in the location given.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999 Z07:00",
	"2006-01-02 15:04Z07:00",
	"2006-01-02 15:04 Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
}

// timeWant is the sentence every time error ends with.
const timeWant = `want RFC3339 (2024-03-05T14:02:00Z), "2024-03-05 14:02" (UTC unless followed by Z, UTC or ±HH:MM) or Unix seconds`

// parseTime reads an instant as incident files write them: RFC3339, a
// date and time with or without seconds, "T" or a space between, followed
// or not by Z, UTC or ±HH:MM (without, in loc; nil is UTC), a date alone
// (midnight), or Unix seconds.
func parseTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if loc == nil {
		loc = time.UTC
	}
	if s == "" {
		return time.Time{}, fmt.Errorf("empty time: %s", timeWant)
	}
	if rest, ok := strings.CutSuffix(s, "UTC"); ok {
		s, loc = strings.TrimSpace(rest), time.UTC
		if s == "" {
			return time.Time{}, fmt.Errorf("cannot parse time %q: %s", "UTC", timeWant)
		}
	}
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UTC(), nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && isUnixSeconds(s) {
		sec, frac := int64(f), f-float64(int64(f))
		return time.Unix(sec, int64(frac*1e9)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("cannot parse time %q: %s", s, timeWant)
}

// isUnixSeconds reports whether s is a plain decimal number that can be a
// Unix time in seconds between 1970 and 9999.
func isUnixSeconds(s string) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f >= 0 && f < 253402300800
}
