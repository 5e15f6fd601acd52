package gitops

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Change is the new content of one file of the repository.
type Change struct {
	// Path is relative to the repository root, with slashes.
	Path string
	// Content is the file's new content.
	Content []byte
	// Delete removes the file instead (Content is ignored).
	Delete bool
}

// ValidateFunc checks the changed files in dir (the work tree holding the
// new content) before anything is committed or pushed; paths are relative
// to dir, with slashes. An error stops the push.
type ValidateFunc func(ctx context.Context, dir string, paths []string) error

// ErrNoChanges is returned when the changes leave the files as they are on
// the base.
var ErrNoChanges = errors.New("gitops: the changes leave every file as it is")

// ProposeRequest asks for a branch holding exactly one commit over Base.
type ProposeRequest struct {
	// Base is the branch the commit goes on top of, e.g. "main".
	Base string
	// Branch is the branch to create or replace, e.g. "omen/rules-1a2b3c".
	Branch string
	// Changes are the files to write.
	Changes []Change
	// Message is the commit message (subject, blank line, body, trailers).
	Message string
	// Validate, when set, checks the changed files before the commit.
	Validate ValidateFunc
	// DryRun makes the commit in the clone only: nothing is pushed.
	DryRun bool
}

// Result says what happened to a branch.
type Result struct {
	// Branch is the branch name.
	Branch string
	// Commit is the commit the branch holds (or would hold, in a dry run).
	Commit string
	// Previous is the commit the branch held on the remote before, "" if
	// it did not exist.
	Previous string
	// Base is the commit of the base branch the commit is on top of.
	Base string
	// ChangedFiles are the files the commit changes, sorted.
	ChangedFiles []string
	// Created reports that the branch did not exist; Updated that it
	// existed and was moved. Both are false when it already held the same
	// change (nothing was pushed).
	Created, Updated bool
	// Pushed reports that the remote was changed.
	Pushed bool
	// Diff is the unified diff of the commit against the base.
	Diff string
}

// Propose makes Branch hold exactly one commit over Base with the changes
// and message of req, and force-pushes it with a lease on what the clone
// saw, so a branch moved by someone else meanwhile is never overwritten.
// When the remote branch already holds the same tree over the same base
// with the same message, nothing is committed or pushed. When the changes
// leave every file as on the base, it returns ErrNoChanges.
//
// If the push fails, the remote branch is checked: a push that landed
// although git reported a failure is undone, so a failed Propose leaves
// the remote as it was.
func (r *Repo) Propose(ctx context.Context, req ProposeRequest) (Result, error) {
	if err := checkBranchName(req.Branch); err != nil {
		return Result{}, err
	}
	if req.Base == "" {
		return Result{}, errors.New("gitops: no base branch")
	}
	if req.Branch == req.Base {
		return Result{}, fmt.Errorf("gitops: the branch %s is the base branch", req.Branch)
	}
	base, err := r.RemoteBranch(ctx, req.Base)
	if err != nil {
		return Result{}, err
	}
	if base == "" {
		return Result{}, fmt.Errorf("gitops: base branch %s not found in %s", req.Base, r.redact.String(r.remote.URL))
	}
	old, err := r.RemoteBranch(ctx, req.Branch)
	if err != nil {
		return Result{}, err
	}
	res := Result{Branch: req.Branch, Previous: old, Base: base}
	tree, changed, err := r.stage(ctx, base, req.Changes, req.Validate)
	if err != nil {
		return res, err
	}
	res.ChangedFiles = changed
	msg := normalizeMessage(req.Message)
	if old != "" {
		same, err := r.sameCommit(ctx, old, tree, base, msg)
		if err != nil {
			return res, err
		}
		if same {
			res.Commit = old
			res.Diff, err = r.diff(ctx, base, old)
			return res, err
		}
	}
	commit, err := r.commitTree(ctx, tree, base, msg)
	if err != nil {
		return res, err
	}
	res.Commit = commit
	if res.Diff, err = r.diff(ctx, base, commit); err != nil {
		return res, err
	}
	res.Created, res.Updated = old == "", old != ""
	if req.DryRun {
		return res, nil
	}
	if err := r.pushLease(ctx, req.Branch, commit, old); err != nil {
		return res, err
	}
	res.Pushed = true
	return res, nil
}

