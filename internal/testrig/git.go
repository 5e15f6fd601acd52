package testrig

import (
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// GitServer serves the bare repositories under Root over Git's smart HTTP
// protocol on loopback: the real `git http-backend` behind net/http/cgi.
type GitServer struct {
	// URL is the base URL; a repository Root/NAME.git is URL/NAME.git.
	URL string
	// Root holds the bare repositories.
	Root string
	// Token, when set, is required as the password of HTTP Basic
	// authentication (any user name); requests without it get 401.
	Token string

	mu       sync.Mutex
	requests []string
	auths    []string
	fault    PushFault
	faults   int
}

// PushFault makes the server fail a push in one of two ways.
type PushFault int

const (
	// NoFault serves pushes normally.
	NoFault PushFault = iota
	// CutPush reads the pushed pack, then drops the connection before
	// git http-backend sees it: the push fails half way and the
	// repository is unchanged. (curl retries a request whose reused
	// connection died once, so cut at least two requests.)
	CutPush
	// DropPushReport lets the push land, then drops the connection before
	// the report reaches the client: git reports a failure although the
	// branch moved.
	DropPushReport
)

// GitHTTP starts a Git HTTP server for the bare repositories under root on
// a free loopback port. With a token, pushes and fetches need it as the
// Basic password. It stops when the test ends.
func GitHTTP(t testing.TB, root, token string) *GitServer {
	t.Helper()
	git := RequireBinary(t, "git")
	s := &GitServer{Root: root, Token: token}
	backend := &cgi.Handler{
		Path: git,
		Args: []string{"http-backend"},
		Dir:  root,
		Env: []string{
			"GIT_PROJECT_ROOT=" + root,
			"GIT_HTTP_EXPORT_ALL=1",
			"REMOTE_USER=omen-test", // enables receive-pack
		},
		InheritEnv: []string{"PATH", "HOME"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.Method+" "+r.URL.RequestURI())
		s.auths = append(s.auths, r.Header.Get("Authorization"))
		fault := s.fault
		isPush := r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-receive-pack")
		if isPush && s.faults > 0 {
			s.faults--
		} else {
			fault = NoFault
		}
		s.mu.Unlock()
		if s.Token != "" {
			_, pass, ok := r.BasicAuth()
			if !ok || subtle.ConstantTimeCompare([]byte(pass), []byte(s.Token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Basic realm="omen-test"`)
				http.Error(w, "authentication required", http.StatusUnauthorized)
				return
			}
		}
		if fault != NoFault {
			switch fault {
			case CutPush:
				_, _ = io.Copy(io.Discard, r.Body)
				dropConnection(w)
				return
			case DropPushReport:
				backend.ServeHTTP(httptest.NewRecorder(), r)
				dropConnection(w)
				return
			}
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	t.Logf("started git http-backend (real git) at %s for %s", s.URL, root)
	return s
}

func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("testrig: the response writer cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}

// FailPushes makes the next n push requests (POST git-receive-pack) fail
// as f says.
func (s *GitServer) FailPushes(f PushFault, n int) {
	s.mu.Lock()
	s.fault, s.faults = f, n
	s.mu.Unlock()
}

// Requests returns the requests served so far as "METHOD URI".
func (s *GitServer) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// Authorizations returns the Authorization headers received, in order
// ("" for none).
func (s *GitServer) Authorizations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auths...)
}

// BareRepo creates the bare repository root/name.git whose branch main
// holds one commit with files (path → content), and returns its path.
func BareRepo(t testing.TB, root, name string, files map[string]string) string {
	t.Helper()
	RequireBinary(t, "git")
	bare := filepath.Join(root, name+".git")
	work := t.TempDir()
	Git(t, "", "init", "--quiet", "--bare", "--initial-branch=main", bare)
	Git(t, bare, "config", "http.receivepack", "true")
	Git(t, "", "init", "--quiet", "--initial-branch=main", work)
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		full := filepath.Join(work, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(files[p]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	Git(t, work, "add", "--all")
	Git(t, work, "commit", "--quiet", "--allow-empty", "-m", "rules as written")
	Git(t, work, "push", "--quiet", bare, "main")
	return bare
}

// Git runs git in dir (the current directory when "") with a fixed
// identity and no user configuration, and returns its standard output.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := GitOutput(dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// GitOutput is Git returning the error instead of failing the test.
func GitOutput(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=rig", "GIT_AUTHOR_EMAIL=rig@localhost",
		"GIT_COMMITTER_NAME=rig", "GIT_COMMITTER_EMAIL=rig@localhost")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
