package seriesio

import (
	"bytes"
	"errors"
	"fmt"
)

// ErrSyntax is wrapped by every error about malformed input, so callers can
// tell bad data from I/O failures with errors.Is.
var ErrSyntax = errors.New("seriesio: malformed input")

// ParseError describes malformed input: which file, where in it, and what
// was expected there. It wraps ErrSyntax.
type ParseError struct {
	// File is the name the reader was given.
	File string
	// Line is the 1-based line number, 0 when the error is not about one line.
	Line int
	// Column is the 1-based byte column within Line, 0 when unknown.
	Column int
	// Msg says what is wrong and what was expected.
	Msg string
}

// Error formats the error as "file:line:column: message", leaving out the
// parts that are unknown.
func (e *ParseError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Unwrap returns ErrSyntax.
func (e *ParseError) Unwrap() error { return ErrSyntax }

func lineErr(file string, line int, format string, args ...any) error {
	return &ParseError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// offsetErr reports an error at byte offset off of data as line:column.
func offsetErr(file string, data []byte, off int, format string, args ...any) error {
	line, col := lineCol(data, off)
	return &ParseError{File: file, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// lineCol converts a byte offset into a 1-based line and column.
func lineCol(data []byte, off int) (line, col int) {
	off = max(0, min(off, len(data)))
	line = bytes.Count(data[:off], []byte{'\n'}) + 1
	col = off - (bytes.LastIndexByte(data[:off], '\n') + 1) + 1
	return line, col
}
