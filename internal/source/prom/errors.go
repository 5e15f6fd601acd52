package prom

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

// Kinds of request failure; every *Error matches exactly one with errors.Is.
var (
	// ErrUnreachable: no HTTP response (connection refused, DNS, reset).
	ErrUnreachable = errors.New("prom: server unreachable")
	// ErrTimeout: an attempt took longer than Config.Timeout.
	ErrTimeout = errors.New("prom: request timed out")
	// ErrBadQuery: the server rejected the query (400 or 422).
	ErrBadQuery = errors.New("prom: query rejected")
	// ErrAuth: the server refused the credentials (401 or 403).
	ErrAuth = errors.New("prom: not authorized")
	// ErrRateLimited: the server kept answering 429 Too Many Requests.
	ErrRateLimited = errors.New("prom: rate limited")
	// ErrServer: the server kept failing with a 5xx status.
	ErrServer = errors.New("prom: server error")
	// ErrStatus: another unexpected HTTP status, such as 404.
	ErrStatus = errors.New("prom: unexpected HTTP status")
	// ErrTruncated: the response body was cut off.
	ErrTruncated = errors.New("prom: response truncated")
	// ErrBadResponse: the response could not be decoded, or was not a
	// range-query matrix.
	ErrBadResponse = errors.New("prom: bad response")
	// ErrTLS: the TLS handshake failed on a certificate.
	ErrTLS = errors.New("prom: TLS error")
	// ErrCredentials: a credential file could not be read.
	ErrCredentials = errors.New("prom: cannot read credentials")
	// ErrBudget: the query would exceed the query budget (Config.MaxRequests,
	// Config.MaxPointsPerSeries); nothing was sent.
	ErrBudget = errors.New("prom: query budget exceeded")
)

// Error is a failed request to the server. Its message names the server
// (password masked) and never holds a credential.
type Error struct {
	// URL is the server's API root with any password masked.
	URL string
	// Kind is one of the Err* sentinels of this package.
	Kind error
	// Status is the HTTP status of the last attempt, 0 without a response.
	Status int
	// Attempts is the number of attempts made.
	Attempts int
	// Msg describes the failure; server error messages are verbatim.
	Msg string
}

// Error formats the failure as "prometheus at URL: message (N attempts)".
func (e *Error) Error() string {
	s := "prometheus at " + e.URL + ": " + e.Msg
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (%d attempts)", e.Attempts)
	}
	return s
}

// Unwrap returns Kind, so errors.Is(err, ErrTimeout) and the like work.
func (e *Error) Unwrap() error { return e.Kind }

// failure is the classification of one failed attempt.
type failure struct {
	kind       error
	msg        string
	retry      bool
	retryAfter time.Duration
}

// classify turns the error of one attempt into a failure. timedOut tells
// whether the attempt's own deadline expired (the caller's context did not).
func classify(err error, ex *exchange, timeout time.Duration, timedOut bool) failure {
	var apiErr *v1.Error
	var credErr *credentialError
	switch {
	case timedOut:
		return failure{kind: ErrTimeout, msg: fmt.Sprintf("request timed out after %s", timeout), retry: true}
	case errors.As(err, &credErr):
		return failure{kind: ErrCredentials, msg: credErr.Error()}
	case errors.As(err, &apiErr):
		return classifyAPI(apiErr, ex)
	case isTLSError(err):
		return failure{kind: ErrTLS, msg: "TLS handshake failed: " + transportMessage(err) + ": check the CA file, client certificate and server name"}
	case ex.status != 0:
		// The headers arrived but reading the body failed.
		return failure{kind: ErrTruncated, msg: fmt.Sprintf("response was truncated (status %d): %s", ex.status, transportMessage(err)), retry: true}
	}
	return failure{kind: ErrUnreachable, msg: "cannot reach server: " + transportMessage(err), retry: true}
}

