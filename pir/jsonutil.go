package pir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// jsonElem is one element of a JSON list with the line it starts on.
type jsonElem struct {
	raw   json.RawMessage
	line  int
	field string // incidents[3]
}

// jsonList returns the elements of the array under the top-level key of a
// JSON object, each with its line.
func jsonList(data []byte, name, key string) ([]jsonElem, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonError(data, name, "", 0, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, parseErr(name, 1, "", "want a JSON object with %q holding a list", key)
	}
	var out []jsonElem
	found := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonError(data, name, "", 0, err)
		}
		k, _ := tok.(string)
		if k != key || found {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, jsonError(data, name, k, 0, err)
			}
			continue
		}
		found = true
		tok, err = dec.Token()
		if err != nil {
			return nil, jsonError(data, name, key, 0, err)
		}
		if tok == nil {
			continue // "incidents": null
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return nil, parseErr(name, lineAt(data, int(dec.InputOffset())), key, "want a list")
		}
		for i := 0; dec.More(); i++ {
			off := skipSpace(data, int(dec.InputOffset()))
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, jsonError(data, name, fmt.Sprintf("%s[%d]", key, i), 0, err)
			}
			out = append(out, jsonElem{raw: raw, line: lineAt(data, off), field: fmt.Sprintf("%s[%d]", key, i)})
		}
		if _, err := dec.Token(); err != nil {
			return nil, jsonError(data, name, key, 0, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, jsonError(data, name, "", 0, err)
	}
	if !found {
		return nil, parseErr(name, 1, key, "missing: want a JSON object with %q holding a list", key)
	}
	return out, nil
}

// decodeElem decodes one list element into v, errors naming its field.
func decodeElem(data []byte, name string, e jsonElem, v any) error {
	if err := json.Unmarshal(e.raw, v); err != nil {
		return jsonError(data, name, e.field, e.line, err)
	}
	return nil
}

// jsonError turns an encoding/json error into a ParseError. line is the
// line of the element decoded (0: offsets are of data itself).
func jsonError(data []byte, name, field string, line int, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se) && strings.Contains(se.Error(), "unexpected end"):
		return &ParseError{File: name, Line: lineAt(data, len(bytes.TrimRight(data, " \t\r\n"))), Field: field, Msg: "invalid JSON: the file ends too early", Err: err}
	case errors.As(err, &se):
		l := line
		if l == 0 {
			l = lineAt(data, int(se.Offset))
		}
		return &ParseError{File: name, Line: l, Field: field, Msg: "invalid JSON: " + se.Error(), Err: err}
	case errors.As(err, &te):
		f := field
		if te.Field != "" {
			f += "." + te.Field
		}
		return &ParseError{File: name, Line: line, Field: f, Msg: fmt.Sprintf("want %s, not a JSON %s", jsonType(te.Type.String()), te.Value), Err: err}
	}
	if errors.Is(err, errUnexpectedEOF) || strings.Contains(err.Error(), "unexpected EOF") {
		return &ParseError{File: name, Line: lineAt(data, len(data)), Field: field, Msg: "invalid JSON: the file ends too early", Err: err}
	}
	return &ParseError{File: name, Line: line, Field: field, Msg: "invalid JSON: " + err.Error(), Err: err}
}

var errUnexpectedEOF = errors.New("unexpected EOF")

func jsonType(goType string) string {
	switch {
	case goType == "string" || goType == "pir.jstr":
		return "a string"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map[") || strings.HasPrefix(goType, "struct") || strings.HasPrefix(goType, "pir."):
		return "an object"
	case strings.HasPrefix(goType, "int") || strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "bool":
		return "true or false"
	}
	return goType
}

// lineAt returns the 1-based line of byte offset off in data.
func lineAt(data []byte, off int) int {
	if off > len(data) {
		off = len(data)
	}
	if off < 0 {
		off = 0
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

func skipSpace(data []byte, off int) int {
	for off < len(data) && (data[off] == ' ' || data[off] == '\t' || data[off] == '\n' || data[off] == '\r' || data[off] == ',') {
		off++
	}
	return off
}

// jstr is a JSON value read as a string: a string, a number as written, a
// boolean, or "" for null.
type jstr string

func (s *jstr) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*s = ""
	case b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = jstr(v)
	case b[0] == '{' || b[0] == '[':
		return &json.UnmarshalTypeError{Value: "object or list", Type: jstrType}
	default:
		*s = jstr(b)
	}
	return nil
}

var jstrType = reflect.TypeOf("")

// jsonTime reads a timestamp field of a tool's export; "" is the zero time.
func jsonTime(name string, e jsonElem, field string, s jstr) (time.Time, error) {
	if strings.TrimSpace(string(s)) == "" {
		return time.Time{}, nil
	}
	t, err := parseTime(string(s), nil)
	if err != nil {
		return time.Time{}, &ParseError{File: name, Line: e.line, Field: e.field + "." + field, Msg: err.Error(), Err: err}
	}
	return t, nil
}

// alertTitleRe finds the alert name in a title written by Alertmanager's
// integrations: "[FIRING:2] HighErrorRate (checkout critical)".
var alertTitleRe = regexp.MustCompile(`^\s*\[(?:FIRING|RESOLVED)(?::\d+)?\]\s*([A-Za-z_:][A-Za-z0-9_:]*)`)

// alertFromTitle returns the alert name of an Alertmanager-written title.
func alertFromTitle(title string) string {
	if m := alertTitleRe.FindStringSubmatch(title); m != nil {
		return m[1]
	}
	return ""
}

// drillTitleRe recognises a title marking an exercise.
var drillTitleRe = regexp.MustCompile(`(?i)^\s*(?:\[(?:test|drill|game ?day|exercise)\]|(?:test|drill|game ?day|exercise)\s*[:\-—])`)

// setTitleMode marks an incident whose title says it is a drill.
func setTitleMode(in *Incident) {
	if drillTitleRe.MatchString(in.Title) {
		in.Mode = ModeDrill
	}
}

// joinNames joins non-empty names with "|" (label alternatives).
func joinNames(names []string) string {
	var out []string
	for _, n := range names {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, strings.ReplaceAll(n, "|", "/"))
		}
	}
	return strings.Join(out, "|")
}

// itoa formats an int.
func itoa(i int) string { return strconv.Itoa(i) }

// eachRecord decodes every element of the list under the top-level key
// into a T and calls fn with it, stopping at the first error.
func eachRecord[T any](data []byte, name, key string, fn func(e jsonElem, r *T) error) error {
	elems, err := jsonList(data, name, key)
	if err != nil {
		return err
	}
	for _, e := range elems {
		var r T
		if err := decodeElem(data, name, e, &r); err != nil {
			return err
		}
		if err := fn(e, &r); err != nil {
			return err
		}
	}
	return nil
}
