package testrig

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// GiteaVersion is the Gitea the tests run, built from the Go module proxy
// by `make tools`.
const GiteaVersion = "v1.26.0"

// EnvGiteaDir names the directory holding the Gitea build (the binary
// "gitea" and its source copy "src"); default GiteaDir().
const EnvGiteaDir = "OMEN_GITEA_DIR"

// GiteaDir returns where `make tools` builds Gitea: the user cache
// directory's omen/tools/gitea-VERSION, outside any checkout.
func GiteaDir() string {
	if d := os.Getenv(EnvGiteaDir); d != "" {
		return d
	}
	root, err := os.UserCacheDir()
	if err != nil {
		root = os.TempDir()
	}
	return filepath.Join(root, "omen", "tools", "gitea-"+GiteaVersion)
}

// Gitea is a running Gitea with an administrator and an API token.
type Gitea struct {
	*Server
	// User and Password are the administrator's.
	User, Password string
	// Token is an API token of the administrator with every scope.
	Token string
}

// requireGitea returns the Gitea binary and its static root, skipping the
// test (failing it under CI=true) when `make tools` has not built them.
func requireGitea(t testing.TB) (bin, static string) {
	t.Helper()
	dir := GiteaDir()
	bin, static = filepath.Join(dir, "gitea"), filepath.Join(dir, "src")
	_, errBin := os.Stat(bin)
	_, errStatic := os.Stat(filepath.Join(static, "templates"))
	if errBin == nil && errStatic == nil {
		RequireBinary(t, "git") // Gitea serves repositories with git
		return bin, static
	}
	msg := fmt.Sprintf("Gitea %s not built in %s; build it once with: make tools (about 6 minutes and 150 MB the first time)", GiteaVersion, dir)
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI must run the real-server tests: %s", msg)
	}
	t.Skip(msg)
	return "", ""
}

// giteaIni is Gitea's configuration for a test: loopback, SQLite, no SSH,
// no mail, no indexer or queue on disk, installed (INSTALL_LOCK).
const giteaIni = `APP_NAME = omen test
RUN_MODE = prod
RUN_USER = {{user}}
WORK_PATH = {{dir}}
I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = {{port}}
ROOT_URL = http://127.0.0.1:{{port}}/
LOCAL_ROOT_URL = http://127.0.0.1:{{port}}/
DISABLE_SSH = true
START_SSH_SERVER = false
OFFLINE_MODE = true
LFS_START_SERVER = false
APP_DATA_PATH = {{dir}}/data
STATIC_ROOT_PATH = {{static}}

[database]
DB_TYPE = sqlite3
PATH = {{dir}}/data/gitea.db

[repository]
ROOT = {{dir}}/repos
DEFAULT_BRANCH = main

[security]
INSTALL_LOCK = true
SECRET_KEY = omen-test-secret-key-not-secret
INTERNAL_TOKEN = eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJuYmYiOjE3MDAwMDAwMDB9.omen-test-internal-token
PASSWORD_HASH_ALGO = pbkdf2

[service]
DISABLE_REGISTRATION = true

[indexer]
ISSUE_INDEXER_TYPE = db
REPO_INDEXER_ENABLED = false

[queue]
TYPE = channel

[log]
MODE = console
LEVEL = Warn

[cron]
ENABLED = false

[mailer]
ENABLED = false

[session]
PROVIDER = memory

[cache]
ADAPTER = memory

[actions]
ENABLED = false

[packages]
ENABLED = false

[migrations]
ALLOW_LOCALNETWORKS = false
`

func giteaConfig(dir, static string, port int) string {
	name := "root"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	r := strings.NewReplacer("{{user}}", name, "{{dir}}", dir, "{{static}}", static, "{{port}}", fmt.Sprint(port))
	return r.Replace(giteaIni)
}

// giteaSeed is a database with the administrator and token, made once per
// Gitea build and configuration and copied into every Gitea started.
type giteaSeed struct {
	db, user, password, token string
}

var (
	giteaSeedMu   sync.Mutex
	giteaSeedDone = map[string]giteaSeed{}
)

