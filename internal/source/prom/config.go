package prom

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Defaults applied by New to zero Config fields.
const (
	// DefaultTimeout is the default Config.Timeout.
	DefaultTimeout = 2 * time.Minute
	// DefaultMaxConcurrency is the default Config.MaxConcurrency.
	DefaultMaxConcurrency = 4
	// DefaultMaxRetries is the default Config.MaxRetries.
	DefaultMaxRetries = 3
	// DefaultRetryBackoff is the default Config.RetryBackoff.
	DefaultRetryBackoff = 500 * time.Millisecond
	// DefaultMaxPointsPerQuery is the default Config.MaxPointsPerQuery.
	DefaultMaxPointsPerQuery = 11000
	// DefaultMaxRequests is the default Config.MaxRequests.
	DefaultMaxRequests = 10000
	// DefaultMaxPointsPerSeries is the default Config.MaxPointsPerSeries.
	DefaultMaxPointsPerSeries = 5_000_000
	// MaxBackoff caps the exponential backoff between retries.
	MaxBackoff = 30 * time.Second
	// MaxRetryAfter is the longest Retry-After a Client waits for; a server
	// asking for a longer pause fails the query instead of stalling the job.
	MaxRetryAfter = 5 * time.Minute
)

// Config configures a Client. The zero value of every field but URL is
// useful: New fills in the documented defaults.
type Config struct {
	// URL is the API root, e.g. http://prometheus:9090, http://vm:8428 or
	// http://vmselect:8481/select/0/prometheus; /api/v1/query_range is
	// appended to it. A user:password in the URL is used as basic auth and
	// never shown in errors or logs.
	URL string
	// Timeout bounds each HTTP request (one attempt of one window) and is
	// also sent to the server as the query's evaluation timeout. Default 2m.
	Timeout time.Duration
	// MaxConcurrency is the number of requests in flight at once, shared
	// by all queries of one Client. Default 4.
	MaxConcurrency int
	// MaxRetries is the number of retries after the first attempt of a
	// request. Default 3; a negative value disables retries.
	MaxRetries int
	// RetryBackoff is the base of the exponential backoff: before retry n
	// (n = 1, 2, …) a Client waits b/2 + U[0, b/2) with
	// b = min(RetryBackoff·2^(n-1), MaxBackoff) ("equal jitter"), or the
	// server's Retry-After on a 429/503 when that is longer. Default 500ms.
	RetryBackoff time.Duration
	// MaxPointsPerQuery is the largest number of points per series in one
	// request. Default 11000, under Prometheus's hard limit of 11,001
	// (VictoriaMetrics allows 30,000 by default).
	MaxPointsPerQuery int
	// MaxRequests is the query budget of a Client: the most requests (one
	// per window of a query, retries not counted) it sends in its life,
	// which for omen is one run. A query whose windows would exceed what is
	// left is refused before anything is sent, with ErrBudget. Default
	// 10,000; a negative value removes the limit.
	MaxRequests int
	// MaxPointsPerSeries is the largest grid one query may ask for, in
	// points per series; a larger one is refused with ErrBudget, naming a
	// step that fits. Default 5,000,000 (a year at 15 s is 2.1 million);
	// a negative value removes the limit.
	MaxPointsPerSeries int
	// NoCache adds nocache=1 to every request, which makes VictoriaMetrics
	// bypass its rollup result cache. Other servers ignore it.
	NoCache bool

	// BearerToken is sent as "Authorization: Bearer <token>".
	BearerToken string
	// BearerTokenFile holds the bearer token. It is read by New and again
	// before every request, so rotated tokens (Kubernetes service accounts)
	// are picked up. Surrounding white space is ignored.
	BearerTokenFile string
	// BasicAuthUser and BasicAuthPassword (or BasicAuthPasswordFile, read
	// like BearerTokenFile) are sent as HTTP basic auth.
	BasicAuthUser, BasicAuthPassword, BasicAuthPasswordFile string
	// Headers are added to every request, e.g. X-Scope-OrgID for Mimir and
	// Cortex or AccountID for VictoriaMetrics cluster. They are never logged.
	Headers map[string]string
	// TLS configures HTTPS.
	TLS TLSConfig

	// Logger receives a Debug record per request, an Info record per retry
	// (with the reason and the wait) and a Warn record per server warning;
	// nil discards.
	Logger *slog.Logger
	// Progress, when set, is called after each query_range request with
	// the requests answered (or failed) and planned so far in the life of
	// the Client; it may be called from several goroutines at once. It is
	// how a command shows a status line during a long fetch.
	Progress func(done, planned int)
	// RoundTripper replaces the HTTP transport (auth and headers are still
	// added on top). It is meant for tests and cannot be combined with TLS.
	RoundTripper http.RoundTripper
	// Jitter is the random source of the backoff jitter. Nil uses a PCG
	// with a fixed seed; give each process its own seed to de-correlate
	// many clients retrying against one server.
	Jitter rand.Source
}

