package apply

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/omenhq/omen/internal/delivery"
	"github.com/omenhq/omen/tuner"
)

// Mode is how a change is put in effect.
type Mode string

// The modes of applying a change.
const (
	// ModeDirect writes the rule file (atomically) and asks Prometheus to
	// reload it (POST /-/reload).
	ModeDirect Mode = "direct"
	// ModeGitOps commits the change to a deploy branch, which Argo CD or
	// Flux deploy.
	ModeGitOps Mode = "gitops"
)

// Defaults of a Policy's optional fields.
const (
	// DefaultMaxThresholdStep is the largest relative move of a threshold
	// (|to − from| / |from|) when max_step.threshold is not set.
	DefaultMaxThresholdStep = 0.5
	// DefaultMaxDurationStep is the largest move of for and
	// keep_firing_for when max_step does not set them.
	DefaultMaxDurationStep = 15 * time.Minute
	// DefaultMaxChanges is how many changes one run applies at most when
	// max_changes is not set.
	DefaultMaxChanges = 3
	// DefaultPagesTolerance and DefaultPagesSlack bound the pages a change
	// may cost beyond its promise (see VerifyPolicy).
	DefaultPagesTolerance = 0.5
	DefaultPagesSlack     = 1.0
	// DefaultRecallTolerance is how far the share of incidents caught in
	// the verification window may fall below the promised one.
	DefaultRecallTolerance = 0.25
	// DefaultLedger is the ledger's path relative to the rules directory
	// (direct) or the repository's root (GitOps).
	DefaultLedger = ".omen/ledger.yaml"
)

// DefaultApprovalSeverities are the severities whose rules are changed
// only through a pull request when require_approval is not set.
var DefaultApprovalSeverities = []string{"critical"}

// ErrNoPolicy is returned when omen is asked to apply changes without a
// policy; its message says how to write one.
var ErrNoPolicy = errors.New("apply: no policy: omen applies changes itself only under an explicit policy")

// ErrPolicy is wrapped by every error about a policy's content.
var ErrPolicy = errors.New("apply: invalid policy")

// Policy says which changes omen may apply itself, how, when, and how
// they are verified. It is the apply: section of omen.yaml, or a file of
// its own (--policy). Every field is documented in ExamplePolicy.
type Policy struct {
	// Mode is direct or gitops; required.
	Mode Mode `yaml:"mode"`
	// RulesDir is the directory the proposals' paths are relative to, as
	// Prometheus reads it (direct mode; required there).
	RulesDir string `yaml:"rules_dir"`
	// Prometheus is the server that evaluates the rules: reloaded with
	// POST /-/reload (direct mode) and asked for the rules' health
	// (/api/v1/rules). Default: the source's URL.
	Prometheus string `yaml:"prometheus"`
	// Ledger is the ledger's path: in direct mode a file path (default
	// RulesDir/.omen/ledger.yaml), in GitOps mode a path in the
	// repository (default .omen/ledger.yaml).
	Ledger string `yaml:"ledger"`
	// Repo is the rules repository (GitOps: where changes are committed;
	// direct: where changes that need approval are proposed, optional).
	Repo string `yaml:"repo"`
	// Branch is the deploy branch (GitOps; required there) or the base
	// of approval pull requests (direct; default main).
	Branch string `yaml:"branch"`
	// Rules are the rules omen may change: a rule is in scope when it
	// matches every field given of at least one entry. Required.
	Rules []Scope `yaml:"rules"`
	// Changes are the kinds of change allowed: threshold, for,
	// keep_firing_for, labels (any label) or labels.NAME. Required.
	Changes []string `yaml:"changes"`
	// MaxStep bounds each change's size.
	MaxStep MaxStep `yaml:"max_step"`
	// MaxFor is the longest for a change may set; zero: no bound beyond
	// MaxStep.
	MaxFor Duration `yaml:"max_for"`
	// MaxChanges is how many changes one run applies at most (default
	// DefaultMaxChanges).
	MaxChanges int `yaml:"max_changes"`
	// Windows are when omen may apply changes (verification and rollback
	// run any time); none: any time.
	Windows []Window `yaml:"windows"`
	// Timezone is the IANA time zone of Windows; default UTC.
	Timezone string `yaml:"timezone"`
	// RequireApproval names the rules changed only through a pull request.
	// Default: rules with severity critical.
	RequireApproval *Approval `yaml:"require_approval"`
	// VerifyAfter is how long after a change it is verified; required.
	VerifyAfter Duration `yaml:"verify_after"`
	// Verify says what a failed verification is.
	Verify VerifyPolicy `yaml:"verify"`
	// HealthTimeout bounds the wait, after a reload, for Prometheus to
	// load and evaluate the changed rule (direct mode). Default: two of
	// the rule's evaluation intervals plus 30s.
	HealthTimeout Duration `yaml:"health_timeout"`

	loc     *time.Location
	windows []window
}

