package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/omenhq/omen/internal/gitops"
	"github.com/omenhq/omen/tuner"
)

// Trailers of omen's commits on a deploy branch.
const (
	// TrailerApply names the ledger entry a commit applies.
	TrailerApply = "Omen-Apply"
	// TrailerRollback names the ledger entry a commit rolls back.
	TrailerRollback = "Omen-Rollback"
)

// gitDeploy applies changes as commits on a deploy branch, the ledger in
// the same commit.
type gitDeploy struct {
	repo       *gitops.Repo
	branch     string
	ledgerPath string
	validate   gitops.ValidateFunc
	dryRun     bool
}

func newGitDeploy(ctx context.Context, p *Policy, opt Options) (*gitDeploy, error) {
	repo, err := gitops.Clone(ctx, gitops.Config{Remote: p.Repo, Token: opt.Token, Username: opt.GitUser, TempDir: opt.TempDir, Logger: opt.Logger})
	if err != nil {
		return nil, err
	}
	repo.Redactor().Add(opt.Token)
	tip, err := repo.RemoteBranch(ctx, p.Branch)
	if err != nil {
		repo.Close()
		return nil, err
	}
	if tip == "" {
		repo.Close()
		return nil, fmt.Errorf("branch: the deploy branch %s is not in %s", p.Branch, repo.Remote().URL)
	}
	g := &gitDeploy{repo: repo, branch: p.Branch, ledgerPath: p.ledgerPath(), dryRun: opt.DryRun}
	g.validate = func(ctx context.Context, dir string, paths []string) error {
		// The ledger is no rule file.
		rules := slices.DeleteFunc(slices.Clone(paths), func(s string) bool { return s == g.ledgerPath })
		if len(rules) == 0 {
			return nil
		}
		return opt.Validate(ctx, dir, rules)
	}
	return g, nil
}

func (g *gitDeploy) where() string {
	return fmt.Sprintf("%s in %s, branch %s", g.ledgerPath, g.repo.Remote().URL, g.branch)
}

func (g *gitDeploy) close() error { return g.repo.Close() }

func (g *gitDeploy) ledger(ctx context.Context) (*Ledger, error) {
	b, err := g.repo.ReadFile(ctx, g.branch, g.ledgerPath)
	if notExist(err) {
		return &Ledger{Version: LedgerVersion}, nil
	}
	if err != nil {
		return nil, err
	}
	l, err := ParseLedger(b, g.ledgerPath)
	if err != nil {
		return nil, err
	}
	return l, g.fillCommits(ctx, l)
}

// fillCommits records in the ledger the commits that applied and rolled
// back its entries (a commit cannot name itself in the ledger it holds),
// from the trailers of the branch's history.
func (g *gitDeploy) fillCommits(ctx context.Context, l *Ledger) error {
	missing := false
	for _, e := range l.Entries {
		for _, ev := range e.History {
			missing = missing || ev.Commit == "" && (ev.State == StateApplied || ev.State == StateRolledBack) && e.Mode == ModeGitOps
		}
	}
	if !missing {
		return nil
	}
	log, err := g.repo.Log(ctx, g.branch, 100000)
	if err != nil {
		return err
	}
	commits := map[State]map[string]string{StateApplied: {}, StateRolledBack: {}}
	for i := len(log) - 1; i >= 0; i-- { // oldest first: the first apply wins
		for st, key := range map[State]string{StateApplied: TrailerApply, StateRolledBack: TrailerRollback} {
			for _, id := range log[i].Trailers[key] {
				if _, ok := commits[st][id]; !ok {
					commits[st][id] = log[i].SHA
				}
			}
		}
	}
	for i := range l.Entries {
		e := &l.Entries[i]
		if e.Mode != ModeGitOps {
			continue
		}
		for j := range e.History {
			if ev := &e.History[j]; ev.Commit == "" && commits[ev.State] != nil {
				ev.Commit = commits[ev.State][e.ID]
			}
		}
	}
	return nil
}

func (g *gitDeploy) read(ctx context.Context, file string) ([]byte, error) {
	if err := checkFile(file); err != nil {
		return nil, err
	}
	return g.repo.ReadFile(ctx, g.branch, file)
}

func (g *gitDeploy) ledgerChange(l *Ledger) (gitops.Change, error) {
	b, err := l.Marshal()
	if err != nil {
		return gitops.Change{}, err
	}
	return gitops.Change{Path: g.ledgerPath, Content: b}, nil
}

