package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"

	"github.com/omenhq/omen/internal/gitops"
)

// DefaultMaxOpen is how many of omen's pull requests may be open at once
// in a repository when Options.MaxOpen is zero.
const DefaultMaxOpen = 5

// ErrMaxOpen is returned when opening a pull request would exceed
// Options.MaxOpen; nothing is pushed.
var ErrMaxOpen = errors.New("delivery: too many open omen pull requests")

// Options configures Deliver.
type Options struct {
	// Repo is the rules repository: a directory or a URL.
	Repo string
	// Base is the branch proposals go into; default "main".
	Base string
	// Proposals are the tuner's proposals.
	Proposals *File
	// Token authenticates git over HTTPS (the forge's token).
	Token string
	// GitUser is the user name sent with the token; default by forge.
	GitUser string
	// Forge, when set, gets the pull request; nil makes the branch only.
	Forge gitops.Forge
	// MaxOpen caps omen's open pull requests in the repository (head
	// branches omen/...); default DefaultMaxOpen.
	MaxOpen int
	// Labels are put on the pull request; default ["omen"].
	Labels []string
	// IgnoreClosed proposes changes again even when a pull request with
	// the same change and evidence was closed without merging.
	IgnoreClosed bool
	// DryRun pushes nothing and writes nothing to the forge.
	DryRun bool
	// Edit applies a proposal to a file's bytes; default EditRules.
	Edit EditFunc
	// Validate checks the changed files before the push; default
	// ValidateRules.
	Validate gitops.ValidateFunc
	// TempDir holds the temporary clone; default os.TempDir().
	TempDir string
	// Logger receives what was done and what was left alone; default
	// discard.
	Logger *slog.Logger
}

// Outcome is what Deliver did; its JSON is `omen pr`'s output.
type Outcome struct {
	// Branch is the branch of the proposals ("" when nothing was left to
	// propose).
	Branch string `json:"branch"`
	// Commit is the commit the branch holds.
	Commit string `json:"commit"`
	// PullRequest is the pull request, nil without a forge (or, in a dry
	// run, when none is open yet).
	PullRequest *PullRequestRef `json:"pull_request"`
	// ChangedFiles are the files the commit changes.
	ChangedFiles []string `json:"changed_files"`
	// Created and Updated describe the pull request, or the branch when no
	// forge is given: created now, or updated (new commit, or new title or
	// body). Both false: it already was as proposed.
	Created bool `json:"created"`
	Updated bool `json:"updated"`
	// Diff is the commit's diff, in a dry run.
	Diff string `json:"diff,omitempty"`
	// Title and Body are the pull request's (also without a forge).
	Title string `json:"-"`
	Body  string `json:"-"`
}

// PullRequestRef is a pull request's number and web page.
type PullRequestRef struct {
	Number int    `json:"number"`
	URL    string `json:"url"`
}