func classifyAPI(e *v1.Error, ex *exchange) failure {
	status := ex.status
	text := http.StatusText(status)
	switch {
	case status == 0 || status/100 == 2:
		if e.Type == v1.ErrBadResponse {
			return failure{kind: ErrBadResponse, msg: "response could not be decoded (is the URL a Prometheus-compatible API root?): " + e.Msg}
		}
		// An error envelope with a 2xx status.
		return failure{kind: ErrBadQuery, msg: fmt.Sprintf("query failed: %s: %s", e.Type, e.Msg)}
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		// client_golang decoded Prometheus's JSON error envelope into Msg.
		return failure{kind: ErrBadQuery, msg: fmt.Sprintf("%d %s: %s", status, text, e.Msg)}
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		msg := fmt.Sprintf("%d %s: check --bearer-token-file / basic auth", status, text)
		if d := bodyMessage(e.Detail); d != "" {
			msg += " (server said: " + d + ")"
		}
		return failure{kind: ErrAuth, msg: msg}
	case status == http.StatusTooManyRequests:
		return failure{kind: ErrRateLimited, msg: statusMessage(status, e.Detail), retry: true, retryAfter: parseRetryAfter(ex.retryAfter, time.Now())}
	case status/100 == 5:
		f := failure{kind: ErrServer, msg: statusMessage(status, e.Detail), retry: true}
		if status == http.StatusServiceUnavailable {
			f.retryAfter = parseRetryAfter(ex.retryAfter, time.Now())
		}
		return f
	case status == http.StatusNotFound:
		return failure{kind: ErrStatus, msg: statusMessage(status, e.Detail) + ": is the URL the API root, like http://prometheus:9090 or http://vmselect:8481/select/0/prometheus?"}
	}
	return failure{kind: ErrStatus, msg: statusMessage(status, e.Detail)}
}

// statusMessage formats "503 Service Unavailable: <server message>".
func statusMessage(status int, body string) string {
	msg := fmt.Sprintf("%d %s", status, http.StatusText(status))
	if d := bodyMessage(body); d != "" {
		msg += ": " + d
	}
	return msg
}

// maxBodyMessage bounds how much of a non-JSON error body is quoted.
const maxBodyMessage = 300

// bodyMessage extracts the error message of an error response body: the
// "error" field of a Prometheus JSON envelope, verbatim, or else the start
// of the body as text.
func bodyMessage(body string) string {
	var env struct {
		Error string `json:"error"`
	}
	if json.Unmarshal([]byte(body), &env) == nil && env.Error != "" {
		return env.Error
	}
	s := strings.Join(strings.Fields(body), " ")
	if len(s) > maxBodyMessage {
		n := maxBodyMessage
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "…"
	}
	return s
}

// transportMessage returns the cause of a transport error without the
// request URL that net/http puts in front of it.
func transportMessage(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected EOF"
	}
	return err.Error()
}

func isTLSError(err error) bool {
	var (
		verr  *tls.CertificateVerificationError
		alert tls.AlertError
		uae   x509.UnknownAuthorityError
		hne   x509.HostnameError
		cie   x509.CertificateInvalidError
		rhe   tls.RecordHeaderError
		oe    *net.OpError
	)
	if errors.As(err, &oe) && oe.Op == "remote error" {
		return true // an alert from the server, e.g. "tls: certificate required"
	}
	return errors.As(err, &verr) || errors.As(err, &alert) || errors.As(err, &uae) ||
		errors.As(err, &hne) || errors.As(err, &cie) || errors.As(err, &rhe)
}

// maxRetryAfterParsed bounds parsed Retry-After values.
const maxRetryAfterParsed = 365 * 24 * time.Hour

// parseRetryAfter parses a Retry-After header, either delay-seconds or an
// HTTP date, into a wait from now, at most a year. Missing, malformed or
// past values give 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(maxRetryAfterParsed/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, maxRetryAfterParsed)
		}
	}
	return 0
}
