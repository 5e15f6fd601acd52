package prom

import (
	"bytes"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// t0 is a start time that is a multiple of every nice step (a Unix day).
var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// fakeProm answers /api/v1/query_range like a Prometheus evaluating one or
// more series whose value at grid time t (ms) is value(labels, t). It counts
// requests and in-flight requests; fault, when set, may answer a request
// itself (it returns true) to inject a failure.
type fakeProm struct {
	sets     []map[string]string
	value    func(set int, tms int64) float64
	warnings []string
	infos    []string
	delay    time.Duration
	fault    func(w http.ResponseWriter, r *http.Request, n int64) bool

	requests    atomic.Int64
	inFlight    atomic.Int64
	maxInFlight atomic.Int64

	mu   sync.Mutex
	seen []*http.Request // clones of the requests received, bodies consumed
}

func (f *fakeProm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.requests.Add(1)
	cur := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxInFlight.Load()
		if cur <= m || f.maxInFlight.CompareAndSwap(m, cur) {
			break
		}
	}
	_ = r.ParseForm()
	f.mu.Lock()
	f.seen = append(f.seen, r.Clone(r.Context()))
	f.mu.Unlock()
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-r.Context().Done():
			return
		}
	}
	if f.fault != nil && f.fault(w, r, n) {
		return
	}
	if !strings.HasSuffix(r.URL.Path, "/api/v1/query_range") {
		http.NotFound(w, r)
		return
	}
	start, err1 := parseSeconds(r.FormValue("start"))
	end, err2 := parseSeconds(r.FormValue("end"))
	step, err3 := parseSeconds(r.FormValue("step"))
	if err1 != nil || err2 != nil || err3 != nil || step <= 0 {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"status":"error","errorType":"bad_data","error":"bad start/end/step %q %q %q"}`, r.FormValue("start"), r.FormValue("end"), r.FormValue("step"))
		return
	}
	if (end-start)/step > 11000 {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"}`)
		return
	}
	sets := f.sets
	if sets == nil {
		sets = []map[string]string{{"__name__": "m", "job": "a"}}
	}
	value := f.value
	if value == nil {
		value = func(_ int, tms int64) float64 { return float64(tms) / 1000 }
	}
	var b bytes.Buffer
	b.WriteString(`{"status":"success","data":{"resultType":"matrix","result":[`)
	first := true
	for i, set := range sets {
		var vals []string
		for t := start; t <= end; t += step {
			v := value(i, t)
			if v == math.MaxFloat64 { // marker: no sample here
				continue
			}
			vals = append(vals, fmt.Sprintf("[%s,%q]", strconv.FormatFloat(float64(t)/1000, 'f', -1, 64), formatValue(v)))
		}
		if len(vals) == 0 {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(`{"metric":{`)
		keys := make([]string, 0, len(set))
		for k := range set {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for j, k := range keys {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%q:%q", k, set[k])
		}
		b.WriteString(`},"values":[`)
		b.WriteString(strings.Join(vals, ","))
		b.WriteString(`]}`)
	}
	b.WriteString(`]}`)
	writeList := func(name string, xs []string) {
		if len(xs) == 0 {
			return
		}
		fmt.Fprintf(&b, `,%q:[`, name)
		for j, x := range xs {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%q", x)
		}
		b.WriteByte(']')
	}
	writeList("warnings", f.warnings)
	writeList("infos", f.infos)
	b.WriteByte('}')
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b.Bytes())
}

// requestsSeen returns the requests received so far.
func (f *fakeProm) requestsSeen() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.seen...)
}

func formatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// parseSeconds parses a Prometheus API time or duration in float seconds
// into milliseconds.
func parseSeconds(s string) (int64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, err
	}
	return int64(math.Round(f * 1000)), nil
}

// startFake starts f on an httptest server.
func startFake(t testing.TB, f *fakeProm) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv
}

// newClient builds a Client for tests with fast retries.
func newClient(t testing.TB, cfg Config) *Client {
	t.Helper()
	if cfg.RetryBackoff == 0 {
		cfg.RetryBackoff = time.Millisecond
	}
	c, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// logBuffer returns a debug-level logger writing into a buffer.
func logBuffer() (*slog.Logger, *syncBuffer) {
	var buf syncBuffer
	return slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// closedPort returns a loopback address nobody listens on.
func closedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}
