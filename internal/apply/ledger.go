package apply

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/omenhq/omen/internal/delivery"
)

// LedgerVersion is the version of the ledger's format this package
// writes and reads.
const LedgerVersion = 1

// ErrLedger is wrapped by every error about a ledger's content.
var ErrLedger = errors.New("apply: invalid ledger")

// State is where an applied change stands.
type State string

// The states of a ledger entry.
const (
	// StateApplied: in effect, its verification due at VerifyAt.
	StateApplied State = "applied"
	// StateVerified: its verification passed; it is kept.
	StateVerified State = "verified"
	// StateRolledBack: undone, because the reload was rejected, the
	// rule's health was err or its verification failed (Reason says).
	StateRolledBack State = "rolled_back"
	// StateSuperseded: the rule was changed by someone else since; it is
	// neither verified nor rolled back.
	StateSuperseded State = "superseded"
	// StateFailed: its verification failed and it could not be rolled
	// back (Reason says why); a person must look.
	StateFailed State = "failed"
)

// States lists every state, in the order of their life.
var States = []State{StateApplied, StateVerified, StateRolledBack, StateSuperseded, StateFailed}

// Ledger is the record of the changes omen applied: .omen/ledger.yaml,
// committed beside the rules (GitOps) or written beside them (direct).
type Ledger struct {
	// Version is LedgerVersion.
	Version int `yaml:"version"`
	// Entries are the changes, oldest first.
	Entries []Entry `yaml:"entries"`
}

// Entry is one applied change: what, when, why, what it promised, and
// what became of it.
type Entry struct {
	// ID identifies the entry (the proposal and when it was applied); the
	// commits of a GitOps apply and rollback carry it as Omen-Apply.
	ID string `yaml:"id"`
	// Proposal is the proposal's ID (delivery.Proposal.ID).
	Proposal string `yaml:"proposal"`
	// File, Group, Alert and Labels name the rule.
	File   string            `yaml:"file"`
	Group  string            `yaml:"group,omitempty"`
	Alert  string            `yaml:"alert"`
	Labels map[string]string `yaml:"labels,omitempty"`
	// Changes are the fields changed, from → to.
	Changes []FieldChange `yaml:"changes"`
	// Why is the proposal's reason.
	Why string `yaml:"why,omitempty"`
	// Mode is how it was applied.
	Mode Mode `yaml:"mode"`
	// ContentSHA256 is the SHA-256 of the rule file as omen wrote it
	// (direct mode): a rollback writes the original bytes back only over
	// exactly these.
	ContentSHA256 string `yaml:"content_sha256,omitempty"`
	// AppliedAt is when; VerifyAt when its verification is due.
	AppliedAt time.Time `yaml:"applied_at"`
	VerifyAt  time.Time `yaml:"verify_at"`
	// PullRequest is the pull request that proposed the same change, when
	// omen found one; it is told of the apply and of a rollback.
	PullRequest *PullRequest `yaml:"pull_request,omitempty"`
	// Promise is what the change promised.
	Promise Promise `yaml:"promise"`
	// State is where it stands and Reason why.
	State  State  `yaml:"state"`
	Reason string `yaml:"reason,omitempty"`
	// Verification is the verification's figures, once verified.
	Verification *Verification `yaml:"verification,omitempty"`
	// History lists every state the entry went through.
	History []Event `yaml:"history"`
}

// FieldChange is one field of a rule changed.
type FieldChange struct {
	// Field is threshold, for, keep_firing_for or labels.NAME.
	Field string `yaml:"field"`
	// From and To are the values; From is null for a label the rule did
	// not have.
	From Value `yaml:"from"`
	To   Value `yaml:"to"`
}

// Value is a changed field's value: a number, a string (a duration, a
// label value) or null.
type Value struct {
	// Kind is "null", "number" or "string".
	Kind string
	// Text is the value: the number as written, or the string.
	Text string
}

// MarshalYAML writes null, the number plain, or the string.
func (v Value) MarshalYAML() (any, error) {
	switch v.Kind {
	case "number":
		return &yaml.Node{Kind: yaml.ScalarNode, Value: v.Text}, nil
	case "string":
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v.Text}, nil
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
}

// UnmarshalYAML reads null, a number or a string.
func (v *Value) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a number, a string or null", n.Line)
	}
	switch n.ShortTag() {
	case "!!null":
		*v = Value{Kind: "null"}
	case "!!int", "!!float":
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return fmt.Errorf("line %d: %q: want a finite number", n.Line, n.Value)
		}
		*v = Value{Kind: "number", Text: numberText(f)}
	case "!!str":
		*v = Value{Kind: "string", Text: n.Value}
	default:
		return fmt.Errorf("line %d: %q: want a number, a string or null", n.Line, n.Value)
	}
	return nil
}

