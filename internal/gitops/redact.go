package gitops

import (
	"encoding/base64"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// redacted replaces a secret in messages.
const redacted = "REDACTED"

// userinfoPassword matches the user:password part of a URL.
var userinfoPassword = regexp.MustCompile(`://[^/@\s:]*:[^/@\s]*@`)

// A Redactor removes secrets from text before it is logged, printed or
// returned in an error: each secret as written, URL-escaped, and inside an
// HTTP Basic authorization for the user names git and the forges use, and
// the password of any URL.
type Redactor struct {
	secrets []string
}

// NewRedactor returns a Redactor for the given secrets; empty ones are
// ignored. A nil *Redactor redacts only URL passwords.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		r.Add(s)
	}
	return r
}

// Add adds a secret.
func (r *Redactor) Add(secret string) {
	if len(secret) < 4 { // shorter strings would redact ordinary words
		return
	}
	forms := []string{secret, url.QueryEscape(secret), url.PathEscape(secret)}
	for _, user := range []string{"", "x-access-token", "oauth2", "omen", "git", "token"} {
		forms = append(forms, base64.StdEncoding.EncodeToString([]byte(user+":"+secret)))
	}
	for _, f := range forms {
		if !slices.Contains(r.secrets, f) {
			r.secrets = append(r.secrets, f)
		}
	}
	// Longest first, so a form containing another is replaced whole.
	slices.SortFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })
}

// String returns s without secrets.
func (r *Redactor) String(s string) string {
	if r != nil {
		for _, secret := range r.secrets {
			s = strings.ReplaceAll(s, secret, redacted)
		}
	}
	return userinfoPassword.ReplaceAllString(s, "://"+redacted+"@")
}

// redactedError is an error whose message went through a Redactor. It
// keeps the original for errors.Is and errors.As but never prints it.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Error returns err with its message redacted, or nil.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := r.String(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}