// Scope picks rules by file, group, alert and labels; every field given
// must match. Files, groups and alerts are patterns as path.Match reads
// them (*, ?, [a-z]); a file pattern ending in / matches every file
// under that directory.
type Scope struct {
	Files  []string          `yaml:"files"`
	Groups []string          `yaml:"groups"`
	Alerts []string          `yaml:"alerts"`
	Labels map[string]string `yaml:"labels"`
}

// MaxStep bounds the size of a change.
type MaxStep struct {
	// Threshold is the largest relative move |to − from| / |from|, as a
	// fraction (0.25) or a percentage ("25%"); default
	// DefaultMaxThresholdStep. A threshold at 0 cannot move.
	Threshold *Fraction `yaml:"threshold"`
	// For and KeepFiringFor are the largest moves, up or down; default
	// DefaultMaxDurationStep.
	For           Duration `yaml:"for"`
	KeepFiringFor Duration `yaml:"keep_firing_for"`
}

// Approval names rules whose changes need a person's approval: they go to
// a pull request instead.
type Approval struct {
	// Severity lists severity label values; a change to a rule with one
	// of them, or setting one, needs approval. Empty: none does.
	Severity []string `yaml:"severity"`
}

// Window is a stretch of the week when changes may be applied.
type Window struct {
	// Days are mon … sun, or ranges such as mon-fri; default every day.
	Days []string `yaml:"days"`
	// Hours is HH:MM-HH:MM, end excluded (22:00-06:00 runs over
	// midnight); default the whole day.
	Hours string `yaml:"hours"`
}

// VerifyPolicy says how an applied change is verified and what fails it.
// A change fails its verification when, in the window [applied,
// applied + verify_after]:
//   - the rule's health is err (Prometheus cannot evaluate it);
//   - an incident the old rule (replayed over the window) catches is
//     missed by the new one;
//   - its pages exceed the promise: more than promised pages per week ×
//     window × (1 + PagesTolerance) + PagesSlack;
//   - at least MinIncidents incidents started in the window and the share
//     it caught is below the promised recall by more than RecallTolerance.
type VerifyPolicy struct {
	// Incidents are files or directories of incidents (any format omen
	// reads); --incidents adds to them.
	Incidents []string `yaml:"incidents"`
	// History is where the rule's realised firings come from: replay (the
	// rule as applied replayed over the window, the default) or alerts
	// (the server's ALERTS series).
	History string `yaml:"history"`
	// LeadWindow is how long before an incident a firing still catches
	// it; default 6h, as omen quality.
	LeadWindow Duration `yaml:"lead_window"`
	// PageSeverities are the severities that page; default critical.
	PageSeverities []string `yaml:"page_severities"`
	// PagesTolerance (default DefaultPagesTolerance) and PagesSlack
	// (pages in the window, default DefaultPagesSlack) bound the pages
	// beyond the promise.
	PagesTolerance *Fraction `yaml:"pages_tolerance"`
	PagesSlack     *float64  `yaml:"pages_slack"`
	// RecallTolerance is how far the share of incidents caught may fall
	// below the promise; default DefaultRecallTolerance.
	RecallTolerance *Fraction `yaml:"recall_tolerance"`
	// MinIncidents is how many incidents the window needs before the
	// recall is compared; default 1.
	MinIncidents int `yaml:"min_incidents"`
}