func numberText(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// String returns the value as a person reads it; "none" for null.
func (v Value) String() string {
	if v.Kind == "null" || v.Kind == "" {
		return "none"
	}
	return v.Text
}

// valueOf converts a proposal's value.
func valueOf(v delivery.Value) Value {
	if v.IsNull() {
		return Value{Kind: "null"}
	}
	raw, _ := v.MarshalJSON()
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return Value{Kind: "number", Text: numberText(f)}
	}
	return Value{Kind: "string", Text: v.String()}
}

// delivery converts the value back into a proposal's.
func (v Value) delivery() delivery.Value {
	var raw []byte
	switch v.Kind {
	case "number":
		raw = []byte(v.Text)
	case "string":
		raw, _ = json.Marshal(v.Text)
	default:
		raw = []byte("null")
	}
	var out delivery.Value
	_ = out.UnmarshalJSON(raw)
	return out
}

// PullRequest is a pull request's number and web page.
type PullRequest struct {
	Number int    `yaml:"number"`
	URL    string `yaml:"url,omitempty"`
}

// Promise is what a change promised, from its proposal's evidence
// (validation data when it has them, else the tuning window).
type Promise struct {
	// PagesPerWeek is the pages a week expected after the change.
	PagesPerWeek *float64 `yaml:"pages_per_week,omitempty"`
	// Caught lists the incidents it caught in the evidence, when named,
	// and CaughtCount how many; Missed how many it missed.
	Caught      []string `yaml:"caught,omitempty"`
	CaughtCount *int     `yaml:"caught_count,omitempty"`
	Missed      *int     `yaml:"missed,omitempty"`
	// Recall is the share of incidents caught.
	Recall *float64 `yaml:"recall,omitempty"`
	// Basis is validation or training: which evidence the figures are.
	Basis string `yaml:"basis,omitempty"`
}

// Verification is the outcome of verifying a change over its window.
type Verification struct {
	// At is when it ran; Start and End bound the window.
	At    time.Time `yaml:"at"`
	Start time.Time `yaml:"start"`
	End   time.Time `yaml:"end"`
	// History says where the rule's firings came from: replay or alerts.
	History string `yaml:"history"`
	// Pages and PagesPerWeek are the rule's, as applied, over the window.
	Pages        int     `yaml:"pages"`
	PagesPerWeek float64 `yaml:"pages_per_week"`
	// Incidents started in the window; Caught and Missed by the rule as
	// applied.
	Incidents []string `yaml:"incidents,omitempty"`
	Caught    []string `yaml:"caught,omitempty"`
	Missed    []string `yaml:"missed,omitempty"`
	// OldPages, OldPagesPerWeek and OldCaught are the old rule's,
	// replayed over the same window.
	OldPages        int      `yaml:"old_pages"`
	OldPagesPerWeek float64  `yaml:"old_pages_per_week"`
	OldCaught       []string `yaml:"old_caught,omitempty"`
	// Health is the rule's health on the server (ok, err, unknown; ""
	// when no server was asked) and HealthError its last error.
	Health      string `yaml:"health,omitempty"`
	HealthError string `yaml:"health_error,omitempty"`
	// Passed is the verdict and Reasons why.
	Passed  bool     `yaml:"passed"`
	Reasons []string `yaml:"reasons,omitempty"`
}

// Event is one state an entry went through.
type Event struct {
	At     time.Time `yaml:"at"`
	State  State     `yaml:"state"`
	Reason string    `yaml:"reason,omitempty"`
	// Commit is the commit that made it (GitOps).
	Commit string `yaml:"commit,omitempty"`
}

// ledgerHeader starts every ledger written.
const ledgerHeader = "# The changes omen applied under its policy, and what became of them (omen apply).\n# Written by omen: edit with care; states: applied, verified, rolled_back, superseded, failed.\n"

// Marshal returns the ledger as YAML.
func (l *Ledger) Marshal() ([]byte, error) {
	out := *l
	out.Version = LedgerVersion
	if out.Entries == nil {
		out.Entries = []Entry{}
	}
	var b bytes.Buffer
	b.WriteString(ledgerHeader)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&out); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ParseLedger reads a ledger; name is its file's name for errors. Empty