// apply commits the rule file and the ledger in one commit.
func (g *gitDeploy) apply(ctx context.Context, file string, _, content []byte, l *Ledger, e *Entry, _ tuner.Rule) (string, error) {
	lc, err := g.ledgerChange(l)
	if err != nil {
		return "", err
	}
	res, err := g.repo.Commit(ctx, gitops.CommitRequest{
		Branch: g.branch, Changes: []gitops.Change{{Path: file, Content: content}, lc},
		Message: applyMessage(e, g.branch), Validate: g.validate, DryRun: g.dryRun,
	})
	if err != nil {
		return "", g.repo.Redactor().Error(err)
	}
	return res.Commit, nil
}

func applyMessage(e *Entry, branch string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "omen: apply %s %s\n\n", e.Alert, e.ChangesText())
	fmt.Fprintf(&b, "Applied to %s under omen's apply policy: %s, group %s.\n", branch, e.File, e.Group)
	if e.Why != "" {
		fmt.Fprintf(&b, "Why: %s\n", e.Why)
	}
	if pr := promiseText(e.Promise); pr != "" {
		fmt.Fprintf(&b, "Promise: %s.\n", pr)
	}
	fmt.Fprintf(&b, "Verified on %s; a failed verification reverts this commit.\n\n", e.VerifyAt.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "Omen-Proposal: %s\n%s: %s\n", e.Proposal, TrailerApply, e.ID)
	return b.String()
}

// promiseText is "2 pages a week, catches INC-4, INC-7 (validation)".
func promiseText(p Promise) string {
	var parts []string
	if p.PagesPerWeek != nil {
		parts = append(parts, fmt.Sprintf("%s pages a week", num(*p.PagesPerWeek)))
	}
	switch {
	case len(p.Caught) > 0:
		parts = append(parts, "catches "+strings.Join(p.Caught, ", "))
	case p.CaughtCount != nil:
		parts = append(parts, fmt.Sprintf("catches %d incidents", *p.CaughtCount))
	}
	if p.Recall != nil {
		parts = append(parts, "recall "+percent(*p.Recall))
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, ", ") + " (" + p.Basis + ")"
}

// applyCommit finds the commit of the branch that applied entry id.
func (g *gitDeploy) applyCommit(ctx context.Context, id string) (string, error) {
	log, err := g.repo.Log(ctx, g.branch, 100000)
	if err != nil {
		return "", err
	}
	for _, c := range log {
		if slices.Contains(c.Trailers[TrailerApply], id) {
			return c.SHA, nil
		}
	}
	return "", fmt.Errorf("no commit of branch %s carries %s: %s", g.branch, TrailerApply, id)
}

// before reads the rule file at the parent of the commit that applied e.
func (g *gitDeploy) before(ctx context.Context, e *Entry) ([]byte, error) {
	commit, err := g.applyCommit(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	return g.repo.ReadFile(ctx, commit+"^", e.File)
}

func (g *gitDeploy) forget(*Entry) {}

// rollback reverts the entry's commit for the rule file and records the
// ledger in the same commit.
func (g *gitDeploy) rollback(ctx context.Context, file string, _, _ []byte, l *Ledger, e *Entry, _ tuner.Rule, why []string) (string, error) {
	commit, err := g.applyCommit(ctx, e.ID)
	if err != nil {
		return "", err
	}
	lc, err := g.ledgerChange(l)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "omen: roll back %s %s\n\n", e.Alert, e.ChangesText())
	b.WriteString("The change failed its verification:\n")
	for _, w := range why {
		fmt.Fprintf(&b, "- %s\n", w)
	}
	fmt.Fprintf(&b, "\nThis reverts commit %s (%s only).\n\nOmen-Proposal: %s\n%s: %s\n", commit, file, e.Proposal, TrailerRollback, e.ID)
	res, err := g.repo.Revert(ctx, gitops.RevertRequest{
		Branch: g.branch, Commit: commit, Paths: []string{file}, Changes: []gitops.Change{lc},
		Message: b.String(), Validate: g.validate, DryRun: g.dryRun,
	})
	if errors.Is(err, gitops.ErrNoChanges) {
		return "", nil
	}
	if err != nil {
		return "", g.repo.Redactor().Error(err)
	}
	return res.Commit, nil
}

func (g *gitDeploy) save(ctx context.Context, l *Ledger, msg string) error {
	lc, err := g.ledgerChange(l)
	if err != nil {
		return err
	}
	_, err = g.repo.Commit(ctx, gitops.CommitRequest{Branch: g.branch, Changes: []gitops.Change{lc}, Message: msg, DryRun: g.dryRun})
	if errors.Is(err, gitops.ErrNoChanges) {
		return nil
	}
	return g.repo.Redactor().Error(err)
}
