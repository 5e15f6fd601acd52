package tuner

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// ErrInvalidProposals is wrapped by every error about a proposals file.
var ErrInvalidProposals = errors.New("tuner: invalid proposals")

// ProposalFile is the JSON `omen tune` writes and `omen pr` and `omen
// apply` read: the proposals and the rules left alone. Unknown fields are
// ignored when it is read, so the tuner can add evidence without breaking
// its readers.
type ProposalFile struct {
	Proposals []Proposal `json:"proposals"`
	Skipped   []Skipped  `json:"skipped"`
	// Start and End are the window tuned on, when the tuner gives them.
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
	// Incidents describe the incidents the proposals name (id, title,
	// link), when the tuner gives them.
	Incidents []ProposalIncident `json:"incidents,omitempty"`
}

// Proposal is one rule's proposed change with its evidence.
type Proposal struct {
	// File is the rule file's path relative to the repository root.
	File string `json:"file"`
	// Group and Alert name the rule.
	Group string `json:"group"`
	Alert string `json:"alert"`
	// Labels, when set, pick one of several rules with the same name
	// (a warning and a critical HighErrorRate).
	Labels map[string]string `json:"labels,omitempty"`
	// Changes are the fields changed.
	Changes []FieldChange `json:"changes"`
	// Before and After are the what-if metrics of the rule as written and
	// as proposed over the tuning window.
	Before *ProposalMetrics `json:"before,omitempty"`
	After  *ProposalMetrics `json:"after,omitempty"`
	// Validation holds the metrics on data the choice was not made on.
	Validation *Validation `json:"validation,omitempty"`
	// Why says the reason in words.
	Why string `json:"why,omitempty"`
	// Incidents that motivated the proposal, when the tuner lists them.
	Incidents []ProposalIncident `json:"incidents,omitempty"`
}

// FieldChange is one field of a rule a proposal changes (the JSON's
// change; Change is the editor's edit of a rule).
type FieldChange struct {
	// Field is "threshold", "for", "keep_firing_for" or "labels.NAME".
	Field string `json:"field"`
	From  Value  `json:"from"`
	To    Value  `json:"to"`
}

// Value is a change's value as the JSON holds it: a number, a string
// (a duration such as "5m", a label value) or null (absent).
type Value struct {
	raw json.RawMessage
}

// RawValue returns the value of the JSON text raw (a number, a string or
// null), as a proposals file holds it.
func RawValue(raw json.RawMessage) Value {
	return Value{raw: append(json.RawMessage(nil), bytes.TrimSpace(raw)...)}
}

// NumberValue returns a number value, written as the shortest JSON
// number that reads back as x.
func NumberValue(x float64) Value {
	return Value{raw: json.RawMessage(strconv.FormatFloat(x, 'g', -1, 64))}
}

// StringValue returns a string value (a duration such as "5m", a label
// value).
func StringValue(s string) Value {
	b, _ := json.Marshal(s)
	return Value{raw: b}
}

// DurationValue returns a duration value as Prometheus writes it ("5m").
func DurationValue(d time.Duration) Value { return StringValue(FormatDuration(d)) }

// UnmarshalJSON keeps the raw value.
func (v *Value) UnmarshalJSON(b []byte) error {
	v.raw = append(json.RawMessage(nil), bytes.TrimSpace(b)...)
	return nil
}

// MarshalJSON writes the value as read.
func (v Value) MarshalJSON() ([]byte, error) {
	if len(v.raw) == 0 {
		return []byte("null"), nil
	}
	return v.raw, nil
}

// IsNull reports whether the value is null or absent.
func (v Value) IsNull() bool { return len(v.raw) == 0 || string(v.raw) == "null" }

// String returns the value as a person reads it: a string without its
// quotes, a number as written, "none" for null.
func (v Value) String() string {
	if v.IsNull() {
		return "none"
	}
	var s string
	if json.Unmarshal(v.raw, &s) == nil {
		return s
	}
	return string(v.raw)
}