// Deliver turns proposals into one branch with one commit over the base
// and, with a forge, one pull request; see the package documentation for
// how it stays idempotent and what a closed pull request means.
func Deliver(ctx context.Context, opt Options) (Outcome, error) {
	out := Outcome{ChangedFiles: []string{}}
	if opt.Proposals == nil {
		return out, errors.New("delivery: no proposals")
	}
	if opt.Base == "" {
		opt.Base = "main"
	}
	if opt.MaxOpen <= 0 {
		opt.MaxOpen = DefaultMaxOpen
	}
	if opt.Labels == nil {
		opt.Labels = []string{"omen"}
	}
	if opt.Edit == nil {
		opt.Edit = EditRules
	}
	if opt.Validate == nil {
		opt.Validate = ValidateRules
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	repo, err := cloneRepo(ctx, opt.Repo, opt.Token, opt.GitUser, opt.TempDir, opt.Forge, log)
	if err != nil {
		return out, err
	}
	defer repo.Close()
	red := repo.Redactor()

	var open, closed []gitops.PullRequest
	if opt.Forge != nil {
		if open, err = opt.Forge.List(ctx, gitops.ListOptions{State: gitops.StateOpen, HeadPrefix: "omen/"}); err != nil {
			return out, red.Error(err)
		}
		if !opt.IgnoreClosed {
			if closed, err = opt.Forge.List(ctx, gitops.ListOptions{State: gitops.StateClosed, HeadPrefix: BranchPrefix}); err != nil {
				return out, red.Error(err)
			}
		}
	}
	ps := dropRejected(opt.Proposals.Proposals, closed, log)
	changes, applied, err := apply(ctx, repo, opt.Base, ps, opt.Edit, log)
	if err != nil {
		return out, red.Error(err)
	}
	if len(applied) == 0 {
		log.Info("nothing to propose", "proposals", len(opt.Proposals.Proposals))
		return out, nil
	}
	branch := Branch(applied)
	out.Branch = branch
	title, msg := Title(applied), Message(applied)
	body, err := Body(opt.Proposals, applied)
	if err != nil {
		return out, err
	}
	out.Title, out.Body = title, body

	var existing *gitops.PullRequest
	var superseded []gitops.PullRequest
	if opt.Forge != nil {
		if existing, err = opt.Forge.FindOpen(ctx, branch); err != nil {
			return out, red.Error(err)
		}
		if existing == nil {
			superseded = overlapping(open, applied, branch)
			if n := len(open) - len(superseded); n >= opt.MaxOpen {
				return out, fmt.Errorf("%w: %d are open and --max-open is %d: merge or close one (%s), nothing pushed", ErrMaxOpen, n, opt.MaxOpen, prList(open))
			}
		}
	}

	res, err := repo.Propose(ctx, gitops.ProposeRequest{Base: opt.Base, Branch: branch, Changes: changes, Message: msg, Validate: opt.Validate, DryRun: opt.DryRun})
	if errors.Is(err, gitops.ErrNoChanges) {
		log.Info("the proposals are already on the base branch", "base", opt.Base)
		return Outcome{ChangedFiles: []string{}}, nil
	}
	if err != nil {
		return out, red.Error(err)
	}
	out.Commit, out.ChangedFiles = res.Commit, res.ChangedFiles
	if opt.DryRun {
		out.Diff = res.Diff
	}
	if res.Pushed {
		log.Info("pushed", "branch", branch, "commit", res.Commit, "created", res.Created)
	}
	if opt.Forge == nil {
		out.Created, out.Updated = res.Created, res.Updated
		return out, nil
	}

	// From here on every step that changed something registers its undo,
	// run in reverse when a later step fails: nothing is left half-done.
	var undo []func() error
	fail := func(err error) (Outcome, error) {
		for i := len(undo) - 1; i >= 0; i-- {
			if uerr := undo[i](); uerr != nil {
				log.Error("cannot undo a step after a failure", "err", red.Error(uerr))
				err = fmt.Errorf("%w; and undoing failed: %v", err, uerr)
			}
		}
		return Outcome{ChangedFiles: []string{}}, red.Error(err)
	}
	if res.Pushed {
		undo = append(undo, func() error { return repo.Restore(context.WithoutCancel(ctx), res) })
	}

	if existing == nil {
		if opt.DryRun {
			out.Created = true
			return out, nil
		}
		pr, err := createPullRequest(ctx, opt.Forge, gitops.NewPullRequest{Head: branch, Base: opt.Base, Title: title, Body: body, Labels: opt.Labels})
		if err != nil {
			return fail(err)
		}
		log.Info("pull request opened", "number", pr.Number, "url", pr.URL)
		out.PullRequest = &PullRequestRef{Number: pr.Number, URL: pr.URL}
		out.Created = true
		supersede(ctx, opt.Forge, superseded, pr.Number, log)
		return out, nil
	}

	out.PullRequest = &PullRequestRef{Number: existing.Number, URL: existing.URL}
	needEdit := existing.Title != title || normalizeBody(existing.Body) != normalizeBody(body)
	oldState, hadState := decodeState(existing.Body)
	comment := ""
	if hadState {
		rebased := ""
		if res.Pushed {
			rebased = opt.Base
		}
		comment = changeComment(oldState, applied, rebased)
	} else if res.Pushed {
		comment = changeComment(state{}, applied, opt.Base)
	}
	out.Updated = res.Pushed || needEdit
	if opt.DryRun {
		return out, nil
	}
	if needEdit {
		if _, err := opt.Forge.Update(ctx, existing.Number, gitops.Edit{Title: &title, Body: &body, Labels: opt.Labels}); err != nil {
			return fail(err)
		}
		oldTitle, oldBody := existing.Title, existing.Body
		undo = append(undo, func() error {
			_, err := opt.Forge.Update(context.WithoutCancel(ctx), existing.Number, gitops.Edit{Title: &oldTitle, Body: &oldBody})
			return err
		})
		log.Info("pull request updated", "number", existing.Number, "url", existing.URL)
	}
	if comment != "" {
		if err := opt.Forge.Comment(ctx, existing.Number, comment); err != nil {
			return fail(err)
		}
	}
	return out, nil
}

// apply edits the files of the proposals at base, proposal by proposal
// (a file changed by several is edited in turn), and returns the changes
// and the proposals applied. A proposal already in the file or made for a
// value someone changed since is left out, with a log line.
func apply(ctx context.Context, repo *gitops.Repo, base string, ps []Proposal, edit EditFunc, log *slog.Logger) ([]gitops.Change, []Proposal, error) {
	var files []string
	byFile := map[string][]Proposal{}
	for _, p := range ps {
		if _, ok := byFile[p.File]; !ok {
			files = append(files, p.File)
		}
		byFile[p.File] = append(byFile[p.File], p)
	}
	var changes []gitops.Change
	var applied []Proposal
	for _, file := range files {
		src, err := repo.ReadFile(ctx, base, file)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("delivery: %s is not in the repository on %s (proposal paths are relative to the repository root)", file, base)
		}
		if err != nil {
			return nil, nil, err
		}
		cur := src
		for _, p := range byFile[file] {
			next, err := edit(cur, file, p)
			switch {
			case errors.Is(err, ErrApplied):
				log.Info("already applied", "rule", p.Title())
				continue
			case errors.Is(err, ErrStale):
				log.Warn("not applied", "rule", p.Title(), "reason", err)
				continue
			case err != nil:
				return nil, nil, fmt.Errorf("delivery: %s: %w", p.Title(), err)
			}
			cur = next
			applied = append(applied, p)
		}
		if !bytes.Equal(cur, src) {
			changes = append(changes, gitops.Change{Path: file, Content: cur})
		}
	}
	return changes, applied, nil
}

