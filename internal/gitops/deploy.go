package gitops

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// CommitRequest asks for one commit on top of a branch, as a GitOps deploy
// branch (Argo CD, Flux) takes changes: no force, no rewrite.
type CommitRequest struct {
	// Branch is the branch to commit to; it must exist.
	Branch string
	// Changes are the files to write.
	Changes []Change
	// Message is the commit message.
	Message string
	// Validate, when set, checks the changed files before the commit.
	Validate ValidateFunc
	// DryRun makes the commit in the clone only.
	DryRun bool
}

// Commit adds one commit with the changes of req on top of req.Branch and
// pushes it with a lease on the tip the clone saw: a branch that moved
// meanwhile is refused, never overwritten. It returns ErrNoChanges when the
// changes leave the files as they are.
func (r *Repo) Commit(ctx context.Context, req CommitRequest) (Result, error) {
	tip, err := r.RemoteBranch(ctx, req.Branch)
	if err != nil {
		return Result{}, err
	}
	if tip == "" {
		return Result{}, fmt.Errorf("gitops: branch %s not found in %s", req.Branch, r.redact.String(r.remote.URL))
	}
	res := Result{Branch: req.Branch, Previous: tip, Base: tip}
	tree, changed, err := r.stage(ctx, tip, req.Changes, req.Validate)
	if err != nil {
		return res, err
	}
	res.ChangedFiles = changed
	return r.finish(ctx, res, tree, normalizeMessage(req.Message), req.DryRun)
}

// RevertRequest asks for a commit undoing an earlier one.
type RevertRequest struct {
	// Branch is the branch holding Commit.
	Branch string
	// Commit is the commit to undo.
	Commit string
	// Message is the revert commit's message; default: git's
	// "Revert "<subject>"" with "This reverts commit <sha>.".
	Message string
	// Paths, when set, limits the revert to these files: the commit's
	// changes to other files stay (a ledger the commit also changed, which
	// later commits changed again). Each path must be one the commit
	// changes.
	Paths []string
	// Changes are written on top of the revert, before validation and the
	// commit: e.g. a ledger recording the rollback.
	Changes []Change
	// Validate, when set, checks the files the revert changes.
	Validate ValidateFunc
	// DryRun makes the commit in the clone only.
	DryRun bool
}

// ErrRevertConflict is returned when a commit cannot be undone without
// also undoing later changes to the same lines.
var ErrRevertConflict = errors.New("gitops: the commit cannot be reverted cleanly: later commits changed the same lines")

// Revert adds a commit on top of req.Branch that undoes req.Commit, and
// pushes it with a lease like Commit.
func (r *Repo) Revert(ctx context.Context, req RevertRequest) (Result, error) {
	tip, err := r.RemoteBranch(ctx, req.Branch)
	if err != nil {
		return Result{}, err
	}
	if tip == "" {
		return Result{}, fmt.Errorf("gitops: branch %s not found in %s", req.Branch, r.redact.String(r.remote.URL))
	}
	target, err := r.resolve(ctx, req.Commit)
	if err != nil {
		return Result{}, err
	}
	if _, err := r.git(ctx, nil, "merge-base", "--is-ancestor", target, tip); err != nil {
		return Result{}, fmt.Errorf("gitops: commit %s is not on branch %s", short(target), req.Branch)
	}
	res := Result{Branch: req.Branch, Previous: tip, Base: tip}
	if err := r.checkout(ctx, tip); err != nil {
		return res, err
	}
	r.checked = ""
	if len(req.Paths) == 0 {
		if _, err := r.git(ctx, nil, "revert", "--no-commit", target); err != nil {
			_, _ = r.git(ctx, nil, "revert", "--abort")
			return res, fmt.Errorf("%w: %s: %v", ErrRevertConflict, short(target), err)
		}
	} else if err := r.revertPaths(ctx, target, req.Paths); err != nil {
		return res, err
	}
	if _, err := r.write(ctx, req.Changes); err != nil {
		return res, err
	}
	out, err := r.git(ctx, nil, "diff", "--cached", "--name-only", "-z", "--no-renames", tip)
	if err != nil {
		return res, err
	}
	for name := range strings.SplitSeq(out, "\x00") {
		if name != "" {
			res.ChangedFiles = append(res.ChangedFiles, name)
		}
	}
	if len(res.ChangedFiles) == 0 {
		return res, ErrNoChanges
	}
	if req.Validate != nil {
		if err := req.Validate(ctx, r.dir, res.ChangedFiles); err != nil {
			return res, fmt.Errorf("gitops: nothing pushed: %w", r.redact.Error(err))
		}
	}
	tree, err := r.git(ctx, nil, "write-tree")
	if err != nil {
		return res, err
	}
	msg := req.Message
	if msg == "" {
		subject, err := r.git(ctx, nil, "log", "-1", "--format=%s", target)
		if err != nil {
			return res, err
		}
		msg = fmt.Sprintf("Revert %q\n\nThis reverts commit %s.\n", strings.TrimSpace(subject), target)
	}
	return r.finish(ctx, res, strings.TrimSpace(tree), normalizeMessage(msg), req.DryRun)
}

