package apply

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/omenhq/omen/internal/delivery"
	"github.com/omenhq/omen/internal/gitops"
	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/tuner"
)

// Options configures Run. Policy is required; every other field has a
// useful zero value.
type Options struct {
	// Policy says what may be applied, how and when; nil is ErrNoPolicy.
	Policy *Policy
	// Proposals are the tuner's proposals to apply; nil applies nothing
	// (verification only).
	Proposals *delivery.File
	// Verify verifies the entries of the ledger whose verification is due
	// before applying anything.
	Verify bool
	// Now is the instant of the run; default time.Now().
	Now time.Time
	// Querier reads history for verification: the rule as applied and the
	// old rule are replayed over the verification window (and, with
	// verify.history alerts, the server's ALERTS read). Required to
	// verify.
	Querier tuner.Querier
	// Incidents are what the changes are verified against.
	Incidents []pir.Incident
	// Prometheus evaluates the rules: reloaded in direct mode (required
	// there) and asked for the rules' health (optional in GitOps mode).
	Prometheus *Prometheus
	// Token and GitUser authenticate git over HTTPS (GitOps, approvals).
	Token, GitUser string
	// Forge, when set, gets the pull request of changes that need
	// approval and comments on pull requests proposing applied changes.
	Forge gitops.Forge
	// DryRun changes nothing: it says what would be applied.
	DryRun bool
	// Validate checks changed rule files; default delivery.ValidateRules
	// (read back, promtool check rules).
	Validate gitops.ValidateFunc
	// MaxPointsPerQuery and Concurrency bound the verification replays
	// (tuner.ReplayConfig).
	MaxPointsPerQuery, Concurrency int
	// TempDir holds temporary clones and files; default os.TempDir().
	TempDir string
	// Logger receives what was done; default discard.
	Logger *slog.Logger
}

// Report is what Run did; its JSON is omen apply's output.
type Report struct {
	// Mode is the policy's mode and Ledger where the ledger is.
	Mode   Mode   `json:"mode"`
	Ledger string `json:"ledger"`
	// DryRun reports that nothing was changed.
	DryRun bool `json:"dry_run"`
	// Applied are the changes applied now (or that would be, in a dry
	// run).
	Applied []Outcome `json:"applied"`
	// Verified are the changes whose verification passed: kept.
	Verified []Outcome `json:"verified"`
	// RolledBack are the changes undone: a reload rejected, health err, a
	// verification failed.
	RolledBack []Outcome `json:"rolled_back"`
	// Superseded are changes someone changed again since: neither verified
	// nor rolled back.
	Superseded []Outcome `json:"superseded"`
	// Approval are the changes that need a person's approval, proposed in
	// PullRequest when a repository is known.
	Approval    []Outcome                `json:"approval"`
	PullRequest *delivery.PullRequestRef `json:"pull_request,omitempty"`
	// Skipped are the proposals not applied, with the reasons.
	Skipped []Outcome `json:"skipped"`
	// Pending are verifications that could not run now (retried on the
	// next run).
	Pending []Outcome `json:"pending"`
	// Failed are changes whose verification failed and that could not be
	// rolled back: a person must look.
	Failed []Outcome `json:"failed"`
	// State is the ledger as the run left it (nil when it could not be
	// read): omen serve shows it on /metrics (Ledger.Series).
	State *Ledger `json:"-"`
}

// Outcome is what happened to one proposal or ledger entry.
type Outcome struct {
	// Entry is the ledger entry's ID, Proposal the proposal's.
	Entry    string `json:"entry,omitempty"`
	Proposal string `json:"proposal"`
	// File, Group and Alert name the rule; Changes says what changed.
	File    string `json:"file"`
	Group   string `json:"group"`
	Alert   string `json:"alert"`
	Changes string `json:"changes"`
	// Reasons say why.
	Reasons []string `json:"reasons,omitempty"`
	// Commit is the commit made (GitOps).
	Commit string `json:"commit,omitempty"`
	// VerifyAt is when an applied change is verified.
	VerifyAt *time.Time `json:"verify_at,omitempty"`
	// Verification holds the figures of a verification.
	Verification *Verification `json:"verification,omitempty"`
}

// Changed reports whether the run rolled something back or left a change
// a person must look at.
func (r *Report) Changed() bool { return len(r.RolledBack) > 0 || len(r.Failed) > 0 }