// ExamplePolicy is a policy with every field, documented; omen prints it
// when asked to apply without one.
const ExamplePolicy = `apply:
  mode: direct                       # direct: write the rule file and POST /-/reload to Prometheus
                                     # gitops: commit to the deploy branch (Argo CD / Flux deploy it)
  rules_dir: /etc/prometheus/rules   # direct: the directory the proposals' paths are relative to
  prometheus: http://prometheus:9090 # the Prometheus evaluating the rules (--web.enable-lifecycle):
                                     # reloaded, and asked for rule health; default: the source
  # ledger: /var/lib/omen/ledger.yaml  # default: .omen/ledger.yaml under rules_dir (gitops: in the repo);
                                     # keep it out of the rule_files globs (a */*.yaml would read it)
  # repo: https://git.example.com/sre/rules.git   # gitops: the repository; direct: where approvals go
  # branch: deploy                   # gitops: the deploy branch; direct: base of approval PRs (main)
  rules:                             # the rules omen may change: any entry, every field given
    - files: ["app/*.yml"]           # path patterns (*, ?); "dir/" for all files under dir
      groups: ["app"]
      alerts: ["HighErrorRate", "Slow*"]
      labels: {team: checkout}
  changes: [threshold, for]          # threshold, for, keep_firing_for, labels, labels.NAME
  max_step:
    threshold: 25%                   # largest |to - from| / |from| (default 50%)
    for: 10m                         # largest move of for (default 15m)
    keep_firing_for: 10m             # (default 15m)
  max_for: 30m                       # the longest for a change may set
  max_changes: 3                     # changes applied per run (default 3)
  windows:                           # when changes may be applied (default: any time)
    - days: [mon-thu]
      hours: "09:00-16:00"
  timezone: Europe/Berlin            # of the windows (default UTC)
  require_approval:
    severity: [critical]             # these rules change only through a pull request (default critical)
  verify_after: 7d                   # verify each change this long after it was applied
  verify:
    incidents: [/data/pirs]          # incidents the change is verified against
    history: replay                  # replay: the rule replayed over the window; alerts: the server's ALERTS
    pages_tolerance: 50%             # fail above promised pages x (1 + 50%) + pages_slack
    pages_slack: 1
    recall_tolerance: 0.25           # fail when the share caught falls below the promise by more
    min_incidents: 1
  # Always a failure: health err, or an incident the old rule would have caught and the new one missed.
`

// HowTo says how to write a policy, for the refusal message.
const HowTo = `Write an apply: section in omen.yaml (--config) or a policy file (--policy FILE), e.g.:

` + ExamplePolicy

// LoadPolicy reads a policy file: the apply: section of a job file, or a
// file holding only that section (with or without the apply: key).
// Unknown fields are errors naming the line.
func LoadPolicy(file string) (*Policy, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("cannot read the policy: %w", err)
	}
	p, err := ParsePolicy(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return p, nil
}

// ParsePolicy reads a policy (see LoadPolicy) and validates it. A document
// with an apply: key is read as a job file's: only that section counts.
func ParsePolicy(r io.Reader) (*Policy, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPolicy, err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%w: empty: want a policy such as\n\n%s", ErrPolicy, ExamplePolicy)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%w: line %d: want a mapping (mode:, rules:, changes:, verify_after: ...)", ErrPolicy, root.Line)
	}
	wrapped := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		wrapped = wrapped || root.Content[i].Value == "apply"
	}
	// Decode strictly: an unknown field is an error, so a typo never
	// silently drops a guard. In a job file only the apply: section
	// counts (the other sections are the job's).
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p Policy
	if wrapped {
		var f struct {
			Apply *Policy              `yaml:"apply"`
			Other map[string]yaml.Node `yaml:",inline"`
		}
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrPolicy, err)
		}
		if f.Apply == nil {
			return nil, fmt.Errorf("%w: apply: empty: want a policy such as\n\n%s", ErrPolicy, ExamplePolicy)
		}
		p = *f.Apply
	} else if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPolicy, err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// changeKinds are the kinds of change a policy may allow.