// Number returns the value as a number: a JSON number or a string
// holding one.
func (v Value) Number() (float64, error) {
	var f float64
	if json.Unmarshal(v.raw, &f) == nil {
		return f, nil
	}
	var s string
	if json.Unmarshal(v.raw, &s) == nil {
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			return f, nil
		}
	}
	return 0, fmt.Errorf("%s is not a number", v.raw)
}

// Duration returns the value as a duration: a Prometheus duration string
// ("5m", "1h30m") or a number of seconds.
func (v Value) Duration() (time.Duration, error) {
	var s string
	if json.Unmarshal(v.raw, &s) == nil {
		d, err := model.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration (want e.g. 5m, 1h30m)", s)
		}
		return time.Duration(d), nil
	}
	var f float64
	if json.Unmarshal(v.raw, &f) == nil && f >= 0 && !math.IsInf(f, 0) {
		return time.Duration(f * float64(time.Second)), nil
	}
	return 0, fmt.Errorf("%s is not a duration (want a string such as \"5m\" or seconds)", v.raw)
}

// Magnitude returns the value as one number for comparisons: a threshold
// itself, a duration in seconds; false for a label value or null.
func (c FieldChange) Magnitude(v Value) (float64, bool) {
	switch c.Field {
	case "threshold":
		f, err := v.Number()
		return f, err == nil
	case "for", "keep_firing_for":
		d, err := v.Duration()
		return d.Seconds(), err == nil
	}
	return 0, false
}

// Label returns the label name of a "labels.NAME" change.
func (c FieldChange) Label() (string, bool) {
	for _, p := range []string{"labels.", "label.", "label:"} {
		if name, ok := strings.CutPrefix(c.Field, p); ok && name != "" {
			return name, true
		}
	}
	return "", false
}

// ProposalMetrics are the what-if metrics of a rule over a window as a
// proposal carries them (issues 10 and 11). Every field is optional.
type ProposalMetrics struct {
	Threshold         *float64 `json:"threshold,omitempty"`
	ForSeconds        *float64 `json:"for_seconds,omitempty"`
	Firings           *float64 `json:"firings,omitempty"`
	Pages             *float64 `json:"pages,omitempty"`
	PagesPerWeek      *float64 `json:"pages_per_week,omitempty"`
	NightPages        *float64 `json:"night_pages,omitempty"`
	Caught            IDs      `json:"caught,omitzero"`
	Missed            IDs      `json:"missed,omitzero"`
	Precision         *float64 `json:"precision,omitempty"`
	Recall            *float64 `json:"recall,omitempty"`
	PageRecall        *float64 `json:"page_recall,omitempty"`
	LeadSecondsMedian *float64 `json:"lead_seconds_median,omitempty"`
	// Start and End are the window, when given.
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// IDs are incidents given as a list of ids or as a count.
type IDs struct {
	List  []string
	count *int
}

// CountIDs returns incidents given as a count only.
func CountIDs(n int) IDs { return IDs{count: &n} }

// ListIDs returns incidents given by their ids (an empty, non-nil list
// for none).
func ListIDs(ids []string) IDs {
	if ids == nil {
		ids = []string{}
	}
	return IDs{List: ids}
}

// UnmarshalJSON reads a list of ids, a count or null.
func (ids *IDs) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		ids.List = []string{} // an empty list is a count of zero
		for _, item := range list {
			var s string
			if json.Unmarshal(item, &s) == nil {
				ids.List = append(ids.List, s)
				continue
			}
			var obj struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(item, &obj); err != nil || obj.ID == "" {
				return fmt.Errorf("incident %s: want an id or an object with \"id\"", item)
			}
			ids.List = append(ids.List, obj.ID)
		}
		return nil
	}
	var n float64
	if err := json.Unmarshal(b, &n); err != nil || n < 0 || n != math.Trunc(n) {
		return fmt.Errorf("incidents %s: want a list of ids or a count", b)
	}
	c := int(n)
	ids.count = &c
	return nil
}