// TLSConfig configures the client side of HTTPS. Files are PEM encoded.
type TLSConfig struct {
	// CAFile holds the certificates that verify the server, instead of the
	// system roots.
	CAFile string
	// CertFile and KeyFile are the client certificate and its key, for
	// servers that require mutual TLS. Both or neither must be set.
	CertFile, KeyFile string
	// ServerName overrides the name checked against the server certificate.
	ServerName string
	// InsecureSkipVerify disables server certificate verification.
	InsecureSkipVerify bool
}

func (t TLSConfig) isZero() bool { return t == TLSConfig{} }

// tlsConfig builds the crypto/tls configuration, naming the file on error.
func (t TLSConfig) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify, //nolint:gosec // explicit user choice
		MinVersion:         tls.VersionTLS12,
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("cannot read TLS CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TLS CA file %s: no PEM certificate found", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, errors.New("TLS client certificate needs both a cert file and a key file")
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("cannot load TLS client certificate %s with key %s: %w", t.CertFile, t.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// withDefaults returns cfg with the documented defaults filled in.
func (cfg Config) withDefaults() Config {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxConcurrency <= 0 {
		cfg.MaxConcurrency = DefaultMaxConcurrency
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = DefaultRetryBackoff
	}
	if cfg.MaxPointsPerQuery <= 0 {
		cfg.MaxPointsPerQuery = DefaultMaxPointsPerQuery
	}
	if cfg.MaxRequests == 0 {
		cfg.MaxRequests = DefaultMaxRequests
	}
	if cfg.MaxPointsPerSeries == 0 {
		cfg.MaxPointsPerSeries = DefaultMaxPointsPerSeries
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Jitter == nil {
		cfg.Jitter = rand.NewPCG(0x6f6d656e, 0x70726f6d)
	}
	return cfg
}

// parseURL validates the server URL and splits off its credentials. It
// returns the address to connect to (no userinfo), the URL to show in
// messages (password masked) and the user and password found.
func parseURL(raw string) (addr, display, user, pass string, err error) {
	if raw == "" {
		return "", "", "", "", errors.New("server URL is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole URL, which may hold a password.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", "", "", "", fmt.Errorf("invalid server URL: %w", err)
	}
	display = u.Redacted()
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", "", "", "", fmt.Errorf("invalid server URL %s: scheme must be http or https, like http://prometheus:9090", display)
	}
	if u.Host == "" {
		return "", "", "", "", fmt.Errorf("invalid server URL %s: no host", display)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", "", "", "", fmt.Errorf("invalid server URL %s: must not have a query or fragment (use Headers for tenant IDs)", display)
	}
	if u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
		u.User = nil
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), display, user, pass, nil
}

// readSecretFile reads a credential file, trimming white space; the error
// names the file and never its content.
func readSecretFile(what, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", what, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s %s is empty", what, path)
	}
	return s, nil
}

// newTransport builds the base HTTP transport: the settings of
// api.DefaultRoundTripper, with this Client's TLS and pool size.
func newTransport(cfg Config) (http.RoundTripper, error) {
	var tc *tls.Config
	if !cfg.TLS.isZero() {
		var err error
		if tc, err = cfg.TLS.tlsConfig(); err != nil {
			return nil, err
		}
	}
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   cfg.MaxConcurrency,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       tc,
	}, nil
}
