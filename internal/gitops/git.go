package gitops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Environment variable that carries a forge token; it is never passed on
// to git.
const EnvToken = "OMEN_FORGE_TOKEN"

// Config configures Clone.
type Config struct {
	// Remote is the repository: a directory, a file:// URL, an http(s)://,
	// ssh:// or git:// URL, or user@host:path. A password in the URL is
	// used as the token (and never shown).
	Remote string
	// Token authenticates git over HTTP(S). Empty means git's own set-up
	// (the user's credential helpers, SSH keys) is used unchanged.
	Token string
	// Username is sent with Token over HTTP(S). Default: the user name in
	// the remote URL, else "x-access-token" (GitHub's; GitLab and Gitea
	// accept any user name with a token as the password).
	Username string
	// Git is the git binary. Default: "git" on PATH.
	Git string
	// TempDir is the directory the temporary clone is made in. Default:
	// os.TempDir(). Everything Clone creates is under one directory there,
	// removed by Close.
	TempDir string
	// AuthorName and AuthorEmail sign omen's commits (author and
	// committer). Default: "omen" and "omen@localhost".
	AuthorName, AuthorEmail string
	// Logger receives the git commands run, at debug level, redacted.
	// Default: discard.
	Logger *slog.Logger
}

// Repo is a temporary clone of a repository. It is not safe for concurrent
// use. Close removes it.
type Repo struct {
	remote  Remote
	tmp     string
	dir     string
	bin     string
	env     []string
	redact  *Redactor
	logger  *slog.Logger
	checked string // the commit the work tree holds, "" before the first checkout
}

// Clone clones cfg.Remote into a new temporary directory. The token, if
// any, reaches git only through a credential helper that reads it from a
// private file; the clone's configuration holds the URL without it.
func Clone(ctx context.Context, cfg Config) (*Repo, error) {
	remote, err := ParseRemote(cfg.Remote)
	if err != nil {
		return nil, err
	}
	token := cfg.Token
	if token == "" {
		token = remote.Password
	}
	red := NewRedactor(token, remote.Password)
	bin := cfg.Git
	if bin == "" {
		bin = "git"
	}
	if bin, err = exec.LookPath(bin); err != nil {
		return nil, fmt.Errorf("gitops: git not found: %w (install git)", err)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	tmp, err := os.MkdirTemp(cfg.TempDir, "omen-gitops-")
	if err != nil {
		return nil, fmt.Errorf("gitops: cannot make a temporary directory: %w", err)
	}
	r := &Repo{remote: remote, tmp: tmp, dir: filepath.Join(tmp, "repo"), bin: bin, redact: red, logger: logger}
	ok := false
	defer func() {
		if !ok {
			_ = os.RemoveAll(tmp)
		}
	}()
	name, email := cfg.AuthorName, cfg.AuthorEmail
	if name == "" {
		name = "omen"
	}
	if email == "" {
		email = "omen@localhost"
	}
	config := [][2]string{
		{"core.autocrlf", "false"}, // keep bytes: the user's global setting must not convert line endings
		{"advice.detachedHead", "false"},
		{"core.askPass", ""},
	}
	if token != "" && !remote.Local && (remote.Scheme == "http" || remote.Scheme == "https") {
		user := cfg.Username
		if user == "" {
			user = remote.User
		}
		if user == "" {
			user = "x-access-token"
		}
		helper, err := writeCredentialHelper(tmp, remote, user, token)
		if err != nil {
			return nil, err
		}
		// An empty value resets the helpers of the system, global and
		// repository configuration, so no other helper stores the token.
		config = append(config, [2]string{"credential.helper", ""}, [2]string{"credential.helper", helper})
	}
	r.env = gitEnv(os.Environ(), config, name, email)
	if _, err := r.run(ctx, tmp, nil, "clone", "--quiet", "--no-tags", "--origin", "origin", "--", remote.URL, r.dir); err != nil {
		return nil, err
	}
	ok = true
	return r, nil
}

// gitEnv returns the environment of git commands: the caller's without
// omen's token and without variables that would point git elsewhere, plus
// the identity and configuration given.
func gitEnv(base []string, config [][2]string, name, email string) []string {
	var env []string
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == EnvToken, k == "GIT_DIR", k == "GIT_WORK_TREE", k == "GIT_INDEX_FILE",
			k == "GIT_OBJECT_DIRECTORY", k == "GIT_CONFIG_PARAMETERS", k == "GIT_ASKPASS",
			k == "GIT_CONFIG_COUNT", strings.HasPrefix(k, "GIT_CONFIG_KEY_"), strings.HasPrefix(k, "GIT_CONFIG_VALUE_"),
			strings.HasPrefix(k, "GIT_AUTHOR_"), strings.HasPrefix(k, "GIT_COMMITTER_"), k == "LC_ALL", k == "LANGUAGE":
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"GIT_TERMINAL_PROMPT=0", "LC_ALL=C", "LANGUAGE=C",
		"GIT_AUTHOR_NAME="+name, "GIT_AUTHOR_EMAIL="+email,
		"GIT_COMMITTER_NAME="+name, "GIT_COMMITTER_EMAIL="+email,
		"GIT_CONFIG_COUNT="+strconv.Itoa(len(config)))
	for i, kv := range config {
		env = append(env, fmt.Sprintf("GIT_CONFIG_KEY_%d=%s", i, kv[0]), fmt.Sprintf("GIT_CONFIG_VALUE_%d=%s", i, kv[1]))
	}
	return env
}