// MarshalJSON writes the list, or the count.
func (ids IDs) MarshalJSON() ([]byte, error) {
	if ids.count != nil && ids.List == nil {
		return json.Marshal(*ids.count)
	}
	return json.Marshal(ids.List)
}

// IsZero reports whether nothing was given.
func (ids IDs) IsZero() bool { return ids.List == nil && ids.count == nil }

// Count returns how many incidents, and whether it is known.
func (ids IDs) Count() (int, bool) {
	if ids.List != nil {
		return len(ids.List), true
	}
	if ids.count != nil {
		return *ids.count, true
	}
	return 0, false
}

// Validation holds a proposal's metrics on the validation folds.
type Validation struct {
	Folds []Fold `json:"folds,omitempty"`
	// Before and After are the metrics over all folds, when the tuner
	// gives them; otherwise they are summarised from the folds.
	Before *ProposalMetrics `json:"before,omitempty"`
	After  *ProposalMetrics `json:"after,omitempty"`
	// Spread is how much the proposal's metrics vary over the folds, when
	// the tuner gives it.
	Spread *Spread `json:"spread,omitempty"`
	// Method says how the folds were made and judged, when the tuner
	// gives it.
	Method string `json:"method,omitempty"`
}

// Spread is the variation of metrics over validation folds: the sample
// standard deviation, the smallest and the largest value of each.
type Spread struct {
	PagesPerWeek      Range  `json:"pages_per_week"`
	Recall            *Range `json:"recall,omitempty"`
	LeadSecondsMedian *Range `json:"lead_seconds_median,omitempty"`
}

// Range is a metric's spread over folds.
type Range struct {
	SD  float64 `json:"sd"`
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// Fold is one validation window.
type Fold struct {
	Start  string           `json:"start,omitempty"`
	End    string           `json:"end,omitempty"`
	Before *ProposalMetrics `json:"before,omitempty"`
	After  *ProposalMetrics `json:"after,omitempty"`
}

// ProposalIncident is an incident a proposal names.
type ProposalIncident struct {
	ID    string `json:"id"`
	Title string `json:"title,omitempty"`
	URL   string `json:"url,omitempty"`
	Link  string `json:"link,omitempty"`
	Start string `json:"start,omitempty"`
}

// Href returns the incident's link.
func (i ProposalIncident) Href() string {
	if i.URL != "" {
		return i.URL
	}
	return i.Link
}

// Skipped is a rule the tuner left alone, with the reason.
type Skipped struct {
	File   string `json:"file,omitempty"`
	Group  string `json:"group,omitempty"`
	Alert  string `json:"alert"`
	Reason string `json:"reason"`
}

// DecodeProposals reads the proposals JSON from r; name is the file's
// name for errors, which give the line and column of a syntax error and
// the proposal and change at fault otherwise. Errors wrap
// ErrInvalidProposals.
func DecodeProposals(r io.Reader, name string) (*ProposalFile, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var f ProposalFile
	if err := json.Unmarshal(data, &f); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line, col := position(data, se.Offset)
			return nil, fmt.Errorf("%w: %s:%d:%d: %v", ErrInvalidProposals, name, line, col, err)
		case errors.As(err, &te):
			line, col := position(data, te.Offset)
			return nil, fmt.Errorf("%w: %s:%d:%d: %s: want %s, not a JSON %s", ErrInvalidProposals, name, line, col, te.Field, te.Type, te.Value)
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalidProposals, name, err)
	}
	if !bytes.Contains(data, []byte(`"proposals"`)) {
		return nil, fmt.Errorf("%w: %s: no \"proposals\": want the JSON of omen tune ({\"proposals\": [...], \"skipped\": [...]})", ErrInvalidProposals, name)
	}
	for i := range f.Proposals {
		if err := f.Proposals[i].Check(); err != nil {
			return nil, fmt.Errorf("%w: %s: proposal %d (%s): %v", ErrInvalidProposals, name, i+1, f.Proposals[i].Alert, err)
		}
	}
	seen := map[string]int{}
	for i, p := range f.Proposals {
		if j, ok := seen[p.Key()]; ok {
			return nil, fmt.Errorf("%w: %s: proposals %d and %d both change %s", ErrInvalidProposals, name, j+1, i+1, p.Title())
		}
		seen[p.Key()] = i
	}
	return &f, nil
}

