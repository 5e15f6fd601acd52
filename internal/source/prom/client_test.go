package prom

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/series"
)

const day = 24 * time.Hour

func TestQueryRangeReturnsEveryGridPointOnce(t *testing.T) {
	tests := []struct {
		name         string
		start, end   time.Time
		step         time.Duration
		maxPoints    int
		wantStep     time.Duration
		wantFirst    time.Time
		wantPoints   int
		wantRequests int64
	}{
		{"thirty days at 1m come back whole from four windows", t0, t0.Add(30 * day), time.Minute, 0,
			time.Minute, t0, 43201, 4},
		{"a step of 0 is chosen from the range", t0, t0.Add(30 * day), 0, 0,
			10 * time.Minute, t0, 4321, 1},
		{"an unaligned start moves up to the next multiple of the step", t0.Add(10 * time.Second), t0.Add(time.Hour), time.Minute, 0,
			time.Minute, t0.Add(time.Minute), 60, 1},
		{"tiny windows still cover the grid", t0, t0.Add(time.Hour), time.Minute, 7,
			time.Minute, t0, 61, 9},
		{"a range shorter than a step has one point", t0, t0.Add(time.Second), time.Minute, 0,
			time.Minute, t0, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeProm{}
			srv := startFake(t, fake)
			c := newClient(t, Config{URL: srv.URL, MaxPointsPerQuery: tt.maxPoints})
			res, err := c.QueryRange(context.Background(), source.Query{Expr: "m", Start: tt.start, End: tt.end, Step: tt.step})
			require.NoError(t, err)
			require.Equal(t, tt.wantStep, res.Step)
			require.Len(t, res.Series, 1)
			s := res.Series[0]
			require.NoError(t, s.Validate())
			require.Equal(t, series.New("__name__", "m", "job", "a"), s.Labels)
			require.Equal(t, tt.wantPoints, s.Len())
			for i, ts := range s.Timestamps {
				require.Equal(t, tt.wantFirst.UnixMilli()+int64(i)*tt.wantStep.Milliseconds(), ts, "timestamp %d", i)
				require.Equal(t, float64(ts)/1000, s.Values[i], "value %d", i)
			}
			require.Equal(t, tt.wantRequests, fake.requests.Load())
			require.Empty(t, res.Warnings)
		})
	}
}

func TestQueryRangeMergesSeriesAcrossWindowsSortedByLabels(t *testing.T) {
	// Series "b" only exists in the second half of the range; "c" has a NaN,
	// +Inf and -Inf that must survive.
	mid := t0.Add(30 * time.Minute).UnixMilli()
	fake := &fakeProm{
		sets: []map[string]string{{"__name__": "m", "k": "c"}, {"__name__": "m", "k": "b", "empty": ""}, {"__name__": "m", "k": "a"}},
		value: func(set int, tms int64) float64 {
			switch {
			case set == 1 && tms < mid:
				return math.MaxFloat64 // absent
			case set == 0 && tms == t0.UnixMilli():
				return math.NaN()
			case set == 0 && tms == t0.Add(time.Minute).UnixMilli():
				return math.Inf(1)
			case set == 0 && tms == t0.Add(2*time.Minute).UnixMilli():
				return math.Inf(-1)
			}
			return float64(set)
		},
	}
	srv := startFake(t, fake)
	c := newClient(t, Config{URL: srv.URL, MaxPointsPerQuery: 20})
	res, err := c.QueryRange(context.Background(), source.Query{Expr: "m", Start: t0, End: t0.Add(time.Hour), Step: time.Minute})
	require.NoError(t, err)
	require.Len(t, res.Series, 3)
	require.Equal(t, []string{"a", "b", "c"}, []string{res.Series[0].Labels.Get("k"), res.Series[1].Labels.Get("k"), res.Series[2].Labels.Get("k")})
	require.Equal(t, series.New("__name__", "m", "k", "b"), res.Series[1].Labels, "empty label values are dropped")
	require.Equal(t, 61, res.Series[0].Len())
	require.Equal(t, 31, res.Series[1].Len())
	require.Equal(t, mid, res.Series[1].First())
	c3 := res.Series[2]
	require.True(t, math.IsNaN(c3.Values[0]))
	require.True(t, math.IsInf(c3.Values[1], 1))
	require.True(t, math.IsInf(c3.Values[2], -1))
	require.Equal(t, 0.0, c3.Values[3])
	for _, s := range res.Series {
		require.NoError(t, s.Validate())
	}
}