// deployer puts changes in effect, in one mode.
type deployer interface {
	// where names the ledger for people.
	where() string
	// ledger reads the ledger as it is now.
	ledger(ctx context.Context) (*Ledger, error)
	// read returns the bytes of a rule file (relative to the root).
	read(ctx context.Context, file string) ([]byte, error)
	// apply puts content in effect for file (whose bytes were old) with
	// the ledger l, whose entry e is the new one, and returns the commit
	// made. When the server refused the change after it was written, the
	// old bytes are back, e is rolled back in l (saved) and the error is a
	// *rejected.
	apply(ctx context.Context, file string, old, content []byte, l *Ledger, e *Entry, rule tuner.Rule) (string, error)
	// before returns the bytes of e's rule file just before the change.
	before(ctx context.Context, e *Entry) ([]byte, error)
	// rollback undoes e's change to file (whose bytes are cur now; before
	// are those before the change), with the ledger l in which e is
	// rolled back, and returns the commit made. rule is the restored
	// rule. On error nothing changed.
	rollback(ctx context.Context, file string, cur, before []byte, l *Ledger, e *Entry, rule tuner.Rule, why []string) (string, error)
	// forget drops what was kept to roll e back, once it is settled.
	forget(e *Entry)
	// save writes the ledger alone.
	save(ctx context.Context, l *Ledger, msg string) error
	close() error
}

// rejected is a change the server refused after it was written; it was
// undone.
type rejected struct{ reasons []string }

func (e *rejected) Error() string { return strings.Join(e.reasons, "; ") }

