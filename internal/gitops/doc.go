// Package gitops turns file changes into Git commits and pull requests: it
// clones a repository (a local path or a URL) into a temporary directory,
// writes changes (a path relative to the repository root and the new
// content), makes exactly one commit over a base branch on a branch of its
// own, pushes it with a lease, and opens or updates the pull request on a
// forge (GitHub, GitHub Enterprise, GitLab, Gitea).
//
// The package is a leaf: it knows nothing of alert rules or proposals. The
// caller decides the branch name, the commit message, the pull request's
// title and body, and how to validate the changed files before anything is
// pushed.
//
// Git is the real git command-line tool, run as a child process. It is on
// every machine that holds a rules repository, speaks every transport and
// credential set-up users already have (SSH agents, proxies, url.insteadOf,
// custom CA files), and gives --force-with-lease exactly as the user knows
// it; go-git would add a large dependency tree and re-implement all of that
// with known gaps.
//
// Credentials never reach a command line, a printed URL, a log or an error:
// a token is written to a file in a private temporary directory and handed
// to git through a credential helper script that answers only for the
// repository's own host; the helper is configured through the GIT_CONFIG_*
// environment variables, which reset any other credential helper, so that
// nothing stores the token. Every message of git or of a forge passes
// through a Redactor before it is logged or returned.
package gitops