func TestServerDownErrorNamesTheURL(t *testing.T) {
	addr := closedPort(t)
	tests := []struct {
		name     string
		url      string
		want     string
		notWant  string
		attempts string
	}{
		{"a plain URL is named", "http://" + addr, "prometheus at http://" + addr + ": cannot reach server", "", "(2 attempts)"},
		{"a password in the URL is masked", "http://omen:hunter2-secret@" + addr + "/prefix", "prometheus at http://omen:xxxxx@" + addr + "/prefix: cannot reach server", "hunter2-secret", "(2 attempts)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, buf := logBuffer()
			c := newClient(t, Config{URL: tt.url, MaxRetries: 1, Logger: log})
			_, err := c.QueryRange(context.Background(), source.Query{Expr: "up", Start: t0, End: t0.Add(time.Hour), Step: time.Minute})
			require.Error(t, err)
			require.ErrorIs(t, err, ErrUnreachable)
			require.Contains(t, err.Error(), tt.want)
			require.Contains(t, err.Error(), "connection refused")
			require.Contains(t, err.Error(), tt.attempts)
			if tt.notWant != "" {
				require.NotContains(t, err.Error(), tt.notWant)
				require.NotContains(t, buf.String(), tt.notWant)
			}
		})
	}
}

func TestRetriesTransientFailuresThenSucceeds(t *testing.T) {
	tests := []struct {
		name  string
		fault func(w http.ResponseWriter)
	}{
		{"a 500 is retried", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"status":"error","errorType":"internal","error":"boom"}`)
		}},
		{"a 502 from a proxy is retried", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, "<html>bad gateway</html>")
		}},
		{"a 503 without Retry-After is retried", func(w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) }},
		{"a dropped connection is retried", func(w http.ResponseWriter) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const failures = 2
			fake := &fakeProm{fault: func(w http.ResponseWriter, _ *http.Request, n int64) bool {
				if n <= failures {
					tt.fault(w)
					return true
				}
				return false
			}}
			srv := startFake(t, fake)
			log, buf := logBuffer()
			c := newClient(t, Config{URL: srv.URL, Logger: log})
			res, err := c.QueryRange(context.Background(), source.Query{Expr: "m", Start: t0, End: t0.Add(time.Hour), Step: time.Minute})
			require.NoError(t, err)
			require.Len(t, res.Series, 1)
			require.Equal(t, 61, res.Series[0].Len())
			require.GreaterOrEqual(t, fake.requests.Load(), int64(failures+1))
			require.Contains(t, buf.String(), "attempt=3")
		})
	}
}

func TestRetriesStopAfterMaxRetries(t *testing.T) {
	tests := []struct {
		name       string
		maxRetries int
		want       int64
	}{
		{"zero means the default of three retries", 0, 4},
		{"a negative value disables retries", -1, 1},
		{"one retry makes two attempts", 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeProm{fault: func(w http.ResponseWriter, _ *http.Request, _ int64) bool {
				w.WriteHeader(http.StatusInternalServerError)
				fmt.Fprint(w, `{"status":"error","errorType":"internal","error":"disk on fire"}`)
				return true
			}}
			srv := startFake(t, fake)
			c := newClient(t, Config{URL: srv.URL, MaxRetries: tt.maxRetries})
			_, err := c.QueryRange(context.Background(), source.Query{Expr: "m", Start: t0, End: t0.Add(time.Hour), Step: time.Minute})
			require.ErrorIs(t, err, ErrServer)
			require.Contains(t, err.Error(), "500 Internal Server Error: disk on fire")
			require.Equal(t, tt.want, fake.requests.Load())
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, int(tt.want), e.Attempts)
			require.Equal(t, 500, e.Status)
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	tests := []struct {
		name   string
		status int
	}{
		{"on 429 Too Many Requests", http.StatusTooManyRequests},
		{"on 503 Service Unavailable", http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := &fakeProm{fault: func(w http.ResponseWriter, _ *http.Request, n int64) bool {
				if n == 1 {
					w.Header().Set("Retry-After", "1")
					w.WriteHeader(tt.status)
					return true
				}
				return false
			}}
			srv := startFake(t, fake)
			c := newClient(t, Config{URL: srv.URL})
			began := time.Now()
			_, err := c.QueryRange(context.Background(), source.Query{Expr: "m", Start: t0, End: t0.Add(time.Hour), Step: time.Minute})
			require.NoError(t, err)
			require.Equal(t, int64(2), fake.requests.Load())
			require.GreaterOrEqual(t, time.Since(began), time.Second, "the 1ms backoff must yield to Retry-After: 1")
		})
	}
}

func TestRetryAfterLongerThanTheLimitFailsAtOnce(t *testing.T) {
	fake := &fakeProm{fault: func(w http.ResponseWriter, _ *http.Request, _ int64) bool {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, "slow down")
		return true
	}}
	srv := startFake(t, fake)
	c := newClient(t, Config{URL: srv.URL})
	began := time.Now()
	_, err := c.QueryRange(context.Background(), source.Query{Expr: "m", Start: t0, End: t0.Add(time.Hour), Step: time.Minute})
	require.ErrorIs(t, err, ErrRateLimited)
	require.Contains(t, err.Error(), "429 Too Many Requests: slow down: server asked to retry after 1h0m0s")
	require.Equal(t, int64(1), fake.requests.Load())
	require.Less(t, time.Since(began), 5*time.Second)
}

func TestSlowServerTimesOut(t *testing.T) {
	fake := &fakeProm{delay: time.Minute} // ends early when the request is cancelled
	srv := startFake(t, fake)
	c := newClient(t, Config{URL: srv.URL, Timeout: 50 * time.Millisecond, MaxRetries: 1})
	began := time.Now()
	_, err := c.QueryRange(context.Background(), source.Query{Expr: "m", Start: t0, End: t0.Add(time.Hour), Step: time.Minute})
	require.ErrorIs(t, err, ErrTimeout)
	require.NotErrorIs(t, err, context.DeadlineExceeded, "the caller's context did not expire")
	require.Contains(t, err.Error(), "prometheus at "+srv.URL+": request timed out after 50ms (2 attempts)")
	require.Equal(t, int64(2), fake.requests.Load())
	require.Less(t, time.Since(began), 5*time.Second)
}

func TestServerTimeoutParameterIsWholeSeconds(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		want    string
	}{
		{"the default is sent as 2m0s", 0, "2m0s"},
		{"fractions are dropped, as Prometheus rejects 1.5s", 1500 * time.Millisecond, "1s"},
		{"under a second nothing is sent", 900 * time.Millisecond, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeProm{}
			srv := startFake(t, fake)
			c := newClient(t, Config{URL: srv.URL, Timeout: tt.timeout})
			_, err := c.QueryRange(context.Background(), source.Query{Expr: "m", Start: t0, End: t0, Step: time.Minute})
			require.NoError(t, err)
			require.Equal(t, tt.want, fake.requestsSeen()[0].Form.Get("timeout"))
		})
	}
}

func TestBadQueryShowsTheServerMessageAndIsNotRetried(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"a Prometheus parse error", 400,
			`{"status":"error","errorType":"bad_data","error":"1:3: parse error: unclosed left parenthesis"}`,
			`400 Bad Request: 1:3: parse error: unclosed left parenthesis`},
		{"a Prometheus execution error", 422,
			`{"status":"error","errorType":"execution","error":"query processing would load too many samples into memory in query execution"}`,
			`422 Unprocessable Entity: query processing would load too many samples into memory in query execution`},
		{"a VictoriaMetrics error", 422,
			`{"status":"error","errorType":"422","error":"error when executing query=\"m(\": unparsed data: \"\""}`,
			`422 Unprocessable Entity: error when executing query="m(": unparsed data: ""`},
		{"an error envelope with status 200", 200,
			`{"status":"error","errorType":"bad_data","error":"invalid expression type"}`,
			`query failed: bad_data: invalid expression type`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeProm{fault: func(w http.ResponseWriter, _ *http.Request, _ int64) bool {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
				return true
			}}
			srv := startFake(t, fake)
			c := newClient(t, Config{URL: srv.URL})
			_, err := c.QueryRange(context.Background(), source.Query{Expr: "m(", Start: t0, End: t0.Add(time.Hour), Step: time.Minute})
			require.ErrorIs(t, err, ErrBadQuery)
			require.Equal(t, `cannot fetch "m(": prometheus at `+srv.URL+": "+tt.want, err.Error())
			require.Equal(t, int64(1), fake.requests.Load())
		})
	}
}

func TestOtherClientErrorsAreNotRetried(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		kind     error
		want     string
		requests int64 // client_golang falls back from POST to GET once on 403
	}{
		{"401 asks to check the credentials", 401, ErrAuth, "401 Unauthorized: check --bearer-token-file / basic auth", 1},
		{"403 asks to check the credentials", 403, ErrAuth, "403 Forbidden: check --bearer-token-file / basic auth", 2},
		{"404 asks whether the URL is the API root", 404, ErrStatus, "404 Not Found: nope: is the URL the API root", 1},
		{"405 is reported as is", 405, ErrStatus, "405 Method Not Allowed: nope", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeProm{fault: func(w http.ResponseWriter, _ *http.Request, _ int64) bool {
				w.WriteHeader(tt.status)
				fmt.Fprint(w, "nope")
				return true
			}}
			srv := startFake(t, fake)
			c := newClient(t, Config{URL: srv.URL})
			_, err := c.QueryRange(context.Background(), source.Query{Expr: "up", Start: t0, End: t0.Add(time.Hour), Step: time.Minute})
			require.ErrorIs(t, err, tt.kind)
			require.Contains(t, err.Error(), "prometheus at "+srv.URL+": "+tt.want)
			require.Equal(t, tt.requests, fake.requests.Load())
		})
	}
}

func TestCredentialsNeverLeak(t *testing.T) {
	const token = "tok-3f9a7c1e5b2d4c6e8a0f"
	const password = "pw-8d7e6f5a4b3c2d1e"
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte(token+"\n"), 0o600))
	passFile := filepath.Join(dir, "password")
	require.NoError(t, os.WriteFile(passFile, []byte(password), 0o600))
	basic := base64.StdEncoding.EncodeToString([]byte("omen:" + password))

	tests := []struct {
		name   string
		cfg    Config
		userIn bool // credentials in the URL
	}{
		{"a bearer token", Config{BearerToken: token}, false},
		{"a bearer token file", Config{BearerTokenFile: tokenFile}, false},
		{"a basic auth password", Config{BasicAuthUser: "omen", BasicAuthPassword: password}, false},
		{"a basic auth password file", Config{BasicAuthUser: "omen", BasicAuthPasswordFile: passFile}, false},
		{"a password in the URL", Config{}, true},
	}
	for _, status := range []int{401, 403, 500} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s with status %d", tt.name, status), func(t *testing.T) {
				// The worst server: it echoes the Authorization header.
				fake := &fakeProm{fault: func(w http.ResponseWriter, r *http.Request, _ int64) bool {
					w.WriteHeader(status)
					fmt.Fprintf(w, `{"status":"error","errorType":"auth","error":"bad credentials %q"}`, r.Header.Get("Authorization"))
					return true
				}}
				srv := startFake(t, fake)
				cfg := tt.cfg
				cfg.URL = srv.URL
				if tt.userIn {
					cfg.URL = strings.Replace(srv.URL, "http://", "http://omen:"+password+"@", 1)
				}
				log, buf := logBuffer()
				cfg.Logger = log
				cfg.MaxRetries = 1
				c := newClient(t, cfg)
				_, err := c.QueryRange(context.Background(), source.Query{Expr: "up", Start: t0, End: t0.Add(time.Hour), Step: time.Minute})
				require.Error(t, err)
				auth := fake.requestsSeen()[0].Header.Get("Authorization")
				require.NotEmpty(t, auth, "the server got credentials")
				if status != 500 {
					require.ErrorIs(t, err, ErrAuth)
					require.Contains(t, err.Error(), fmt.Sprintf("%d %s: check --bearer-token-file / basic auth", status, http.StatusText(status)))
				}
				require.Contains(t, err.Error(), "<redacted>", "the echoed header is scrubbed")
				require.NotEmpty(t, buf.String())
				for _, secret := range []string{token, password, basic} {
					require.NotContains(t, err.Error(), secret)
					require.NotContains(t, buf.String(), secret)
				}
			})
		}
	}
}

func TestCredentialFilesAreReReadForEveryRequest(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(file, []byte("first"), 0o600))
	fake := &fakeProm{}
	srv := startFake(t, fake)
	c := newClient(t, Config{URL: srv.URL, BearerTokenFile: file})
	q := source.Query{Expr: "m", Start: t0, End: t0, Step: time.Minute}
	_, err := c.QueryRange(context.Background(), q)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, []byte("second\n"), 0o600))
	_, err = c.QueryRange(context.Background(), q)
	require.NoError(t, err)
	require.NoError(t, os.Remove(file))
	_, err = c.QueryRange(context.Background(), q)
	require.ErrorIs(t, err, ErrCredentials)
	require.Contains(t, err.Error(), "cannot read bearer token file: open "+file)

	seen := fake.requestsSeen()
	require.Len(t, seen, 2, "a missing token file is not retried and sends nothing")
	require.Equal(t, "Bearer first", seen[0].Header.Get("Authorization"))
	require.Equal(t, "Bearer second", seen[1].Header.Get("Authorization"))
}

func TestTruncatedAndUndecodableResponses(t *testing.T) {
	const prefix = `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"m"},"values":[[1704067200,"1"],`
	tests := []struct {
		name     string
		write    func(w http.ResponseWriter)
		kind     error
		want     string
		requests int64
	}{
		{"a body shorter than its Content-Length is truncated and retried", func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "100000")
			fmt.Fprint(w, prefix)
		}, ErrTruncated, "response was truncated (status 200): unexpected EOF (2 attempts)", 2},
		{"a chunked body cut off is truncated and retried", func(w http.ResponseWriter) {
			fmt.Fprint(w, prefix)
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}, ErrTruncated, "response was truncated (status 200): unexpected EOF (2 attempts)", 2},
		{"a complete body that is not JSON cannot be decoded", func(w http.ResponseWriter) {
			fmt.Fprint(w, "<html>Grafana</html>")
		}, ErrBadResponse, "response could not be decoded (is the URL a Prometheus-compatible API root?)", 1},
		{"a JSON body cut short cannot be decoded", func(w http.ResponseWriter) {
			fmt.Fprint(w, prefix)
		}, ErrBadResponse, "response could not be decoded", 1},
		{"a vector instead of a matrix is a bad response", func(w http.ResponseWriter) {
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
		}, ErrBadResponse, "expected a matrix from query_range, got vector", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeProm{fault: func(w http.ResponseWriter, _ *http.Request, _ int64) bool {
				tt.write(w)
				return true
			}}
			srv := startFake(t, fake)
			c := newClient(t, Config{URL: srv.URL, MaxRetries: 1})
			_, err := c.QueryRange(context.Background(), source.Query{Expr: "m", Start: t0, End: t0.Add(time.Hour), Step: time.Minute})
			require.ErrorIs(t, err, tt.kind)
			require.Contains(t, err.Error(), "prometheus at "+srv.URL+": "+tt.want)
			require.Equal(t, tt.requests, fake.requests.Load())
		})
	}
}

func TestConcurrencyNeverExceedsTheLimit(t *testing.T) {
	fake := &fakeProm{delay: 5 * time.Millisecond}
	srv := startFake(t, fake)
	c := newClient(t, Config{URL: srv.URL, MaxConcurrency: 3, MaxPointsPerQuery: 10})
	// Three queries of 20 windows each share the client's limit.
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() {
			res, err := c.QueryRange(context.Background(), source.Query{Expr: "m", Start: t0, End: t0.Add(199 * time.Minute), Step: time.Minute})
			if err == nil && (len(res.Series) != 1 || res.Series[0].Len() != 200) {
				err = fmt.Errorf("got %d series", len(res.Series))
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, int64(60), fake.requests.Load())
	require.LessOrEqual(t, fake.maxInFlight.Load(), int64(3))
	require.GreaterOrEqual(t, fake.maxInFlight.Load(), int64(2), "windows run concurrently")
}

func TestOneFailedWindowFailsTheWholeQuery(t *testing.T) {
	bad := t0.Add(20 * time.Minute)
	fake := &fakeProm{fault: func(w http.ResponseWriter, r *http.Request, _ int64) bool {
		if r.FormValue("start") == fmt.Sprint(bad.Unix()) {
			w.WriteHeader(http.StatusInternalServerError)
			return true
		}
		return false
	}}
	srv := startFake(t, fake)
	c := newClient(t, Config{URL: srv.URL, MaxPointsPerQuery: 20, MaxRetries: -1})
	res, err := c.QueryRange(context.Background(), source.Query{Expr: "m", Start: t0, End: t0.Add(59 * time.Minute), Step: time.Minute})
	require.Nil(t, res)
	require.ErrorIs(t, err, ErrServer)
	require.Contains(t, err.Error(), `cannot fetch "m" (window 2/3 2024-01-01T00:20:00Z..2024-01-01T00:39:00Z (20 points)): prometheus at `)
}

func TestCancelDuringBackoffReturnsPromptly(t *testing.T) {
	fake := &fakeProm{fault: func(w http.ResponseWriter, _ *http.Request, _ int64) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	}}
	srv := startFake(t, fake)
	c := newClient(t, Config{URL: srv.URL, RetryBackoff: 20 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for fake.requests.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	began := time.Now()
	_, err := c.QueryRange(ctx, source.Query{Expr: "m", Start: t0, End: t0.Add(time.Hour), Step: time.Minute})
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, time.Since(began), 2*time.Second)
	require.Equal(t, int64(1), fake.requests.Load())
}

func TestCancelDuringRequestReturnsPromptly(t *testing.T) {
	fake := &fakeProm{delay: time.Minute}
	srv := startFake(t, fake)
	c := newClient(t, Config{URL: srv.URL})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err := c.QueryRange(ctx, source.Query{Expr: "m", Start: t0, End: t0.Add(time.Hour), Step: time.Minute})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NotErrorIs(t, err, ErrTimeout)
	require.Less(t, time.Since(began), 2*time.Second)
}

func TestHeadersAuthAndParamsReachTheServer(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(file, []byte("  file-token \n"), 0o600))
	tests := []struct {
		name  string
		cfg   Config
		url   func(base string) string
		check func(t *testing.T, r *http.Request)
	}{
		{"X-Scope-OrgID reaches Mimir", Config{Headers: map[string]string{"x-scope-orgid": "tenant-1"}}, nil,
			func(t *testing.T, r *http.Request) { require.Equal(t, "tenant-1", r.Header.Get("X-Scope-OrgID")) }},
		{"basic auth from the config", Config{BasicAuthUser: "omen", BasicAuthPassword: "pw"}, nil,
			func(t *testing.T, r *http.Request) {
				u, p, ok := r.BasicAuth()
				require.True(t, ok)
				require.Equal(t, "omen", u)
				require.Equal(t, "pw", p)
			}},
		{"basic auth from the URL", Config{}, func(b string) string { return strings.Replace(b, "http://", "http://u%40x:p%3Aw@", 1) },
			func(t *testing.T, r *http.Request) {
				u, p, ok := r.BasicAuth()
				require.True(t, ok)
				require.Equal(t, "u@x", u)
				require.Equal(t, "p:w", p)
			}},
		{"a bearer token file, trimmed", Config{BearerTokenFile: file}, nil,
			func(t *testing.T, r *http.Request) {
				require.Equal(t, "Bearer file-token", r.Header.Get("Authorization"))
			}},
		{"a path prefix like VictoriaMetrics cluster's", Config{}, func(b string) string { return b + "/select/0/prometheus/" },
			func(t *testing.T, r *http.Request) {
				require.Equal(t, "/select/0/prometheus/api/v1/query_range", r.URL.Path)
			}},
		{"nocache=1 when asked", Config{NoCache: true}, nil,
			func(t *testing.T, r *http.Request) { require.Equal(t, "1", r.URL.Query().Get("nocache")) }},
		{"no nocache by default, and the query as a POST form", Config{}, nil,
			func(t *testing.T, r *http.Request) {
				require.Empty(t, r.Form.Get("nocache"))
				require.Equal(t, http.MethodPost, r.Method)
				require.Equal(t, "m", r.PostForm.Get("query"))
				require.Equal(t, "1704067200", r.PostForm.Get("start"))
				require.Equal(t, "60", r.PostForm.Get("step"))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeProm{}
			srv := startFake(t, fake)
			cfg := tt.cfg
			cfg.URL = srv.URL
			if tt.url != nil {
				cfg.URL = tt.url(srv.URL)
			}
			c := newClient(t, cfg)
			_, err := c.QueryRange(context.Background(), source.Query{Expr: "m", Start: t0, End: t0.Add(time.Hour), Step: time.Minute})
			require.NoError(t, err)
			seen := fake.requestsSeen()
			require.Len(t, seen, 1)
			tt.check(t, seen[0])
		})
	}
}

func TestWarningsAreDeduplicatedAndLogged(t *testing.T) {
	fake := &fakeProm{warnings: []string{"partial response: store 2 down", "partial response: store 2 down", "w2"}, infos: []string{"metric might not be a counter"}}
	srv := startFake(t, fake)
	log, buf := logBuffer()
	c := newClient(t, Config{URL: srv.URL, MaxPointsPerQuery: 20, Logger: log})
	res, err := c.QueryRange(context.Background(), source.Query{Expr: "m", Start: t0, End: t0.Add(time.Hour), Step: time.Minute})
	require.NoError(t, err)
	require.Equal(t, int64(4), fake.requests.Load())
	require.Equal(t, []string{"partial response: store 2 down", "w2", "info: metric might not be a counter"}, res.Warnings)
	require.Equal(t, 3, strings.Count(buf.String(), "level=WARN"))
	require.Contains(t, buf.String(), `warning="partial response: store 2 down"`)
}

func TestDebugLogHasOneRecordPerRequestAndNoHeaders(t *testing.T) {
	fake := &fakeProm{}
	srv := startFake(t, fake)
	log, buf := logBuffer()
	c := newClient(t, Config{URL: srv.URL + "/prefix", MaxPointsPerQuery: 20, Logger: log, Headers: map[string]string{"X-Scope-OrgID": "tenant-secretive"}})
	_, err := c.QueryRange(context.Background(), source.Query{Expr: `m{job="a"}`, Start: t0, End: t0.Add(time.Hour), Step: time.Minute})
	require.NoError(t, err)
	out := buf.String()
	require.Equal(t, 4, strings.Count(out, "level=DEBUG msg=query_range"))
	require.Contains(t, out, "path=/prefix/api/v1/query_range")
	require.Contains(t, out, `query="m{job=\"a\"}"`)
	require.Contains(t, out, "status=200")
	require.Contains(t, out, "duration=")
	require.NotContains(t, out, "tenant-secretive")
}

func TestQueryRangeRejectsBadQueries(t *testing.T) {
	c := newClient(t, Config{URL: "http://" + closedPort(t)})
	tests := []struct {
		name string
		q    source.Query
		want string
	}{
		{"a missing start", source.Query{Expr: "m", End: t0}, "start and end are required"},
		{"an end before the start", source.Query{Expr: "m", Start: t0, End: t0.Add(-time.Second)}, "is before start"},
		{"a sub-millisecond step", source.Query{Expr: "m", Start: t0, End: t0.Add(time.Second), Step: 1500 * time.Microsecond}, "step 1.5ms is not a whole number of milliseconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.QueryRange(context.Background(), tt.q)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, []byte(" \n"), 0o600))
	notPEM := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("not a certificate"), 0o600))
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"an empty URL", Config{}, "server URL is required"},
		{"a URL without scheme", Config{URL: "prometheus:9090"}, "scheme must be http or https"},
		{"a URL without host", Config{URL: "http:///api"}, "no host"},
		{"a URL with a query", Config{URL: "http://p:9090/?tenant=1"}, "must not have a query"},
		{"an unparsable URL hides its password", Config{URL: "http://u:secretpw@p:9090/%zz"}, "invalid server URL: invalid URL escape"},
		{"a token and a token file", Config{URL: "http://p", BearerToken: "a", BearerTokenFile: empty}, "not both"},
		{"a missing token file is named", Config{URL: "http://p", BearerTokenFile: missing}, "cannot read bearer token file: open " + missing},
		{"an empty token file is named", Config{URL: "http://p", BearerTokenFile: empty}, "bearer token file " + empty + " is empty"},
		{"a missing password file is named", Config{URL: "http://p", BasicAuthUser: "u", BasicAuthPasswordFile: missing}, "cannot read basic auth password file: open " + missing},
		{"a password and a password file", Config{URL: "http://p", BasicAuthUser: "u", BasicAuthPassword: "a", BasicAuthPasswordFile: empty}, "not both"},
		{"a password without user", Config{URL: "http://p", BasicAuthPassword: "a"}, "user name is empty"},
		{"bearer and basic auth", Config{URL: "http://p", BearerToken: "a", BasicAuthUser: "u"}, "bearer token or basic auth, not both"},
		{"a user in the URL and in the config", Config{URL: "http://x:y@p", BasicAuthUser: "u"}, "http://x:xxxxx@p has a user name"},
		{"a CA file that is not PEM is named", Config{URL: "https://p", TLS: TLSConfig{CAFile: notPEM}}, "TLS CA file " + notPEM + ": no PEM certificate found"},
		{"a missing CA file is named", Config{URL: "https://p", TLS: TLSConfig{CAFile: missing}}, "open " + missing},
		{"a cert without key", Config{URL: "https://p", TLS: TLSConfig{CertFile: notPEM}}, "both a cert file and a key file"},
		{"a bad client cert is named", Config{URL: "https://p", TLS: TLSConfig{CertFile: notPEM, KeyFile: notPEM}}, "cannot load TLS client certificate " + notPEM},
		{"TLS with a custom RoundTripper", Config{URL: "https://p", TLS: TLSConfig{ServerName: "x"}, RoundTripper: http.DefaultTransport}, "cannot be combined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), "secretpw")
		})
	}
}

func TestBackoffDoublesWithJitterUpToTheCap(t *testing.T) {
	c := newClient(t, Config{URL: "http://p", RetryBackoff: time.Second})
	for n, b := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 5: 16 * time.Second, 6: 30 * time.Second, 60: 30 * time.Second} {
		for range 100 {
			got := c.backoff(n)
			require.GreaterOrEqual(t, got, b/2, "retry %d", n)
			require.LessOrEqual(t, got, b, "retry %d", n)
		}
	}
	// The jitter comes from the configured source: equal seeds, equal waits.
	a := newClient(t, Config{URL: "http://p"})
	b := newClient(t, Config{URL: "http://p"})
	for n := 1; n < 10; n++ {
		require.Equal(t, a.backoff(n), b.backoff(n))
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   string
		want time.Duration
	}{
		{"empty means none", "", 0},
		{"seconds", "7", 7 * time.Second},
		{"seconds with spaces", " 7 ", 7 * time.Second},
		{"zero means none", "0", 0},
		{"negative means none", "-3", 0},
		{"an HTTP date in the future", "Mon, 01 Jan 2024 00:00:30 GMT", 30 * time.Second},
		{"an HTTP date in the past means none", "Sun, 31 Dec 2023 23:00:00 GMT", 0},
		{"garbage means none", "soon", 0},
		{"absurd values are capped at a year", "99999999999999", 365 * day},
		{"absurd dates are capped at a year", "Mon, 01 Jan 2100 00:00:00 GMT", 365 * day},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, parseRetryAfter(tt.in, now))
		})
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "1", "120", "-1", "Mon, 01 Jan 2024 00:00:30 GMT", "1e3", "9223372036854775807"} {
		f.Add(s)
	}
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d := parseRetryAfter(s, now)
		if d < 0 || d > 400*day {
			t.Fatalf("parseRetryAfter(%q) = %s", s, d)
		}
	})
}

func FuzzBodyMessage(f *testing.F) {
	for _, s := range []string{"", `{"status":"error","errorType":"bad_data","error":"x"}`, "<html>\n</html>", strings.Repeat("é", 400)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := bodyMessage(s)
		if strings.HasPrefix(strings.TrimSpace(s), "{") {
			return // a JSON error message is shown whole
		}
		if len(m) > maxBodyMessage+len("…") {
			t.Fatalf("bodyMessage returned %d bytes", len(m))
		}
		if utf8.ValidString(s) && !utf8.ValidString(m) {
			t.Fatalf("bodyMessage(%q) = %q is not valid UTF-8", s, m)
		}
	})
}

func TestNativeHistogramsAreDroppedWithAWarning(t *testing.T) {
	fake := &fakeProm{fault: func(w http.ResponseWriter, _ *http.Request, _ int64) bool {
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"matrix","result":[`+
			`{"metric":{"__name__":"h"},"histograms":[[1704067200,{"count":"1","sum":"2","buckets":[[0,"0","1","1"]]}]]},`+
			`{"metric":{"__name__":"m"},"values":[[1704067200,"1"]]}]}}`)
		return true
	}}
	srv := startFake(t, fake)
	c := newClient(t, Config{URL: srv.URL})
	res, err := c.QueryRange(context.Background(), source.Query{Expr: "h or m", Start: t0, End: t0, Step: time.Minute})
	require.NoError(t, err)
	require.Len(t, res.Series, 1)
	require.Equal(t, "m", res.Series[0].Labels.Name())
	require.Equal(t, []string{`query "h or m" returned 1 native histogram samples, which omen ignores`}, res.Warnings)
}