// position returns the 1-based line and column of the last byte json
// read before an error (its Offset counts the bytes read).
func position(data []byte, offset int64) (line, col int) {
	i := min(max(offset-1, 0), int64(len(data)))
	before := data[:i]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(i) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// Check reports what is wrong with p: a missing file, alert or change, a
// field changed twice, an unknown field, a "to" that is not a number, a
// duration or a label value.
func (p Proposal) Check() error {
	switch {
	case p.File == "":
		return errors.New("no \"file\"")
	case p.Alert == "":
		return errors.New("no \"alert\"")
	case len(p.Changes) == 0:
		return errors.New("no \"changes\"")
	}
	fields := map[string]bool{}
	for i, c := range p.Changes {
		if fields[c.Field] {
			return fmt.Errorf("change %d: field %q changed twice", i+1, c.Field)
		}
		fields[c.Field] = true
		var err error
		switch c.Field {
		case "threshold":
			_, err = c.To.Number()
		case "for", "keep_firing_for":
			_, err = c.To.Duration()
		default:
			name, ok := c.Label()
			switch {
			case !ok:
				err = fmt.Errorf("unknown field %q: want threshold, for, keep_firing_for or labels.NAME", c.Field)
			case !model.LegacyValidation.IsValidLabelName(name):
				err = fmt.Errorf("invalid label name %q", name)
			case c.To.IsNull():
				err = errors.New("a label cannot be removed")
			}
		}
		if err != nil {
			return fmt.Errorf("change %d (%s): \"to\": %w", i+1, c.Field, err)
		}
	}
	return nil
}

// Key identifies the rule a proposal changes: file, group, alert and the
// labels that pick it.
func (p Proposal) Key() string {
	var b strings.Builder
	b.WriteString(p.File + "\x00" + p.Group + "\x00" + p.Alert)
	for _, k := range sortedKeys(p.Labels) {
		b.WriteString("\x00" + k + "=" + p.Labels[k])
	}
	return b.String()
}

// Title names the rule for people: "HighErrorRate (rules/app.yml, group
// app)".
func (p Proposal) Title() string {
	s := p.Alert
	for _, k := range sortedKeys(p.Labels) {
		s += fmt.Sprintf(" %s=%s", k, p.Labels[k])
	}
	if p.Group != "" {
		return fmt.Sprintf("%s (%s, group %s)", s, p.File, p.Group)
	}
	return fmt.Sprintf("%s (%s)", s, p.File)
}

// Fields returns the changed fields, sorted.
func (p Proposal) Fields() []string {
	fs := make([]string, len(p.Changes))
	for i, c := range p.Changes {
		fs[i] = c.Field
	}
	slices.Sort(fs)
	return fs
}

// ID identifies a proposal's content: the rule and the new values. It is
// what the commit's Omen-Proposal trailer carries.
func (p Proposal) ID() string {
	h := sha256.New()
	fmt.Fprint(h, "v1\x00", p.Key())
	cs := slices.Clone(p.Changes)
	slices.SortFunc(cs, func(a, b FieldChange) int { return strings.Compare(a.Field, b.Field) })
	for _, c := range cs {
		fmt.Fprint(h, "\x00", c.Field, "=", c.To.String())
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}