// Restore puts a branch pushed by Propose or Commit back as it was: it
// deletes the branch when it did not exist before, else moves it back to
// res.Previous, in both cases only if it still holds res.Commit.
func (r *Repo) Restore(ctx context.Context, res Result) error {
	if !res.Pushed {
		return nil
	}
	if err := r.pushLease(ctx, res.Branch, res.Previous, res.Commit); err != nil {
		return fmt.Errorf("gitops: cannot restore branch %s: %w", res.Branch, err)
	}
	return nil
}

// DeleteBranch deletes a remote branch if it still holds commit.
func (r *Repo) DeleteBranch(ctx context.Context, branch, commit string) error {
	return r.pushLease(ctx, branch, "", commit)
}

// RemoteBranch returns the commit a branch of the remote holds as fetched
// by the clone, "" when there is no such branch.
func (r *Repo) RemoteBranch(ctx context.Context, branch string) (string, error) {
	if err := checkBranchName(branch); err != nil {
		return "", err
	}
	out, err := r.git(ctx, nil, "for-each-ref", "--format=%(objectname)", "refs/remotes/origin/"+branch)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(out), nil
}

// Branches returns the remote's branches whose names start with prefix, as
// fetched by the clone, mapped to their commits.
func (r *Repo) Branches(ctx context.Context, prefix string) (map[string]string, error) {
	out, err := r.git(ctx, nil, "for-each-ref", "--format=%(objectname) %(refname)", "refs/remotes/origin/")
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for line := range strings.Lines(out) {
		sha, ref, ok := strings.Cut(strings.TrimSpace(line), " ")
		name, found := strings.CutPrefix(ref, "refs/remotes/origin/")
		if !ok || !found || name == "HEAD" || !strings.HasPrefix(name, prefix) {
			continue
		}
		m[name] = sha
	}
	return m, nil
}

// LsRemote asks the remote (not the clone) which commit a branch holds,
// "" when it has no such branch.
func (r *Repo) LsRemote(ctx context.Context, branch string) (string, error) {
	out, err := r.git(ctx, nil, "ls-remote", "--heads", "origin", "refs/heads/"+branch)
	if err != nil {
		return "", err
	}
	sha, _, _ := strings.Cut(strings.TrimSpace(out), "\t")
	return sha, nil
}

