package gitops

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseRemote(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		in   string
		want Remote
	}{
		{"an HTTPS URL", "https://github.com/acme/rules.git", Remote{URL: "https://github.com/acme/rules.git", Scheme: "https", Host: "github.com", Path: "acme/rules"}},
		{"a password moves out of the URL", "https://bot:s3cret-token@gitlab.example.com/platform/obs/rules.git",
			Remote{URL: "https://bot@gitlab.example.com/platform/obs/rules.git", Scheme: "https", Host: "gitlab.example.com", User: "bot", Password: "s3cret-token", Path: "platform/obs/rules"}},
		{"scp-like SSH", "git@github.com:acme/rules.git", Remote{URL: "git@github.com:acme/rules.git", Scheme: "ssh", Host: "github.com", User: "git", Path: "acme/rules"}},
		{"an SSH URL with a port", "ssh://git@git.example.com:2222/sre/rules.git", Remote{URL: "ssh://git@git.example.com:2222/sre/rules.git", Scheme: "ssh", Host: "git.example.com:2222", User: "git", Path: "sre/rules"}},
		{"a directory", dir, Remote{URL: dir, Local: true, Scheme: "file", Path: lastElem(dir)}},
		{"a file URL", "file:///srv/git/rules.git", Remote{URL: "/srv/git/rules.git", Local: true, Scheme: "file", Path: "rules"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRemote(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
	for _, bad := range []string{"", "ftp://host/x.git", "/nonexistent/dir", "https:///x.git"} {
		_, err := ParseRemote(bad)
		require.Error(t, err, bad)
	}
	_, err := ParseRemote("ftp://u:tok3n-secret@host/x.git")
	require.NotContains(t, err.Error(), "tok3n-secret")
}

func lastElem(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

func TestForgeDefaultsComeFromTheRemote(t *testing.T) {
	tests := []struct {
		kind, remote, url, repo string
	}{
		{"github", "https://github.com/acme/rules.git", "", "acme/rules"},
		{"github", "git@github.com:acme/rules.git", "", "acme/rules"},
		{"github", "https://ghe.example.com/acme/rules.git", "https://ghe.example.com", "acme/rules"},
		{"gitlab", "https://gitlab.example.com/platform/obs/rules.git", "https://gitlab.example.com", "platform/obs/rules"},
		{"gitlab", "ssh://git@gitlab.example.com:2222/platform/rules.git", "https://gitlab.example.com", "platform/rules"},
		{"gitea", "http://127.0.0.1:3000/sre/rules.git", "http://127.0.0.1:3000", "sre/rules"},
		{"gitea", "https://example.com/git/sre/rules.git", "https://example.com/git", "sre/rules"},
	}
	for _, tt := range tests {
		t.Run(tt.kind+" "+tt.remote, func(t *testing.T) {
			r, err := ParseRemote(tt.remote)
			require.NoError(t, err)
			url, repo, err := ForgeDefaults(tt.kind, r)
			require.NoError(t, err)
			require.Equal(t, tt.url, url)
			require.Equal(t, tt.repo, repo)
		})
	}
	local, _ := ParseRemote(t.TempDir())
	_, _, err := ForgeDefaults("gitea", local)
	require.ErrorContains(t, err, "local path")
}

func TestRedactorRemovesEveryFormOfASecret(t *testing.T) {
	const token = "glpat-Secret/Token+1"
	r := NewRedactor(token, "", "abc")
	for _, in := range []string{
		"token " + token,
		"https://oauth2:" + "glpat-Secret%2FToken+1" + "@gitlab.example.com/x.git",
		"Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("oauth2:"+token)),
		"q=glpat-Secret%2FToken%2B1",
		"https://anyone:other-password@host/x",
	} {
		out := r.String(in)
		require.NotContains(t, out, "Secret", in)
		require.NotContains(t, out, "other-password", in)
		require.Contains(t, out, "REDACTED", in)
	}
	require.Equal(t, "abc stays: too short to be a token", r.String("abc stays: too short to be a token"))
	err := r.Error(errors.New("push to https://x:" + token + "@h failed"))
	require.NotContains(t, err.Error(), token)
	var nilRedactor *Redactor
	require.Equal(t, "https://REDACTED@h", nilRedactor.String("https://u:p@h"))
}

func FuzzParseRemote(f *testing.F) {
	for _, s := range []string{"https://u:p4ssw0rd@github.com/a/b.git", "git@github.com:a/b.git", "ssh://git@h:22/a/b", "file:///srv/x.git", "git://h/a/b", "http://h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRemote(s)
		if err != nil {
			return
		}
		if r.Password != "" && strings.Contains(r.URL, r.Password) && !strings.Contains(r.User, r.Password) && !strings.Contains(r.Host+r.Path, r.Password) {
			t.Fatalf("the password stays in the URL %q", r.URL)
		}
		if !r.Local {
			_, _, _ = ForgeDefaults("gitea", r)
		}
	})
}