// writeCredentialHelper writes the token to a private file and a helper
// script that gives it to git for the remote's protocol and host only.
func writeCredentialHelper(tmp string, remote Remote, user, token string) (string, error) {
	dir := filepath.Join(tmp, "credentials")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", fmt.Errorf("gitops: %w", err)
	}
	tokenPath := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenPath, []byte(token), 0o600); err != nil {
		return "", fmt.Errorf("gitops: cannot write the credential file: %w", err)
	}
	script := fmt.Sprintf(`#!/bin/sh
# git credential helper written by omen: answers "get" for one host only.
test "$1" = get || exit 0
proto= host=
while IFS= read -r line; do
	case "$line" in
	protocol=*) proto=${line#protocol=} ;;
	host=*) host=${line#host=} ;;
	esac
done
test "$proto" = %s && test "$host" = %s || exit 0
printf 'username=%%s\n' %s
printf 'password='
cat %s
printf '\n'
`, shellQuote(remote.Scheme), shellQuote(remote.Host), shellQuote(user), shellQuote(tokenPath))
	helper := filepath.Join(dir, "helper")
	if err := os.WriteFile(helper, []byte(script), 0o700); err != nil {
		return "", fmt.Errorf("gitops: cannot write the credential helper: %w", err)
	}
	return helper, nil
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Dir returns the clone's work tree.
func (r *Repo) Dir() string { return r.dir }

// Remote returns the repository cloned, without credentials.
func (r *Repo) Remote() Remote {
	rem := r.remote
	rem.Password = ""
	return rem
}

// Redactor returns the redactor of the clone's secrets, for the caller's
// own messages.
func (r *Repo) Redactor() *Redactor { return r.redact }

// Close removes the clone and the credential files.
func (r *Repo) Close() error {
	if r == nil || r.tmp == "" {
		return nil
	}
	err := os.RemoveAll(r.tmp)
	r.tmp = ""
	return err
}

// GitError is a git command that failed. Its message is redacted.
type GitError struct {
	// Args are the command's arguments (redacted).
	Args []string
	// Stderr is what git printed (redacted).
	Stderr string
	// Err is the process error.
	Err error
}

func (e *GitError) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("gitops: git %s: %s", strings.Join(e.Args, " "), msg)
}

func (e *GitError) Unwrap() error { return e.Err }

// git runs git in the work tree.
func (r *Repo) git(ctx context.Context, stdin []byte, args ...string) (string, error) {
	return r.run(ctx, r.dir, stdin, args...)
}

func (r *Repo) run(ctx context.Context, dir string, stdin []byte, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, r.bin, args...)
	cmd.Dir = dir
	cmd.Env = r.env
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	shown := make([]string, len(args))
	for i, a := range args {
		shown[i] = r.redact.String(a)
	}
	r.logger.Debug("git", "args", strings.Join(shown, " "))
	if err := cmd.Run(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = errors.Join(ctxErr, err)
		}
		msg := stderr.String()
		if args[0] == "push" {
			// --porcelain prints why each ref was rejected on stdout.
			for line := range strings.Lines(stdout.String()) {
				if strings.HasPrefix(line, "!") {
					msg += line
				}
			}
		}
		return stdout.String(), &GitError{Args: shown, Stderr: r.redact.String(msg), Err: r.redact.Error(err)}
	}
	return stdout.String(), nil
}