var changeKinds = []string{"threshold", "for", "keep_firing_for", "labels"}

// Validate checks the policy and prepares its windows; errors name the
// field at fault and say what is expected.
func (p *Policy) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrPolicy, fmt.Sprintf(format, args...))
	}
	switch p.Mode {
	case ModeDirect:
		if p.RulesDir == "" {
			return bad("rules_dir: required in direct mode: the directory Prometheus reads the rule files from")
		}
	case ModeGitOps:
		if p.Repo == "" {
			return bad("repo: required in gitops mode: the rules repository (a directory or a URL)")
		}
		if p.Branch == "" {
			return bad("branch: required in gitops mode: the deploy branch Argo CD or Flux deploy")
		}
		if p.Ledger != "" && (path.IsAbs(p.Ledger) || path.Clean(p.Ledger) != p.Ledger || strings.HasPrefix(p.Ledger, "../")) {
			return bad("ledger: in gitops mode a clean path in the repository, such as .omen/ledger.yaml, not %q", p.Ledger)
		}
	case "":
		return bad("mode: required: direct (write the rule file and reload Prometheus) or gitops (commit to a deploy branch)")
	default:
		return bad("mode: want direct or gitops, not %q", p.Mode)
	}
	if len(p.Rules) == 0 {
		return bad("rules: required: name the rules omen may change (files, groups, alerts, labels); - files: [\"*\"] allows every rule file at the top")
	}
	for i, s := range p.Rules {
		if len(s.Files)+len(s.Groups)+len(s.Alerts)+len(s.Labels) == 0 {
			return bad("rules[%d]: empty: give files, groups, alerts or labels", i)
		}
		for _, pat := range slices.Concat(s.Files, s.Groups, s.Alerts) {
			if _, err := path.Match(strings.TrimSuffix(pat, "/"), ""); err != nil {
				return bad("rules[%d]: invalid pattern %q: %v", i, pat, err)
			}
		}
	}
	if len(p.Changes) == 0 {
		return bad("changes: required: the kinds of change omen may apply (%s, labels.NAME)", strings.Join(changeKinds, ", "))
	}
	for i, c := range p.Changes {
		if !slices.Contains(changeKinds, c) && !strings.HasPrefix(c, "labels.") {
			return bad("changes[%d]: unknown kind %q: want %s or labels.NAME", i, c, strings.Join(changeKinds, ", "))
		}
	}
	if p.MaxStep.Threshold != nil && (*p.MaxStep.Threshold < 0 || math.IsNaN(float64(*p.MaxStep.Threshold))) {
		return bad("max_step.threshold: want a fraction such as 0.25 or 25%%")
	}
	for name, d := range map[string]Duration{"max_step.for": p.MaxStep.For, "max_step.keep_firing_for": p.MaxStep.KeepFiringFor, "max_for": p.MaxFor, "health_timeout": p.HealthTimeout, "verify.lead_window": p.Verify.LeadWindow} {
		if d < 0 {
			return bad("%s: must not be negative", name)
		}
	}
	if p.MaxChanges < 0 {
		return bad("max_changes: must not be negative")
	}
	if p.VerifyAfter <= 0 {
		return bad("verify_after: required: how long after a change it is verified, e.g. 7d")
	}
	p.loc = time.UTC
	if p.Timezone != "" {
		loc, err := time.LoadLocation(p.Timezone)
		if err != nil {
			return bad("timezone: %q is not an IANA time zone such as Europe/Berlin", p.Timezone)
		}
		p.loc = loc
	}
	p.windows = nil
	for i, w := range p.Windows {
		pw, err := parseWindow(w)
		if err != nil {
			return bad("windows[%d]: %v", i, err)
		}
		p.windows = append(p.windows, pw)
	}
	v := p.Verify
	switch v.History {
	case "", "replay", "alerts":
	default:
		return bad("verify.history: want replay or alerts, not %q", v.History)
	}
	for name, f := range map[string]*Fraction{"verify.pages_tolerance": v.PagesTolerance, "verify.recall_tolerance": v.RecallTolerance} {
		if f != nil && (*f < 0 || math.IsNaN(float64(*f))) {
			return bad("%s: must not be negative", name)
		}
	}
	if v.PagesSlack != nil && (*v.PagesSlack < 0 || math.IsNaN(*v.PagesSlack)) {
		return bad("verify.pages_slack: must not be negative")
	}
	if v.MinIncidents < 0 {
		return bad("verify.min_incidents: must not be negative")
	}
	return nil
}