// ReadFile returns a file of the repository as the work tree holds it at
// ref (a branch of the remote, e.g. "main", or a commit), with the
// repository's own checkout filters applied, as a person editing it would
// see it. A missing file is an error satisfying errors.Is(err, fs.ErrNotExist).
func (r *Repo) ReadFile(ctx context.Context, ref, name string) ([]byte, error) {
	if err := checkPath(name); err != nil {
		return nil, err
	}
	if err := r.checkout(ctx, ref); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(r.dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	b, err := root.ReadFile(filepath.FromSlash(name))
	if err != nil {
		return nil, fmt.Errorf("gitops: %s at %s: %w", name, ref, err)
	}
	return b, nil
}

// resolve turns a branch of the remote or a commit into a commit.
func (r *Repo) resolve(ctx context.Context, ref string) (string, error) {
	if sha, err := r.RemoteBranch(ctx, ref); err == nil && sha != "" {
		return sha, nil
	}
	out, err := r.git(ctx, nil, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}")
	if err != nil {
		return "", fmt.Errorf("gitops: no branch or commit %q in %s", ref, r.redact.String(r.remote.URL))
	}
	return strings.TrimSpace(out), nil
}

// checkout makes the work tree and index hold ref, detached.
func (r *Repo) checkout(ctx context.Context, ref string) error {
	sha, err := r.resolve(ctx, ref)
	if err != nil {
		return err
	}
	if sha == r.checked {
		return nil
	}
	if _, err := r.git(ctx, nil, "checkout", "--quiet", "--force", "--detach", sha); err != nil {
		return err
	}
	if _, err := r.git(ctx, nil, "clean", "-ffdxq"); err != nil {
		return err
	}
	r.checked = sha
	return nil
}

// stage checks out base, writes the changes, validates them, and returns
// the tree of the index and the changed paths.
func (r *Repo) stage(ctx context.Context, base string, changes []Change, validate ValidateFunc) (string, []string, error) {
	if err := r.checkout(ctx, base); err != nil {
		return "", nil, err
	}
	r.checked = "" // the work tree no longer matches a commit
	if _, err := r.write(ctx, changes); err != nil {
		return "", nil, err
	}
	out, err := r.git(ctx, nil, "diff", "--cached", "--name-only", "-z", "--no-renames", base)
	if err != nil {
		return "", nil, err
	}
	var changed []string
	for name := range strings.SplitSeq(out, "\x00") {
		if name != "" {
			changed = append(changed, name)
		}
	}
	slices.Sort(changed)
	if len(changed) == 0 {
		return "", nil, ErrNoChanges
	}
	if validate != nil {
		if err := validate(ctx, r.dir, changed); err != nil {
			return "", changed, fmt.Errorf("gitops: nothing pushed: %w", r.redact.Error(err))
		}
	}
	tree, err := r.git(ctx, nil, "write-tree")
	if err != nil {
		return "", nil, err
	}
	return strings.TrimSpace(tree), changed, nil
}

// write writes (or deletes) the files of changes in the work tree and
// stages them, returning their paths.
func (r *Repo) write(ctx context.Context, changes []Change) ([]string, error) {
	if len(changes) == 0 {
		return nil, nil
	}
	root, err := os.OpenRoot(r.dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	var paths []string
	for _, c := range changes {
		if err := checkPath(c.Path); err != nil {
			return nil, err
		}
		name := filepath.FromSlash(c.Path)
		if c.Delete {
			if err := root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("gitops: cannot delete %s: %w", c.Path, err)
			}
		} else {
			if dir := path.Dir(c.Path); dir != "." {
				if err := root.MkdirAll(filepath.FromSlash(dir), 0o755); err != nil {
					return nil, fmt.Errorf("gitops: cannot write %s: %w", c.Path, err)
				}
			}
			if err := writeFileKeepMode(root, name, c.Content); err != nil {
				return nil, fmt.Errorf("gitops: cannot write %s: %w", c.Path, err)
			}
		}
		paths = append(paths, c.Path)
	}
	if _, err := r.git(ctx, nil, append([]string{"add", "--all", "--"}, paths...)...); err != nil {
		return nil, err
	}
	return paths, nil
}

// writeFileKeepMode writes content to name, keeping the mode of an
// existing file.
func writeFileKeepMode(root *os.Root, name string, content []byte) error {
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(content); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// sameCommit reports whether commit has the given tree, the single parent
// parent and the message msg.
func (r *Repo) sameCommit(ctx context.Context, commit, tree, parent, msg string) (bool, error) {
	raw, err := r.git(ctx, nil, "cat-file", "commit", commit)
	if err != nil {
		return false, err
	}
	header, body, _ := strings.Cut(raw, "\n\n")
	var gotTree string
	var parents []string
	for line := range strings.Lines(header) {
		line = strings.TrimSuffix(line, "\n")
		if v, ok := strings.CutPrefix(line, "tree "); ok {
			gotTree = v
		}
		if v, ok := strings.CutPrefix(line, "parent "); ok {
			parents = append(parents, v)
		}
	}
	return gotTree == tree && len(parents) == 1 && parents[0] == parent && body == msg, nil
}

func (r *Repo) commitTree(ctx context.Context, tree, parent, msg string) (string, error) {
	args := []string{"commit-tree", tree}
	if parent != "" {
		args = append(args, "-p", parent)
	}
	out, err := r.git(ctx, []byte(msg), append(args, "-F", "-")...)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(out), nil
}

func (r *Repo) diff(ctx context.Context, from, to string) (string, error) {
	return r.git(ctx, nil, "diff", "--no-color", "--no-ext-diff", "--no-renames", from, to)
}

// pushLease moves (or, with commit "", deletes) a remote branch if it
// still holds expect ("" meaning it must not exist). When git reports a
// failure, the remote is asked what the branch holds: a push that landed
// all the same is undone.
func (r *Repo) pushLease(ctx context.Context, branch, commit, expect string) error {
	ref := "refs/heads/" + branch
	src := commit
	spec := src + ":" + ref
	if commit == "" {
		spec = ":" + ref
	}
	_, err := r.git(ctx, nil, "push", "--quiet", "--porcelain", "--force-with-lease="+ref+":"+expect, "origin", spec)
	if err == nil {
		r.fetched(ctx, branch, commit)
		return nil
	}
	now, lsErr := r.LsRemote(ctx, branch)
	switch {
	case lsErr != nil:
		return fmt.Errorf("%w; and the remote cannot be asked whether branch %s moved: %v", err, branch, lsErr)
	case now == commit && commit != "":
		// The push landed although git reported a failure: undo it.
		if _, undoErr := r.git(ctx, nil, "push", "--quiet", "--porcelain", "--force-with-lease="+ref+":"+commit, "origin", pushSpec(expect, ref)); undoErr != nil {
			return fmt.Errorf("%w; the push landed and could not be undone: branch %s holds %s: %v", err, branch, commit, undoErr)
		}
	}
	return err
}

func pushSpec(commit, ref string) string {
	if commit == "" {
		return ":" + ref
	}
	return commit + ":" + ref
}

// fetched records in the clone that the remote branch now holds commit.
func (r *Repo) fetched(ctx context.Context, branch, commit string) {
	ref := "refs/remotes/origin/" + branch
	if commit == "" {
		_, _ = r.git(ctx, nil, "update-ref", "-d", ref)
		return
	}
	_, _ = r.git(ctx, nil, "update-ref", ref, commit)
}

// normalizeMessage ends msg with exactly one newline and drops trailing
// spaces of its lines, as git would store it.
func normalizeMessage(msg string) string {
	var b strings.Builder
	for line := range strings.Lines(strings.TrimRight(msg, "\n") + "\n") {
		b.WriteString(strings.TrimRight(line, " \t\r\n"))
		b.WriteByte('\n')
	}
	return b.String()
}

// checkPath rejects paths that are not relative to the repository root or
// that reach into .git.
func checkPath(p string) error {
	switch {
	case p == "":
		return errors.New("gitops: empty file path")
	case strings.HasPrefix(p, "/") || filepath.IsAbs(p) || strings.Contains(p, "\\"):
		return fmt.Errorf("gitops: file path %q is not relative to the repository root (want slashes, no leading /)", p)
	case path.Clean(p) != p:
		return fmt.Errorf("gitops: file path %q is not clean (want %q)", p, path.Clean(p))
	}
	for part := range strings.SplitSeq(p, "/") {
		if part == ".." || strings.EqualFold(part, ".git") {
			return fmt.Errorf("gitops: file path %q leaves the repository or reaches into .git", p)
		}
	}
	return nil
}

// checkBranchName rejects branch names git would refuse or read as an
// option.
func checkBranchName(b string) error {
	bad := b == "" || strings.HasPrefix(b, "-") || strings.HasPrefix(b, "/") || strings.HasSuffix(b, "/") ||
		strings.HasSuffix(b, ".lock") || strings.HasSuffix(b, ".") || strings.Contains(b, "..") ||
		strings.Contains(b, "//") || strings.Contains(b, "@{") || b == "@" || strings.ContainsAny(b, " ~^:?*[\\\x7f")
	for _, c := range b {
		if c < 0x20 {
			bad = true
		}
	}
	if bad {
		return fmt.Errorf("gitops: %q is not a valid branch name", b)
	}
	return nil
}