// revertPaths undoes target's changes to paths in the index and work
// tree, merging three ways as git revert does; a conflict leaves the work
// tree as it was and returns ErrRevertConflict.
func (r *Repo) revertPaths(ctx context.Context, target string, paths []string) error {
	changed, err := r.git(ctx, nil, "diff-tree", "--no-commit-id", "--name-only", "-z", "--no-renames", "-r", "--root", target)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for name := range strings.SplitSeq(changed, "\x00") {
		have[name] = name != ""
	}
	for _, p := range paths {
		if err := checkPath(p); err != nil {
			return err
		}
		if !have[p] {
			return fmt.Errorf("gitops: commit %s does not change %s", short(target), p)
		}
	}
	parent := target + "^"
	if _, err := r.git(ctx, nil, "rev-parse", "--verify", "--quiet", parent); err != nil {
		parent = emptyTree
	}
	patch, err := r.git(ctx, nil, append([]string{"diff", "--binary", "--no-color", "--no-ext-diff", "--no-renames", "--full-index", parent, target, "--"}, paths...)...)
	if err != nil {
		return err
	}
	if _, err := r.git(ctx, []byte(patch), "apply", "--index", "--reverse", "--3way", "-"); err != nil {
		_, _ = r.git(ctx, nil, "reset", "--quiet", "--hard")
		return fmt.Errorf("%w: %s (%s): %v", ErrRevertConflict, short(target), strings.Join(paths, ", "), err)
	}
	return nil
}

// emptyTree is the object name of git's empty tree.
const emptyTree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

// finish commits tree on top of res.Base and pushes it unless dryRun.
func (r *Repo) finish(ctx context.Context, res Result, tree, msg string, dryRun bool) (Result, error) {
	commit, err := r.commitTree(ctx, tree, res.Base, msg)
	if err != nil {
		return res, err
	}
	res.Commit = commit
	if res.Diff, err = r.diff(ctx, res.Base, commit); err != nil {
		return res, err
	}
	res.Updated = true
	if dryRun {
		return res, nil
	}
	if err := r.pushLease(ctx, res.Branch, commit, res.Previous); err != nil {
		return res, err
	}
	res.Pushed = true
	return res, nil
}

// CommitInfo is a commit in a branch's history.
type CommitInfo struct {
	// SHA is the commit's object name.
	SHA string
	// Subject is the first line of its message.
	Subject string
	// Trailers are the trailers of its message ("Omen-Proposal: id"),
	// key as written, values in order.
	Trailers map[string][]string
}

// Log returns the last max commits of a branch of the remote (or of a
// commit), newest first.
func (r *Repo) Log(ctx context.Context, ref string, max int) ([]CommitInfo, error) {
	sha, err := r.resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	if max <= 0 {
		max = 100
	}
	out, err := r.git(ctx, nil, "log", fmt.Sprintf("--max-count=%d", max), "--format=%H%x00%s%x00%(trailers:only,unfold)%x1e", sha)
	if err != nil {
		return nil, err
	}
	var commits []CommitInfo
	for rec := range strings.SplitSeq(out, "\x1e") {
		rec = strings.TrimLeft(rec, "\n")
		if rec == "" {
			continue
		}
		parts := strings.SplitN(rec, "\x00", 3)
		if len(parts) < 3 {
			continue
		}
		c := CommitInfo{SHA: parts[0], Subject: parts[1], Trailers: map[string][]string{}}
		for line := range strings.Lines(parts[2]) {
			k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
			if ok {
				c.Trailers[strings.TrimSpace(k)] = append(c.Trailers[strings.TrimSpace(k)], strings.TrimSpace(v))
			}
		}
		commits = append(commits, c)
	}
	return commits, nil
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