func TestRetriesAreLoggedAtInfoWithTheReasonAndTheWait(t *testing.T) {
	fake := &fakeProm{fault: func(w http.ResponseWriter, _ *http.Request, n int64) bool {
		if n == 1 {
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, "<html>bad gateway</html>")
			return true
		}
		return false
	}}
	srv := startFake(t, fake)
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	c := newClient(t, Config{URL: srv.URL, Logger: log})
	_, err := c.QueryRange(context.Background(), source.Query{Expr: "m", Start: t0, End: t0.Add(time.Hour), Step: time.Minute})
	require.NoError(t, err)
	out := buf.String()
	require.Contains(t, out, `level=INFO msg="retrying a request"`)
	require.Contains(t, out, "attempt=1 of=4")
	require.Contains(t, out, "502")
	require.Regexp(t, `wait=[0-9.]+m?s`, out)
}

func TestTheQueryBudgetRefusesAbsurdPlansBeforeSendingAnything(t *testing.T) {
	t.Run("ten years at one second is refused, naming a step that fits", func(t *testing.T) {
		fake := &fakeProm{}
		c := newClient(t, Config{URL: startFake(t, fake).URL})
		_, err := c.QueryRange(context.Background(), source.Query{Expr: "up", Start: t0, End: t0.Add(3650 * 24 * time.Hour), Step: time.Second})
		require.ErrorIs(t, err, ErrBudget)
		require.ErrorContains(t, err, "315360001 points per series in 28670 requests")
		require.ErrorContains(t, err, "use --step 2m or more")
		require.Zero(t, fake.requests.Load(), "nothing is sent")
	})
	t.Run("the requests of a run are counted against its budget", func(t *testing.T) {
		fake := &fakeProm{}
		c := newClient(t, Config{URL: startFake(t, fake).URL, MaxRequests: 5})
		q := source.Query{Expr: "m", Start: t0, End: t0.Add(30 * 24 * time.Hour), Step: time.Minute}
		_, err := c.QueryRange(context.Background(), q)
		require.NoError(t, err, "4 windows of 11,000 points fit in 5")
		_, err = c.QueryRange(context.Background(), q)
		require.ErrorIs(t, err, ErrBudget)
		require.ErrorContains(t, err, "needs 4 requests and this run has 1 of its 5 left (--max-requests)")
		require.Equal(t, int64(4), fake.requests.Load(), "the refused query sent nothing")
	})
	t.Run("a negative budget has no limit", func(t *testing.T) {
		c := newClient(t, Config{URL: startFake(t, &fakeProm{}).URL, MaxRequests: -1, MaxPointsPerSeries: -1})
		require.NoError(t, c.checkBudget(source.Query{Expr: "up"}, t0, t0.Add(3650*24*time.Hour), time.Second))
	})
}
