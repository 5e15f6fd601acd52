package gitops

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Remote is a repository location: a local path or a URL, with any
// credentials it carried taken out.
type Remote struct {
	// URL is what git is given: an absolute path for a local repository,
	// otherwise the URL without user info password.
	URL string
	// Local reports whether the repository is a path on this machine
	// (a directory or a file:// URL).
	Local bool
	// Scheme is "file", "http", "https", "ssh" or "git" ("ssh" for the
	// scp-like user@host:path form).
	Scheme string
	// Host is the host and port of a network remote.
	Host string
	// User is the user name the URL carried, if any.
	User string
	// Path is the repository's path on the host without a leading slash
	// or a trailing ".git", e.g. "owner/name" or "group/sub/name".
	Path string
	// Password is the password the URL carried (a token, usually). It is
	// never part of URL.
	Password string
}

// scpLike matches git's scp-like syntax: [user@]host:path.
var scpLike = regexp.MustCompile(`^(?:([^@/]+)@)?([^:/]+):(.+)$`)

// ParseRemote parses a repository location: a directory, a file:// URL,
// an http(s)://, ssh:// or git:// URL, or git's scp-like user@host:path.
// A password in the URL is moved to Password.
func ParseRemote(s string) (Remote, error) {
	if s == "" {
		return Remote{}, errors.New("gitops: no repository given")
	}
	if !strings.Contains(s, "://") {
		if fi, err := os.Stat(s); err == nil {
			if !fi.IsDir() {
				return Remote{}, fmt.Errorf("gitops: repository %s is not a directory", s)
			}
			abs, err := filepath.Abs(s)
			if err != nil {
				return Remote{}, err
			}
			return Remote{URL: abs, Local: true, Scheme: "file", Path: strings.TrimSuffix(filepath.Base(abs), ".git")}, nil
		}
		if m := scpLike.FindStringSubmatch(s); m != nil && !strings.HasPrefix(s, "/") && !strings.HasPrefix(s, ".") {
			return Remote{URL: s, Scheme: "ssh", User: m[1], Host: m[2], Path: trimRepoPath(m[3])}, nil
		}
		return Remote{}, fmt.Errorf("gitops: repository %s: no such directory, and not a URL", s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return Remote{}, fmt.Errorf("gitops: repository URL: %w", NewRedactor().Error(err))
	}
	r := Remote{Scheme: u.Scheme, Host: u.Host, Path: trimRepoPath(u.Path)}
	switch u.Scheme {
	case "file":
		r.Local = true
		r.Host = ""
		r.URL = u.Path
		r.Path = strings.TrimSuffix(filepath.Base(u.Path), ".git")
		return r, nil
	case "http", "https", "ssh", "git":
	default:
		return Remote{}, fmt.Errorf("gitops: repository URL %s: unsupported scheme %q (want a path, file, http, https, ssh or git)", NewRedactor().String(s), u.Scheme)
	}
	if u.Host == "" {
		return Remote{}, fmt.Errorf("gitops: repository URL %s has no host", NewRedactor().String(s))
	}
	if u.User != nil {
		r.User = u.User.Username()
		r.Password, _ = u.User.Password()
		if r.Password != "" {
			u.User = url.User(r.User)
		}
	}
	r.URL = u.String()
	return r, nil
}

func trimRepoPath(p string) string {
	p = strings.Trim(p, "/")
	return strings.TrimSuffix(p, ".git")
}

// OwnerName splits Path into the owner (everything before the last slash,
// a GitLab group path can have several parts) and the repository name.
func (r Remote) OwnerName() (owner, name string, err error) {
	i := strings.LastIndex(r.Path, "/")
	if i <= 0 || i == len(r.Path)-1 {
		return "", "", fmt.Errorf("gitops: cannot tell the owner and name of the repository from %q: give them as OWNER/NAME", r.Path)
	}
	return r.Path[:i], r.Path[i+1:], nil
}

// ForgeDefaults returns the forge URL and the repository (OWNER/NAME, or
// GitLab's full project path) that a remote implies for a forge of kind
// "github", "gitlab" or "gitea": the remote's host over HTTPS (HTTP when
// the remote is plain HTTP), "" for github.com (NewForge uses
// api.github.com). A Gitea served under a path prefix keeps it.
func ForgeDefaults(kind string, remote Remote) (forgeURL, repo string, err error) {
	if remote.Local || remote.Host == "" {
		return "", "", fmt.Errorf("gitops: the repository %s is a local path: give the forge's URL (--forge-url) and the repository (--forge-repo OWNER/NAME)", remote.URL)
	}
	scheme := "https"
	if remote.Scheme == "http" {
		scheme = "http"
	}
	host := remote.Host
	if remote.Scheme == "ssh" || remote.Scheme == "git" {
		host, _, _ = strings.Cut(host, ":") // an SSH port is not the web port
	}
	parts := strings.Split(remote.Path, "/")
	if len(parts) < 2 {
		return "", "", fmt.Errorf("gitops: cannot tell the owner and name of the repository from %q: give --forge-repo OWNER/NAME", remote.Path)
	}
	ownerName := strings.Join(parts[len(parts)-2:], "/")
	switch kind {
	case "github":
		if strings.EqualFold(host, "github.com") {
			return "", ownerName, nil
		}
		return scheme + "://" + host, ownerName, nil
	case "gitlab":
		return scheme + "://" + host, remote.Path, nil
	case "gitea":
		prefix := strings.Join(parts[:len(parts)-2], "/")
		if prefix != "" {
			prefix = "/" + prefix
		}
		return scheme + "://" + host + prefix, ownerName, nil
	}
	return "", "", fmt.Errorf("gitops: unknown forge %q: want github, gitlab or gitea", kind)
}