// Location returns the policy's time zone.
func (p *Policy) Location() *time.Location {
	if p.loc == nil {
		return time.UTC
	}
	return p.loc
}

// approvalSeverities returns the severities that need approval.
func (p *Policy) approvalSeverities() []string {
	if p.RequireApproval == nil {
		return DefaultApprovalSeverities
	}
	return p.RequireApproval.Severity
}

func (p *Policy) maxChanges() int {
	if p.MaxChanges == 0 {
		return DefaultMaxChanges
	}
	return p.MaxChanges
}

func (p *Policy) ledgerPath() string {
	if p.Ledger != "" {
		return p.Ledger
	}
	if p.Mode == ModeDirect {
		return path.Join(strings.TrimSuffix(p.RulesDir, "/"), DefaultLedger)
	}
	return DefaultLedger
}

// Action is what a policy lets omen do with a proposal.
type Action string

// The actions of a Decision.
const (
	// ActionApply: the change may be applied now.
	ActionApply Action = "apply"
	// ActionApproval: the change is allowed but needs a person's
	// approval: it goes to a pull request.
	ActionApproval Action = "approval"
	// ActionSkip: the policy does not allow it (now).
	ActionSkip Action = "skip"
)

// Decision is the policy's answer for one proposal, with every reason.
type Decision struct {
	Action  Action
	Reasons []string
}

// Check decides whether proposal prop, for rule r as it is now in its
// file, may be applied at now: the rule must be in scope, each change of
// an allowed kind and within the largest step, now within a window; a
// rule whose severity needs approval goes to a pull request instead.
func (p *Policy) Check(prop delivery.Proposal, r tuner.Rule, now time.Time) Decision {
	var reasons []string
	if !p.inScope(prop.File, r) {
		reasons = append(reasons, fmt.Sprintf("%s is not among the policy's rules", ruleName(prop.File, r)))
	}
	for _, c := range prop.Changes {
		if !p.allows(c.Field) {
			reasons = append(reasons, fmt.Sprintf("the policy does not allow changing %s (changes: %s)", c.Field, strings.Join(p.Changes, ", ")))
			continue
		}
		if why := p.stepTooLarge(c, r); why != "" {
			reasons = append(reasons, why)
		}
	}
	if len(reasons) > 0 {
		return Decision{Action: ActionSkip, Reasons: reasons}
	}
	if sev := p.needsApproval(prop, r); sev != "" {
		return Decision{Action: ActionApproval, Reasons: []string{fmt.Sprintf("a change to a rule with severity %s needs approval (require_approval)", sev)}}
	}
	if !p.Open(now) {
		msg := fmt.Sprintf("outside the policy's windows at %s", now.In(p.Location()).Format("Mon 15:04 MST"))
		if next, ok := p.NextOpen(now); ok {
			msg += fmt.Sprintf("; the next opens %s", next.In(p.Location()).Format("Mon 2006-01-02 15:04 MST"))
		}
		return Decision{Action: ActionSkip, Reasons: []string{msg}}
	}
	return Decision{Action: ActionApply}
}

func ruleName(file string, r tuner.Rule) string {
	return fmt.Sprintf("%s (%s, group %s)", r.Alert, file, r.Group)
}

func (p *Policy) inScope(file string, r tuner.Rule) bool {
	for _, s := range p.Rules {
		if s.matches(file, r) {
			return true
		}
	}
	return false
}