// input is an empty ledger. Unknown fields, a newer version, an entry
// without id, file, alert, changes or a known state are errors naming
// the entry.
func ParseLedger(data []byte, name string) (*Ledger, error) {
	l := &Ledger{Version: LedgerVersion}
	if len(bytes.TrimSpace(data)) == 0 {
		return l, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(l); err != nil {
		if errors.Is(err, io.EOF) {
			return &Ledger{Version: LedgerVersion}, nil
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrLedger, name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %s: want one YAML document", ErrLedger, name)
	}
	if l.Version > LedgerVersion || l.Version < 0 {
		return nil, fmt.Errorf("%w: %s: version %d: this omen reads version %d (upgrade omen)", ErrLedger, name, l.Version, LedgerVersion)
	}
	l.Version = LedgerVersion
	seen := map[string]bool{}
	for i, e := range l.Entries {
		where := fmt.Sprintf("%s: entries[%d]", name, i)
		switch {
		case e.ID == "":
			return nil, fmt.Errorf("%w: %s: no id", ErrLedger, where)
		case seen[e.ID]:
			return nil, fmt.Errorf("%w: %s: id %s is used twice", ErrLedger, where, e.ID)
		case e.File == "" || e.Alert == "":
			return nil, fmt.Errorf("%w: %s (%s): want file and alert", ErrLedger, where, e.ID)
		case len(e.Changes) == 0:
			return nil, fmt.Errorf("%w: %s (%s): no changes", ErrLedger, where, e.ID)
		case !slices.Contains(States, e.State):
			return nil, fmt.Errorf("%w: %s (%s): state %q: want one of %s", ErrLedger, where, e.ID, e.State, statesText())
		}
		for j, c := range e.Changes {
			if c.Field == "" || c.To.Kind == "" {
				return nil, fmt.Errorf("%w: %s (%s): changes[%d]: want field, from and to", ErrLedger, where, e.ID, j)
			}
			if c.From.Kind == "" {
				l.Entries[i].Changes[j].From = Value{Kind: "null"}
			}
		}
		for j, ev := range e.History {
			if !slices.Contains(States, ev.State) {
				return nil, fmt.Errorf("%w: %s (%s): history[%d]: state %q: want one of %s", ErrLedger, where, e.ID, j, ev.State, statesText())
			}
		}
		seen[e.ID] = true
	}
	return l, nil
}

func statesText() string {
	s := make([]string, len(States))
	for i, st := range States {
		s[i] = string(st)
	}
	return strings.Join(s, ", ")
}

// ReadLedger reads the ledger file at path; a missing file is an empty
// ledger.
func ReadLedger(path string) (*Ledger, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Ledger{Version: LedgerVersion}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the ledger: %w", err)
	}
	return ParseLedger(b, path)
}

// WriteLedger writes the ledger to path atomically (a temporary file in
// the same directory, synced, then renamed over it), making the directory
// when needed.
func WriteLedger(path string, l *Ledger) error {
	b, err := l.Marshal()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("cannot write the ledger: %w", err)
	}
	return writeAtomic(path, b, 0o644)
}

// writeAtomic replaces path with data through a synced temporary file in
// the same directory and a rename, keeping the mode of an existing file
// (else mode). A failure leaves path as it was.
func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".omen-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := f.Chmod(mode); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	ok = true
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Clone returns a deep copy of the ledger.
func (l *Ledger) Clone() *Ledger {
	b, err := l.Marshal()
	if err != nil {
		panic(fmt.Sprintf("apply: ledger cannot be marshalled: %v", err))
	}
	c, err := ParseLedger(b, "clone")
	if err != nil {
		panic(fmt.Sprintf("apply: ledger does not read back: %v", err))
	}
	return c
}

// Find returns the entry with the ID, nil when there is none.
func (l *Ledger) Find(id string) *Entry {
	for i := range l.Entries {
		if l.Entries[i].ID == id {
			return &l.Entries[i]
		}
	}
	return nil
}

// Pending returns the entry of the rule of prop that is applied and not
// yet verified, nil when there is none.
func (l *Ledger) Pending(prop delivery.Proposal) *Entry {
	key := prop.Key()
	for i := range l.Entries {
		if e := &l.Entries[i]; e.State == StateApplied && e.proposal().Key() == key {
			return e
		}
	}
	return nil
}

// RolledBack returns the latest entry of the same proposal (the same rule
// and new values) that was rolled back or failed, nil when there is none.
func (l *Ledger) RolledBack(prop delivery.Proposal) *Entry {
	id := prop.ID()
	for i := len(l.Entries) - 1; i >= 0; i-- {
		if e := &l.Entries[i]; e.Proposal == id && (e.State == StateRolledBack || e.State == StateFailed) {
			return e
		}
	}
	return nil
}