// dropRejected leaves out the proposals whose rule had a pull request
// closed without merging (the most recent one), unless the change or its
// evidence changed materially since (materialChange).
func dropRejected(ps []Proposal, closed []gitops.PullRequest, log *slog.Logger) []Proposal {
	if len(closed) == 0 {
		return ps
	}
	var keep []Proposal
	for _, p := range ps {
		rejected, number := findRejected(closed, p.Key())
		if rejected == nil {
			keep = append(keep, p)
			continue
		}
		if material, why := materialChange(*rejected, p); material {
			log.Info("proposed again after a rejection", "rule", p.Title(), "closed", number, "because", why)
			keep = append(keep, p)
			continue
		}
		log.Info("not proposed again", "rule", p.Title(), "closed", number, "because", "its pull request was closed without merging and the change and evidence are the same (use --ignore-closed to propose it anyway)")
	}
	return keep
}

// findRejected returns the proposal for key in the most recently updated
// pull request closed without merging (not one omen superseded).
func findRejected(closed []gitops.PullRequest, key string) (*stateProposal, int) {
	var best *stateProposal
	var bestPR *gitops.PullRequest
	for i := range closed {
		pr := &closed[i]
		if pr.State != gitops.StateClosed {
			continue
		}
		s, ok := decodeState(pr.Body)
		if !ok || s.SupersededBy != 0 {
			continue
		}
		for j := range s.Proposals {
			if s.Proposals[j].Key == key && (bestPR == nil || pr.Updated.After(bestPR.Updated)) {
				best, bestPR = &s.Proposals[j], pr
			}
		}
	}
	if best == nil {
		return nil, 0
	}
	return best, bestPR.Number
}