func (s Scope) matches(file string, r tuner.Rule) bool {
	if len(s.Files) > 0 && !slices.ContainsFunc(s.Files, func(pat string) bool { return fileMatch(pat, file) }) {
		return false
	}
	if len(s.Groups) > 0 && !slices.ContainsFunc(s.Groups, func(pat string) bool { return nameMatch(pat, r.Group) }) {
		return false
	}
	if len(s.Alerts) > 0 && !slices.ContainsFunc(s.Alerts, func(pat string) bool { return nameMatch(pat, r.Alert) }) {
		return false
	}
	for k, v := range s.Labels {
		if got, ok := r.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func fileMatch(pat, file string) bool {
	if dir, ok := strings.CutSuffix(pat, "/"); ok {
		return dir == "" || dir == "." || strings.HasPrefix(file, dir+"/")
	}
	ok, _ := path.Match(pat, file)
	return ok
}

func nameMatch(pat, name string) bool {
	ok, _ := path.Match(pat, name)
	return ok
}

func (p *Policy) allows(field string) bool {
	if slices.Contains(p.Changes, field) {
		return true
	}
	return strings.HasPrefix(field, "labels.") && slices.Contains(p.Changes, "labels")
}

// stepTooLarge says why a change exceeds the largest step, "" when it
// does not. The step is measured from the rule's value now.
func (p *Policy) stepTooLarge(c delivery.Change, r tuner.Rule) string {
	switch c.Field {
	case "threshold":
		to, err := c.To.Number()
		if err != nil || r.Threshold == nil {
			return "" // the editor reports it
		}
		from := r.Threshold.Value
		limit := DefaultMaxThresholdStep
		if p.MaxStep.Threshold != nil {
			limit = float64(*p.MaxStep.Threshold)
		}
		if to == from {
			return ""
		}
		if from == 0 {
			return fmt.Sprintf("threshold %s → %s: a threshold at 0 has no relative step (max_step.threshold)", tuner.FormatNumber(from), tuner.FormatNumber(to))
		}
		if step := math.Abs(to-from) / math.Abs(from); step > limit+1e-12 {
			return fmt.Sprintf("threshold %s → %s is a step of %s, above max_step.threshold %s", tuner.FormatNumber(from), tuner.FormatNumber(to), percent(step), percent(limit))
		}
	case "for", "keep_firing_for":
		to, err := c.To.Duration()
		if err != nil {
			return ""
		}
		from, limit, name := r.ForDuration, time.Duration(p.MaxStep.For), "max_step.for"
		if c.Field == "keep_firing_for" {
			from, limit, name = r.KeepFiringForDuration, time.Duration(p.MaxStep.KeepFiringFor), "max_step.keep_firing_for"
		}
		if limit == 0 {
			limit = DefaultMaxDurationStep
		}
		step := to - from
		if step < 0 {
			step = -step
		}
		if step > limit {
			return fmt.Sprintf("%s %s → %s moves by %s, above %s %s", c.Field, tuner.FormatDuration(from), tuner.FormatDuration(to), tuner.FormatDuration(step), name, tuner.FormatDuration(limit))
		}
		if c.Field == "for" && p.MaxFor > 0 && to > time.Duration(p.MaxFor) {
			return fmt.Sprintf("for %s is above max_for %s", tuner.FormatDuration(to), tuner.FormatDuration(time.Duration(p.MaxFor)))
		}
	}
	return ""
}

func percent(f float64) string {
	return strconv.FormatFloat(math.Round(f*1000)/10, 'f', -1, 64) + "%"
}

// needsApproval returns the severity that makes the change need
// approval: the rule's, or the one the change sets; "" when none.
func (p *Policy) needsApproval(prop delivery.Proposal, r tuner.Rule) string {
	sevs := p.approvalSeverities()
	if s, ok := r.Labels["severity"]; ok && slices.Contains(sevs, s) {
		return s
	}
	for _, c := range prop.Changes {
		if name, ok := c.Label(); ok && name == "severity" && slices.Contains(sevs, c.To.String()) {
			return c.To.String()
		}
	}
	return ""
}

// window is a parsed Window: a set of weekdays and minutes of the day
// [from, to), to < from running over midnight.
type window struct {
	days     [7]bool
	from, to int // minutes since midnight
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

func parseWindow(w Window) (window, error) {
	var pw window
	if len(w.Days) == 0 {
		pw.days = [7]bool{true, true, true, true, true, true, true}
	}
	for _, d := range w.Days {
		a, b, isRange := strings.Cut(strings.ToLower(strings.TrimSpace(d)), "-")
		from, ok1 := weekdays[day3(a)]
		to, ok2 := from, true
		if isRange {
			to, ok2 = weekdays[day3(b)]
		}
		if !ok1 || !ok2 {
			return pw, fmt.Errorf("days: %q: want mon, tue, wed, thu, fri, sat, sun or a range such as mon-fri", d)
		}
		for i := from; ; i = (i + 1) % 7 {
			pw.days[i] = true
			if i == to {
				break
			}
		}
	}
	pw.from, pw.to = 0, 24*60
	if w.Hours != "" {
		a, b, ok := strings.Cut(w.Hours, "-")
		var err1, err2 error
		if ok {
			pw.from, err1 = clock(a)
			pw.to, err2 = clock(b)
		}
		if !ok || err1 != nil || err2 != nil || pw.from == pw.to {
			return pw, fmt.Errorf("hours: %q: want HH:MM-HH:MM such as 09:00-16:00 (end excluded)", w.Hours)
		}
	}
	return pw, nil
}

func day3(s string) string {
	if len(s) > 3 {
		return s[:3]
	}
	return s
}

func clock(s string) (int, error) {
	s = strings.TrimSpace(s)
	t, err := time.Parse("15:04", s)
	if err != nil {
		if s == "24:00" {
			return 24 * 60, nil
		}
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

func (w window) contains(t time.Time) bool {
	m := t.Hour()*60 + t.Minute()
	if w.from < w.to {
		return w.days[t.Weekday()] && m >= w.from && m < w.to
	}
	// Over midnight: the part after midnight belongs to the day before.
	if m >= w.from {
		return w.days[t.Weekday()]
	}
	return m < w.to && w.days[(t.Weekday()+6)%7]
}

// Open reports whether now lies in one of the policy's windows (always,
// without windows).
func (p *Policy) Open(now time.Time) bool {
	if len(p.Windows) == 0 {
		return true
	}
	if p.windows == nil {
		if err := p.Validate(); err != nil {
			return false
		}
	}
	t := now.In(p.Location())
	for _, w := range p.windows {
		if w.contains(t) {
			return true
		}
	}
	return false
}

// NextOpen returns the first minute after now at which a window is open,
// within a week; false when none is.
func (p *Policy) NextOpen(now time.Time) (time.Time, bool) {
	t := now.Truncate(time.Minute)
	for i := 1; i <= 7*24*60; i++ {
		if c := t.Add(time.Duration(i) * time.Minute); p.Open(c) {
			return c, true
		}
	}
	return time.Time{}, false
}

// Duration is a Prometheus duration in YAML: 30s, 5m, 2h, 7d, 1w.
type Duration time.Duration

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := model.ParseDuration(strings.TrimSpace(n.Value))
	if n.Kind != yaml.ScalarNode || err != nil {
		return fmt.Errorf("line %d: want a duration such as 30s, 10m, 7d, not %q", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as Prometheus does.
func (d Duration) MarshalYAML() (any, error) { return model.Duration(d).String(), nil }

// Fraction is a share in YAML: 0.25 or 25%.
type Fraction float64

// UnmarshalYAML reads a number or a percentage.
func (f *Fraction) UnmarshalYAML(n *yaml.Node) error {
	s := strings.TrimSpace(n.Value)
	scale := 1.0
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		s, scale = strings.TrimSpace(pct), 0.01
	}
	v, err := strconv.ParseFloat(s, 64)
	if n.Kind != yaml.ScalarNode || err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("line %d: want a fraction such as 0.25 or a percentage such as 25%%, not %q", n.Line, n.Value)
	}
	*f = Fraction(v * scale)
	return nil
}