// Run verifies the ledger's due entries (when opt.Verify) and then
// applies the proposals the policy allows, one at a time: each is
// validated, put in effect, checked on the server (direct mode: the
// reload accepted, the rule loaded and evaluated with health ok) and
// recorded in the ledger, or undone with the reason recorded. Changes
// that need approval go to a pull request. A change is never left
// half-applied: a failure after a file was written restores its bytes
// (and reloads), a GitOps push is all or nothing.
func Run(ctx context.Context, opt Options) (*Report, error) {
	p := opt.Policy
	if p == nil {
		return nil, ErrNoPolicy
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Validate == nil {
		opt.Validate = delivery.ValidateRules
	}
	if p.Mode == ModeDirect && opt.Prometheus == nil {
		return nil, fmt.Errorf("%w: direct mode needs the Prometheus that evaluates the rules, to reload it: prometheus: in the policy, or --prometheus", ErrPolicy)
	}
	rep := &Report{Mode: p.Mode, DryRun: opt.DryRun}
	var d deployer
	var err error
	switch p.Mode {
	case ModeDirect:
		d, err = newDirect(p, opt)
	case ModeGitOps:
		d, err = newGitDeploy(ctx, p, opt)
	}
	if err != nil {
		return rep, err
	}
	defer d.close()
	rep.Ledger = d.where()
	l, err := d.ledger(ctx)
	if err != nil {
		return rep, err
	}
	rep.State = l
	r := &runner{opt: opt, p: p, d: d, rep: rep, log: opt.Logger}
	if opt.Verify {
		if err := r.verifyDue(ctx, l); err != nil {
			return rep, err
		}
	}
	if opt.Proposals != nil {
		if err := r.applyAll(ctx, l); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

type runner struct {
	opt Options
	p   *Policy
	d   deployer
	rep *Report
	log *slog.Logger
}

func outcomeOf(prop delivery.Proposal, reasons ...string) Outcome {
	o := Outcome{Proposal: prop.ID(), File: prop.File, Group: prop.Group, Alert: prop.Alert, Reasons: reasons}
	parts := make([]string, len(prop.Changes))
	for i, c := range prop.Changes {
		parts[i] = fmt.Sprintf("%s %s → %s", c.Field, c.From, c.To)
	}
	o.Changes = strings.Join(parts, ", ")
	return o
}

func entryOutcome(e *Entry, reasons ...string) Outcome {
	o := Outcome{Entry: e.ID, Proposal: e.Proposal, File: e.File, Group: e.Group, Alert: e.Alert, Changes: e.ChangesText(), Reasons: reasons}
	if e.State == StateApplied {
		at := e.VerifyAt
		o.VerifyAt = &at
	}
	return o
}

// applyAll applies the proposals one at a time.
func (r *runner) applyAll(ctx context.Context, l *Ledger) error {
	var approvals []delivery.Proposal
	applied := 0
	for _, prop := range r.opt.Proposals.Proposals {
		skip := func(reasons ...string) {
			r.log.Info("not applied", "alert", prop.Alert, "file", prop.File, "reason", strings.Join(reasons, "; "))
			r.rep.Skipped = append(r.rep.Skipped, outcomeOf(prop, reasons...))
		}
		if e := l.Pending(prop); e != nil {
			skip(fmt.Sprintf("the change %s of this rule (entry %s) awaits its verification on %s", e.ChangesText(), e.ID, e.VerifyAt.Format(time.RFC3339)))
			continue
		}
		if e := l.RolledBack(prop); e != nil {
			skip(fmt.Sprintf("the same change was %s on %s (entry %s: %s); it is not applied again", strings.ReplaceAll(string(e.State), "_", " "), lastAt(e).Format(time.RFC3339), e.ID, e.Reason))
			continue
		}
		cur, err := r.d.read(ctx, prop.File)
		if err != nil {
			skip(err.Error())
			continue
		}
		rules, err := tuner.Parse(cur, prop.File, prop.File, tuner.LoadOptions{})
		if err != nil {
			skip(err.Error())
			continue
		}
		rule, err := tuner.Find(rules, tuner.Selector{Alert: prop.Alert, Group: prop.Group, Labels: prop.Labels})
		if err != nil {
			skip(fmt.Sprintf("%s: %v", prop.File, err))
			continue
		}
		dec := r.p.Check(prop, rule, r.opt.Now)
		switch dec.Action {
		case ActionSkip:
			skip(dec.Reasons...)
			continue
		case ActionApproval:
			approvals = append(approvals, prop)
			r.rep.Approval = append(r.rep.Approval, outcomeOf(prop, dec.Reasons...))
			continue
		}
		content, err := delivery.EditRules(cur, prop.File, prop)
		switch {
		case errors.Is(err, delivery.ErrApplied):
			skip("every value is already in effect")
			continue
		case err != nil:
			skip(err.Error())
			continue
		}
		if err := r.validate(ctx, prop.File, content); err != nil {
			skip(fmt.Sprintf("the edited file fails its check, nothing written: %v", err))
			continue
		}
		newRules, err := tuner.Parse(content, prop.File, prop.File, tuner.LoadOptions{})
		if err != nil {
			skip(err.Error())
			continue
		}
		newRule, err := tuner.Find(newRules, selectorAfter(prop))
		if err != nil {
			skip(fmt.Sprintf("%s: the edited rule: %v", prop.File, err))
			continue
		}
		if r.opt.Prometheus != nil && r.p.Mode == ModeDirect {
			if why := r.healthBefore(ctx, prop.File, rule); why != "" {
				skip(why)
				continue
			}
		}
		if applied >= r.p.maxChanges() {
			skip(fmt.Sprintf("max_changes: %d changes were applied in this run already", applied))
			continue
		}
		applied++
		e := newEntry(prop, r.p.Mode, r.opt.Now, time.Duration(r.p.VerifyAfter))
		if r.opt.DryRun {
			o := entryOutcome(&e, "would be applied (dry run)")
			r.rep.Applied = append(r.rep.Applied, o)
			continue
		}
		e.set(StateApplied, r.opt.Now, "applied under the policy", "")
		r.linkPullRequest(ctx, prop, &e)
		l.Entries = append(l.Entries, e)
		ep := &l.Entries[len(l.Entries)-1]
		commit, err := r.d.apply(ctx, prop.File, cur, content, l, ep, newRule)
		var rej *rejected
		switch {
		case errors.As(err, &rej):
			r.log.Warn("rolled back at once", "alert", prop.Alert, "file", prop.File, "reason", rej.Error())
			r.rep.RolledBack = append(r.rep.RolledBack, entryOutcome(ep, rej.reasons...))
			continue
		case err != nil:
			l.Entries = l.Entries[:len(l.Entries)-1]
			return fmt.Errorf("%s: %w", prop.Title(), err)
		}
		if commit != "" {
			ep.History[len(ep.History)-1].Commit = commit
		}
		o := entryOutcome(ep, "applied under the policy")
		o.Commit = commit
		r.rep.Applied = append(r.rep.Applied, o)
		r.log.Info("applied", "alert", prop.Alert, "file", prop.File, "changes", ep.ChangesText(), "entry", ep.ID, "verify_at", ep.VerifyAt.Format(time.RFC3339))
		r.comment(ctx, ep, fmt.Sprintf("omen applied this change under its apply policy (%s mode%s, ledger entry `%s`). It will be verified on %s against its promise; a failed verification rolls it back.",
			r.p.Mode, commitText(commit), ep.ID, ep.VerifyAt.Format(time.RFC3339)))
	}
	if len(approvals) > 0 {
		return r.deliverApprovals(ctx, approvals)
	}
	return nil
}

func commitText(c string) string {
	if c == "" {
		return ""
	}
	return ", commit " + c
}

func lastAt(e *Entry) time.Time {
	if len(e.History) > 0 {
		return e.History[len(e.History)-1].At
	}
	return e.AppliedAt
}

// selectorAfter picks a proposal's rule once changed: its label changes
// may alter the labels that pick it.
func selectorAfter(prop delivery.Proposal) tuner.Selector {
	labels := maps.Clone(prop.Labels)
	for _, c := range prop.Changes {
		if name, ok := c.Label(); ok && labels != nil {
			if _, picked := labels[name]; picked {
				labels[name] = c.To.String()
			}
		}
	}
	return tuner.Selector{Alert: prop.Alert, Group: prop.Group, Labels: labels}
}

// validate checks content as file would hold it, in a temporary copy.
func (r *runner) validate(ctx context.Context, file string, content []byte) error {
	dir, err := os.MkdirTemp(r.opt.TempDir, "omen-apply-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	full := filepath.Join(dir, filepath.FromSlash(file))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(full, content, 0o600); err != nil {
		return err
	}
	return r.opt.Validate(ctx, dir, []string{file})
}

// healthBefore says why a rule is not changed given what the server says
// of it now ("" when it may be): it is not evaluated there, or fails.
func (r *runner) healthBefore(ctx context.Context, file string, rule tuner.Rule) string {
	rs, err := r.opt.Prometheus.Rules(ctx)
	if err != nil {
		return err.Error()
	}
	st, ok := find(rs, file, rule.Group, rule.Alert, rule.Labels, true)
	switch {
	case !ok:
		return fmt.Sprintf("%s does not evaluate %s of group %s from %s: rules_dir must be the directory its rule_files read", r.opt.Prometheus.shownURL(), rule.Alert, rule.Group, file)
	case st.Health == "err":
		return fmt.Sprintf("the rule's health is err before any change (%s): a rule that fails to evaluate is not tuned automatically", st.LastError)
	}
	return ""
}

// linkPullRequest finds an open pull request omen opened for exactly this
// proposal, so that it hears of the apply and of a rollback.
func (r *runner) linkPullRequest(ctx context.Context, prop delivery.Proposal, e *Entry) {
	if r.opt.Forge == nil {
		return
	}
	pr, err := r.opt.Forge.FindOpen(ctx, delivery.Branch([]delivery.Proposal{prop}))
	if err != nil {
		r.log.Warn("cannot look for the pull request of the change", "alert", prop.Alert, "error", err)
		return
	}
	if pr != nil {
		e.PullRequest = &PullRequest{Number: pr.Number, URL: pr.URL}
	}
}

// comment tells the entry's pull request, when there is one.
func (r *runner) comment(ctx context.Context, e *Entry, body string) {
	if r.opt.Forge == nil || e.PullRequest == nil || r.opt.DryRun {
		return
	}
	if err := r.opt.Forge.Comment(ctx, e.PullRequest.Number, body); err != nil {
		r.log.Warn("cannot comment on the pull request", "number", e.PullRequest.Number, "error", err)
	}
}

// deliverApprovals proposes the changes that need approval as one pull
// request on the policy's repository, when it has one.
func (r *runner) deliverApprovals(ctx context.Context, ps []delivery.Proposal) error {
	if r.p.Repo == "" {
		for i := range r.rep.Approval {
			r.rep.Approval[i].Reasons = append(r.rep.Approval[i].Reasons, "no repo: in the policy: deliver it with omen pr")
		}
		return nil
	}
	base := r.p.Branch
	if base == "" {
		base = "main"
	}
	f := *r.opt.Proposals
	f.Proposals = ps
	out, err := delivery.Deliver(ctx, delivery.Options{
		Repo: r.p.Repo, Base: base, Proposals: &f, Token: r.opt.Token, GitUser: r.opt.GitUser,
		Forge: r.opt.Forge, DryRun: r.opt.DryRun, TempDir: r.opt.TempDir, Logger: r.log,
	})
	if err != nil {
		return fmt.Errorf("the changes that need approval: %w", err)
	}
	r.rep.PullRequest = out.PullRequest
	for i := range r.rep.Approval {
		switch {
		case out.PullRequest != nil:
			r.rep.Approval[i].Reasons = append(r.rep.Approval[i].Reasons, fmt.Sprintf("proposed in pull request #%d %s", out.PullRequest.Number, out.PullRequest.URL))
		case out.Branch != "":
			r.rep.Approval[i].Reasons = append(r.rep.Approval[i].Reasons, fmt.Sprintf("proposed on branch %s (no forge given for a pull request)", out.Branch))
		}
		r.rep.Approval[i].Commit = out.Commit
	}
	return nil
}

// checkFile refuses a proposal path that leaves the rules directory.
func checkFile(file string) error {
	switch {
	case file == "" || path.IsAbs(file) || filepath.IsAbs(file) || strings.Contains(file, "\\"):
		return fmt.Errorf("%q: want a path relative to the rules directory", file)
	case path.Clean(file) != file || file == ".." || strings.HasPrefix(file, "../"):
		return fmt.Errorf("%q: want a clean path inside the rules directory", file)
	}
	return nil
}

// notExist reports a missing file.
func notExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