// Due returns the entries applied whose verification is due at now.
func (l *Ledger) Due(now time.Time) []*Entry {
	var out []*Entry
	for i := range l.Entries {
		if e := &l.Entries[i]; e.State == StateApplied && !now.Before(e.VerifyAt) {
			out = append(out, e)
		}
	}
	return out
}

// newEntry makes the entry of proposal prop applied at now.
func newEntry(prop delivery.Proposal, mode Mode, now time.Time, verifyAfter time.Duration) Entry {
	now = now.UTC().Truncate(time.Second)
	h := sha256.Sum256([]byte(prop.ID() + "\x00" + now.Format(time.RFC3339)))
	e := Entry{
		ID: hex.EncodeToString(h[:])[:12], Proposal: prop.ID(),
		File: prop.File, Group: prop.Group, Alert: prop.Alert, Labels: prop.Labels,
		Why: prop.Why, Mode: mode, AppliedAt: now, VerifyAt: now.Add(verifyAfter),
		Promise: promiseOf(prop), State: StateApplied,
	}
	for _, c := range prop.Changes {
		e.Changes = append(e.Changes, FieldChange{Field: c.Field, From: valueOf(c.From), To: valueOf(c.To)})
	}
	return e
}

// promiseOf takes a proposal's promise from its evidence.
func promiseOf(prop delivery.Proposal) Promise {
	_, after, validation := delivery.Headline(prop)
	var pr Promise
	if after == nil {
		return pr
	}
	pr.Basis = "training"
	if validation {
		pr.Basis = "validation"
	}
	pr.PagesPerWeek = after.PagesPerWeek
	if after.Caught.List != nil {
		pr.Caught = slices.Clone(after.Caught.List)
	}
	if n, ok := after.Caught.Count(); ok {
		pr.CaughtCount = &n
	}
	if n, ok := after.Missed.Count(); ok {
		pr.Missed = &n
	}
	pr.Recall = after.Recall
	if pr.Recall == nil && pr.CaughtCount != nil && pr.Missed != nil && *pr.CaughtCount+*pr.Missed > 0 {
		r := float64(*pr.CaughtCount) / float64(*pr.CaughtCount+*pr.Missed)
		pr.Recall = &r
	}
	return pr
}

// proposal returns the entry's change as a proposal (for the editor).
func (e *Entry) proposal() delivery.Proposal {
	p := delivery.Proposal{File: e.File, Group: e.Group, Alert: e.Alert, Labels: e.Labels, Why: e.Why}
	for _, c := range e.Changes {
		p.Changes = append(p.Changes, delivery.Change{Field: c.Field, From: c.From.delivery(), To: c.To.delivery()})
	}
	return p
}

// reverse returns the proposal undoing the entry's change; the editor
// cannot remove a label the change added.
func (e *Entry) reverse() (delivery.Proposal, error) {
	p := e.proposal()
	for i, c := range p.Changes {
		if _, isLabel := c.Label(); isLabel && c.From.IsNull() {
			return p, fmt.Errorf("the change added %s, which omen's editor cannot remove: restore %s by hand", c.Field, e.File)
		}
		p.Changes[i].From, p.Changes[i].To = c.To, c.From
	}
	return p, nil
}

// reverseEdit returns the rule file cur with the entry's change undone by
// the editor (values back; a for or keep_firing_for the change inserted
// stays, at 0s).
func (e *Entry) reverseEdit(cur []byte) ([]byte, error) {
	rev, err := e.reverse()
	if err != nil {
		return nil, err
	}
	return delivery.EditRules(cur, e.File, rev)
}

// set moves the entry to state with a reason, recording it in History.
func (e *Entry) set(state State, at time.Time, reason, commit string) {
	e.State, e.Reason = state, reason
	e.History = append(e.History, Event{At: at.UTC().Truncate(time.Second), State: state, Reason: reason, Commit: commit})
}

// Title names the entry's rule and change for people:
// "HighErrorRate (rules/app.yml, group app): threshold 0.05 → 0.08".
func (e *Entry) Title() string {
	return e.proposal().Title() + ": " + e.ChangesText()
}

// ChangesText is "threshold 0.05 → 0.08, for 5m → 10m".
func (e *Entry) ChangesText() string {
	parts := make([]string, len(e.Changes))
	for i, c := range e.Changes {
		parts[i] = fmt.Sprintf("%s %s → %s", c.Field, c.From, c.To)
	}
	return strings.Join(parts, ", ")
}
