package prom

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
)

// exchange records what the transport saw of one attempt, so that the
// retry logic can classify errors by HTTP status (client_golang's
// QueryRange does not return the response).
type exchange struct {
	status     int
	retryAfter string
	path       string
}

type exchangeKey struct{}

func withExchange(ctx context.Context, ex *exchange) context.Context {
	return context.WithValue(ctx, exchangeKey{}, ex)
}

// credentialError is a failure to read a credential file before a request;
// it is not retried.
type credentialError struct{ err error }

func (e *credentialError) Error() string { return e.err.Error() }
func (e *credentialError) Unwrap() error { return e.err }

// transport adds credentials, headers and query parameters to each request
// and records the response status in the request's exchange.
type transport struct {
	base    http.RoundTripper
	headers http.Header
	noCache bool

	bearer, bearerFile   string
	user, pass, passFile string

	mu      sync.Mutex
	secrets []string // every credential value sent so far, for scrubbing
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	for k, vs := range t.headers {
		r.Header[k] = vs
	}
	if err := t.authorize(r); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &credentialError{err}
	}
	if t.noCache {
		q := r.URL.Query()
		q.Set("nocache", "1")
		r.URL.RawQuery = q.Encode()
	}
	ex, _ := req.Context().Value(exchangeKey{}).(*exchange)
	if ex != nil {
		ex.path = r.URL.Path
	}
	resp, err := t.base.RoundTrip(r)
	if ex != nil && resp != nil {
		ex.status = resp.StatusCode
		ex.retryAfter = resp.Header.Get("Retry-After")
	}
	return resp, err
}

// authorize sets the Authorization header, re-reading credential files.
func (t *transport) authorize(r *http.Request) error {
	switch {
	case t.bearer != "" || t.bearerFile != "":
		tok := t.bearer
		if t.bearerFile != "" {
			var err error
			if tok, err = readSecretFile("bearer token file", t.bearerFile); err != nil {
				return err
			}
			t.remember(tok)
		}
		r.Header.Set("Authorization", "Bearer "+tok)
	case t.user != "":
		pass := t.pass
		if t.passFile != "" {
			var err error
			if pass, err = readSecretFile("basic auth password file", t.passFile); err != nil {
				return err
			}
			t.remember(pass)
			t.remember(base64.StdEncoding.EncodeToString([]byte(t.user + ":" + pass)))
		}
		r.SetBasicAuth(t.user, pass)
	}
	return nil
}

// remember adds a credential value to the set scrubbed from messages.
func (t *transport) remember(secret string) {
	if secret == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.secrets {
		if s == secret {
			return
		}
	}
	t.secrets = append(t.secrets, secret)
}

// scrub replaces every credential value in s by "<redacted>", so that a
// server or proxy echoing a header cannot leak it into errors or logs.
func (t *transport) scrub(s string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, secret := range t.secrets {
		s = strings.ReplaceAll(s, secret, "<redacted>")
	}
	return s
}