// seedGitea makes (or finds in the user cache) the seed database: the
// migrations and the administrator take seconds, so they are done once.
func seedGitea(bin, static string) (giteaSeed, error) {
	giteaSeedMu.Lock()
	defer giteaSeedMu.Unlock()
	h := sha256.New()
	fmt.Fprint(h, "seed-v1\n", giteaIni)
	if fi, err := os.Stat(bin); err == nil {
		fmt.Fprintln(h, fi.Size(), fi.ModTime().UnixNano())
	}
	key := hex.EncodeToString(h.Sum(nil))[:16]
	if s, ok := giteaSeedDone[key]; ok {
		return s, nil
	}
	cacheRoot, err := os.UserCacheDir()
	if err != nil {
		cacheRoot = os.TempDir()
	}
	final := filepath.Join(cacheRoot, "omen-testrig", "gitea-seed-"+key)
	seed := giteaSeed{db: filepath.Join(final, "gitea.db"), user: "omen-admin", password: "omen-admin-password-1"}
	if tok, err := os.ReadFile(filepath.Join(final, "token")); err == nil {
		seed.token = strings.TrimSpace(string(tok))
		giteaSeedDone[key] = seed
		return seed, nil
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return seed, err
	}
	work, err := os.MkdirTemp(filepath.Dir(final), ".gitea-seed-")
	if err != nil {
		return seed, err
	}
	defer os.RemoveAll(work)
	ini := filepath.Join(work, "app.ini")
	if err := os.WriteFile(ini, []byte(giteaConfig(work, static, 3000)), 0o600); err != nil {
		return seed, err
	}
	migrate := exec.Command(bin, "--config", ini, "--work-path", work, "migrate")
	migrate.Dir = work
	if out, err := migrate.CombinedOutput(); err != nil {
		return seed, fmt.Errorf("gitea migrate: %w\n%s", err, tail(string(out), 3000))
	}
	cmd := exec.Command(bin, "--config", ini, "--work-path", work, "admin", "user", "create",
		"--admin", "--username", seed.user, "--password", seed.password, "--email", "omen-admin@localhost",
		"--must-change-password=false", "--access-token", "--access-token-name", "omen-tests", "--access-token-scopes", "all")
	cmd.Dir = work
	out, err := cmd.CombinedOutput()
	if err != nil {
		return seed, fmt.Errorf("gitea admin user create: %w\n%s", err, tail(string(out), 3000))
	}
	const marker = "Access token was successfully created... "
	i := strings.Index(string(out), marker)
	if i < 0 {
		return seed, fmt.Errorf("gitea admin user create printed no token:\n%s", tail(string(out), 3000))
	}
	seed.token = strings.Fields(string(out)[i+len(marker):])[0]
	done := filepath.Join(work, "seed")
	if err := os.Mkdir(done, 0o755); err != nil {
		return seed, err
	}
	if err := os.Rename(filepath.Join(work, "data", "gitea.db"), filepath.Join(done, "gitea.db")); err != nil {
		return seed, err
	}
	if err := os.WriteFile(filepath.Join(done, "token"), []byte(seed.token+"\n"), 0o600); err != nil {
		return seed, err
	}
	if err := os.Rename(done, final); err != nil && !os.IsExist(err) {
		if _, statErr := os.Stat(filepath.Join(final, "token")); statErr != nil {
			return seed, err
		}
	}
	giteaSeedDone[key] = seed
	return seed, nil
}

// StartGitea starts a real Gitea (built by `make tools`) on a free loopback
// port with SQLite in a temporary directory, an administrator and an API
// token. It stops when the test ends.
func StartGitea(t testing.TB) *Gitea {
	t.Helper()
	bin, static := requireGitea(t)
	seed, err := seedGitea(bin, static)
	if err != nil {
		t.Fatalf("cannot prepare Gitea's database: %v", err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(seed.db, filepath.Join(dir, "data", "gitea.db")); err != nil {
		t.Fatalf("cannot copy Gitea's database: %v", err)
	}
	ini := filepath.Join(dir, "app.ini")
	s := start(t, bin, dir, "/api/healthz", func(port int) []string {
		if err := os.WriteFile(ini, []byte(giteaConfig(dir, static, port)), 0o600); err != nil {
			t.Fatal(err)
		}
		return []string{"--config", ini, "--work-path", dir, "web", "--port", fmt.Sprint(port)}
	})
	return &Gitea{Server: s, User: seed.user, Password: seed.password, Token: seed.token}
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// API calls the Gitea API v1 as the administrator: method, path (after
// /api/v1), an optional JSON body; the JSON answer is decoded into out
// when out is not nil. A status other than 2xx is an error with the body.
func (g *Gitea) API(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, g.URL+"/api/v1"+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "token "+g.Token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("gitea %s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(data))
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		return json.Unmarshal(data, out)
	}
	return nil
}

// CreateRepo creates the administrator's repository name whose branch
// main holds one commit with files (path → content), and returns its
// clone URL (without credentials) and OWNER/NAME.
func (g *Gitea) CreateRepo(t testing.TB, name string, files map[string]string) (cloneURL, fullName string) {
	t.Helper()
	ctx := context.Background()
	var repo struct {
		CloneURL string `json:"clone_url"`
		FullName string `json:"full_name"`
	}
	if err := g.API(ctx, http.MethodPost, "/user/repos", map[string]any{"name": name, "default_branch": "main", "private": false}, &repo); err != nil {
		t.Fatal(err)
	}
	src := BareRepo(t, t.TempDir(), name, files)
	cmd := exec.Command("git", "push", "--quiet", repo.CloneURL, "main")
	cmd.Dir = src
	// The token goes in the environment, never on a command line.
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.extraHeader", "GIT_CONFIG_VALUE_0=Authorization: token "+g.Token)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cannot push to Gitea: %v\n%s\n%s", err, out, tail(g.Log(), 2000))
	}
	// Gitea marks the repository non-empty when its queue has processed
	// the push; until then its pull request API answers 404.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var state struct {
			Empty bool `json:"empty"`
		}
		if err := g.API(ctx, http.MethodGet, "/repos/"+repo.FullName, nil, &state); err != nil {
			t.Fatal(err)
		}
		if !state.Empty {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Gitea still says %s is empty 30 s after the push", repo.FullName)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return repo.CloneURL, repo.FullName
}

// Branches returns the branch names of a repository OWNER/NAME.
func (g *Gitea) Branches(t testing.TB, fullName string) []string {
	t.Helper()
	var branches []struct {
		Name string `json:"name"`
	}
	if err := g.API(context.Background(), http.MethodGet, "/repos/"+fullName+"/branches?limit=50", nil, &branches); err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(branches))
	for i, b := range branches {
		names[i] = b.Name
	}
	return names
}
