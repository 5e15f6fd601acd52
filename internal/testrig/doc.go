// Package testrig starts the real servers omen talks to — Prometheus and
// VictoriaMetrics from Debian's packages — on free loopback ports with
// temporary directories, loads history into them, waits until they are
// ready and stops them by their process when the test ends.
//
// Prometheus history is backfilled with `promtool tsdb create-blocks-from
// openmetrics`, one file per UTC day (one 30-day file takes about 90 s,
// per-day files under a second each). The resulting blocks are cached by
// content under the user cache directory, and every server gets its own
// copy, since Prometheus compacts its data directory a minute after start.
// VictoriaMetrics history is imported through /api/v1/import/prometheus and
// made visible with /internal/force_flush.
//
// Gitea, the forge of the pull request tests, is not packaged by Debian:
// `make tools` builds it once from the Go module proxy into GiteaDir() (the
// user cache directory's omen/tools/gitea-VERSION; $OMEN_GITEA_DIR
// overrides it), and StartGitea runs it headless with SQLite on loopback,
// from a seed database with an administrator and a token made once. Git
// repositories are served by the real `git http-backend` (GitHTTP), with
// Basic authentication and push faults, or used as bare directories.
//
// When a binary is missing the test is skipped with the command that
// installs it; when the environment variable CI is "true" it fails instead,
// since CI must run every real-server test.
package testrig