// overlapping returns the open omen pull requests of the same kind on
// another branch that change one of the same rules: the new pull request
// supersedes them.
func overlapping(open []gitops.PullRequest, ps []Proposal, branch string) []gitops.PullRequest {
	keys := map[string]bool{}
	for _, p := range ps {
		keys[p.Key()] = true
	}
	var out []gitops.PullRequest
	for _, pr := range open {
		if pr.Head == branch || !strings.HasPrefix(pr.Head, BranchPrefix) {
			continue
		}
		s, ok := decodeState(pr.Body)
		if !ok {
			continue
		}
		for _, sp := range s.Proposals {
			if keys[sp.Key] {
				out = append(out, pr)
				break
			}
		}
	}
	return out
}

// supersede closes the pull requests a new one replaces, marking them so
// that their closing is not read as a rejection. Failures are logged: the
// new pull request stands either way.
func supersede(ctx context.Context, forge gitops.Forge, prs []gitops.PullRequest, by int, log *slog.Logger) {
	for _, pr := range prs {
		s, _ := decodeState(pr.Body)
		s.SupersededBy = by
		body := withState(pr.Body, s)
		if _, err := forge.Update(ctx, pr.Number, gitops.Edit{Body: &body}); err != nil {
			log.Warn("cannot mark a superseded pull request", "number", pr.Number, "err", err)
			continue
		}
		if err := forge.Comment(ctx, pr.Number, fmt.Sprintf("Superseded by #%d, which proposes changes to the same rules.", by)); err != nil {
			log.Warn("cannot comment on a superseded pull request", "number", pr.Number, "err", err)
		}
		if err := forge.Close(ctx, pr.Number); err != nil {
			log.Warn("cannot close a superseded pull request", "number", pr.Number, "err", err)
			continue
		}
		log.Info("pull request superseded", "number", pr.Number, "by", by)
	}
}

func prList(prs []gitops.PullRequest) string {
	var parts []string
	for _, pr := range prs {
		parts = append(parts, fmt.Sprintf("#%d %s", pr.Number, pr.URL))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// normalizeBody compares bodies as forges store them (line endings and
// trailing space may change).
func normalizeBody(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	for line := range strings.Lines(s) {
		b.WriteString(strings.TrimRight(line, " \t\n"))
		b.WriteByte('\n')
	}
	return strings.TrimSpace(b.String())
}

// cloneRepo clones the repository at remote for a delivery, authenticating
// with token as gitUser or, when that is empty, as the forge expects
// (GitLab "oauth2", Gitea "omen"), and makes the clone's redactor scrub the
// token.
func cloneRepo(ctx context.Context, remote, token, gitUser, tempDir string, forge gitops.Forge, log *slog.Logger) (*gitops.Repo, error) {
	if gitUser == "" && forge != nil {
		switch forge.Name() {
		case "gitlab":
			gitUser = "oauth2"
		case "gitea":
			gitUser = "omen"
		}
	}
	repo, err := gitops.Clone(ctx, gitops.Config{Remote: remote, Token: token, Username: gitUser, TempDir: tempDir, Logger: log})
	if err != nil {
		return nil, err
	}
	repo.Redactor().Add(token)
	return repo, nil
}

// createPullRequest opens the pull request pr on forge. A create that
// failed on the way back may have been made: the open pull request of the
// head branch is then taken, and the create's error returned only when
// there is none.
func createPullRequest(ctx context.Context, forge gitops.Forge, pr gitops.NewPullRequest) (*gitops.PullRequest, error) {
	made, err := forge.Create(ctx, pr)
	if err == nil {
		return made, nil
	}
	if found, ferr := forge.FindOpen(ctx, pr.Head); ferr == nil && found != nil {
		return found, nil
	}
	return nil, err
}
