package sink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/exp/api/remote"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/omenhq/omen/internal/seriesio"
	"github.com/omenhq/omen/series"
)

// ErrPush is wrapped by every write-back failure.
var ErrPush = errors.New("sink: write-back failed")

// PushConfig says where and how results are written back as metrics.
type PushConfig struct {
	// URL is the receiver: a VictoriaMetrics base URL (or its
	// /api/v1/import/prometheus endpoint), or a Prometheus base URL (or its
	// /api/v1/write endpoint; Prometheus must run with
	// --web.enable-remote-write-receiver). With a base URL the kind of
	// server is found by asking /health, which only VictoriaMetrics serves.
	URL string
	// Timeout bounds each request when Client has none; default 30s.
	Timeout time.Duration
	// Client is the HTTP client, carrying the credentials, headers and
	// TLS settings of the receiver: build it with the same connection
	// config that reads (prom.New(cfg).HTTPClient()), so that writing back
	// authenticates as reading does. A user:password in URL is then taken
	// from the client, not from the URL. Nil uses a plain client.
	Client *http.Client
	// Logger receives debug records; nil discards them.
	Logger *slog.Logger
}

// Push writes ss to the receiver of cfg. NaN samples are not sent (absence
// is how a TSDB says "no value").
func Push(ctx context.Context, cfg PushConfig, ss []series.Series) error {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("%w: invalid URL %q: want http(s)://host:port", ErrPush, redact(cfg.URL))
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: cfg.Timeout}
	} else {
		if client.Timeout == 0 {
			c := *client
			c.Timeout = cfg.Timeout
			client = &c
		}
		u.User = nil // the client carries the credentials
	}
	base := strings.TrimRight(u.String(), "/")
	switch {
	case strings.HasSuffix(u.Path, "/api/v1/import/prometheus"):
		return pushVictoriaMetrics(ctx, client, base, ss)
	case strings.HasSuffix(u.Path, "/api/v1/write"):
		return pushRemoteWrite(ctx, client, strings.TrimSuffix(base, "/api/v1/write"), ss, cfg.Logger)
	}
	if isVictoriaMetrics(ctx, client, base) {
		return pushVictoriaMetrics(ctx, client, base+"/api/v1/import/prometheus", ss)
	}
	return pushRemoteWrite(ctx, client, base, ss, cfg.Logger)
}

// isVictoriaMetrics reports whether base answers /health with "OK", as
// VictoriaMetrics does (Prometheus has no /health).
func isVictoriaMetrics(ctx context.Context, client *http.Client, base string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/health", nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
	return resp.StatusCode == http.StatusOK && strings.TrimSpace(string(b)) == "OK"
}

func pushVictoriaMetrics(ctx context.Context, client *http.Client, endpoint string, ss []series.Series) error {
	var buf bytes.Buffer
	if err := seriesio.WriteOpenMetrics(&buf, ss); err != nil {
		return fmt.Errorf("%w: cannot encode: %w", ErrPush, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, &buf)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPush, err)
	}
	req.Header.Set("Content-Type", "text/plain")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: cannot reach %s: %w", ErrPush, redact(endpoint), err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%w: %s answered %s: %s", ErrPush, redact(endpoint), resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

func pushRemoteWrite(ctx context.Context, client *http.Client, base string, ss []series.Series, logger *slog.Logger) error {
	opts := []remote.APIOption{remote.WithAPIHTTPClient(client), remote.WithAPIBackoff(remote.BackoffConfig{Min: 200 * time.Millisecond, Max: 5 * time.Second, MaxRetries: 3})}
	if logger != nil {
		opts = append(opts, remote.WithAPILogger(logger))
	}
	api, err := remote.NewAPI(base, opts...)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPush, err)
	}
	if _, err := api.Write(ctx, remote.WriteV1MessageType, writeRequest{b: encodeWriteRequest(nil, ss)}); err != nil {
		return fmt.Errorf("%w: remote write to %s/api/v1/write: %w", ErrPush, redact(base), err)
	}
	return nil
}

// RedactURL returns s with any password in it masked, for logs and
// messages; s is returned unchanged when it does not parse.
func RedactURL(s string) string { return redact(s) }

// redact drops credentials from a URL for messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	return u.Redacted()
}

// writeRequest is an encoded Prometheus remote-write 1.0 WriteRequest
// (prometheus.WriteRequest in prompb/remote.proto). It has the two methods
// of gogo protobuf messages that remote.API uses to marshal a request.
type writeRequest struct{ b []byte }

// Size returns the encoded size.
func (w writeRequest) Size() int { return len(w.b) }

// MarshalToSizedBuffer copies the encoded request into the end of dst, as
// gogo protobuf does, and returns the number of bytes written.
func (w writeRequest) MarshalToSizedBuffer(dst []byte) (int, error) {
	if len(w.b) > len(dst) {
		return 0, fmt.Errorf("buffer of %d bytes for a %d-byte request", len(dst), len(w.b))
	}
	copy(dst[len(dst)-len(w.b):], w.b)
	return len(w.b), nil
}

// encodeWriteRequest appends the remote-write 1.0 encoding of ss to b,
// by hand with protowire: Prometheus 2.42 accepts only version 1.0, and the
// prompb package would bring the whole Prometheus module in. Field numbers:
// WriteRequest.timeseries = 1; TimeSeries.labels = 1, samples = 2;
// Label.name = 1, value = 2; Sample.value = 1 (double), timestamp = 2
// (int64). NaN samples are skipped.
func encodeWriteRequest(b []byte, ss []series.Series) []byte {
	var ts, msg []byte
	for _, s := range ss {
		ts = ts[:0]
		for _, l := range s.Labels {
			msg = msg[:0]
			msg = protowire.AppendTag(msg, 1, protowire.BytesType)
			msg = protowire.AppendString(msg, l.Name)
			msg = protowire.AppendTag(msg, 2, protowire.BytesType)
			msg = protowire.AppendString(msg, l.Value)
			ts = protowire.AppendTag(ts, 1, protowire.BytesType)
			ts = protowire.AppendBytes(ts, msg)
		}
		for i, t := range s.Timestamps {
			v := s.Values[i]
			if math.IsNaN(v) {
				continue
			}
			msg = msg[:0]
			msg = protowire.AppendTag(msg, 1, protowire.Fixed64Type)
			msg = protowire.AppendFixed64(msg, math.Float64bits(v))
			msg = protowire.AppendTag(msg, 2, protowire.VarintType)
			msg = protowire.AppendVarint(msg, uint64(t))
			ts = protowire.AppendTag(ts, 2, protowire.BytesType)
			ts = protowire.AppendBytes(ts, msg)
		}
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, ts)
	}
	return b
}
