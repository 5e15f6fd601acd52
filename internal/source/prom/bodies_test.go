package prom

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/series"
)

var update = flag.Bool("update", false, "capture the bodies under testdata/bodies from the real servers again")

const bodiesDir = "testdata/bodies"

// bodyHistory is what the servers hold for the captured bodies: label
// values that need escaping in JSON, values of every magnitude, 30
// minutes at 15 s from t0.
func bodyHistory() []series.Series {
	labels := []series.Labels{
		series.New("__name__", "m", "job", "node", "instance", "a:9100"),
		series.New("__name__", "m", "job", "node", "instance", `quote"back\slash`, "path", "C:\\dir\nline2"),
		series.New("__name__", "m", "job", "node", "instance", "é😀", "zone", "ünïcode"),
		series.New("__name__", "other", "job", "node", "instance", "b:9100"),
	}
	var ss []series.Series
	for i, ls := range labels {
		s := series.Series{Labels: ls}
		for k := range 121 {
			s.Timestamps = append(s.Timestamps, t0.UnixMilli()+int64(k)*15_000)
			s.Values = append(s.Values, []float64{float64(k), 1e11 - float64(k)*4096.5, float64(k*k) / 8, -42.125}[i])
		}
		ss = append(ss, s)
	}
	return ss
}

// bodyQueries are the queries whose bodies are captured: plain samples,
// +Inf, -Inf and NaN, and a range function.
// VictoriaMetrics drops NaN points from its responses, so the NaN query is
// asked of Prometheus only.
var bodyQueries = []struct {
	name, expr string
	vm         bool // asked of VictoriaMetrics too
}{
	{"plain", `{__name__=~"m|other"}`, true},
	{"inf", `m / 0`, true},
	{"minus-inf", `-m / 0`, true},
	{"nan", `(m - m) / 0`, false},
	{"rate", `rate(m[1m])`, true},
}

// rawQueryRange asks url for a query_range body as the Client does and
// returns the body undecoded.
func rawQueryRange(ctx context.Context, url, expr string, start, end time.Time, step time.Duration) ([]byte, error) {
	form := rangeArgs(expr, start, end, step, 0).Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/api/v1/query_range", strings.NewReader(form))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s: %s", resp.Status, b)
	}
	return b, err
}

// TestRealServerBodiesDecodeLikeClientGolang asks a real Prometheus and a
// real VictoriaMetrics for bodies with escapes, ±Inf and NaN, and checks
// that the decoder gives what client_golang gives, whatever the buffer
// size. With -update the bodies are written under testdata/bodies, where
// TestCapturedBodiesDecodeLikeClientGolang and the fuzz seed corpus read
// them.
func TestRealServerBodiesDecodeLikeClientGolang(t *testing.T) {
	if testing.Short() {
		t.Skip("real server tests are skipped with -short")
	}
	hist := bodyHistory()
	servers := map[string]func(testing.TB, []series.Series) *testrig.Server{
		"prometheus":      testrig.Prometheus,
		"victoriametrics": testrig.VictoriaMetrics,
	}
	for name, start := range servers {
		t.Run(name, func(t *testing.T) {
			srv := start(t, hist)
			for _, q := range bodyQueries {
				if name == "victoriametrics" && !q.vm {
					continue
				}
				body, err := rawQueryRange(context.Background(), srv.URL, q.expr, t0, t0.Add(30*time.Minute), 15*time.Second)
				require.NoError(t, err, q.expr)
				checkBody(t, body, q.name)
				if *update {
					require.NoError(t, os.MkdirAll(bodiesDir, 0o755))
					require.NoError(t, os.WriteFile(filepath.Join(bodiesDir, name+"-"+q.name+".json"), body, 0o644))
				}
			}
		})
	}
}

// TestCapturedBodiesDecodeLikeClientGolang decodes the bodies captured
// from the real servers.
func TestCapturedBodiesDecodeLikeClientGolang(t *testing.T) {
	bodies := capturedBodies(t)
	want := 0
	for _, q := range bodyQueries {
		want++
		if q.vm {
			want++
		}
	}
	require.Equal(t, want, len(bodies), "bodies under %s; run go test -run TestRealServerBodies -update to capture them", bodiesDir)
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			q := strings.TrimSuffix(name[strings.Index(name, "-")+1:], ".json")
			checkBody(t, body, q)
		})
	}
}

// checkBody decodes a body of one of bodyQueries with the decoder, through
// buffers of several sizes, and with client_golang, and requires the same
// series; the values must be those the query asked for.
func checkBody(t *testing.T, body []byte, query string) {
	t.Helper()
	o, err := oracleDecode(body, math.MinInt64, math.MaxInt64)
	require.NoError(t, err)
	require.NotEmpty(t, o.series)
	for _, size := range []int{0, 1, 13, 4096} {
		b, err := decodeWith(body, math.MinInt64, math.MaxInt64, size, nil)
		require.NoError(t, err)
		require.Equal(t, "matrix", b.resultType)
		requireSameSeries(t, o.series, b.series)
	}
	b, _ := decodeQueryRange(strings.NewReader(string(body)), math.MinInt64, math.MaxInt64)
	var finite, posInf, negInf, nan int
	for _, s := range b.series {
		require.NoError(t, s.Validate())
		for _, v := range s.Values {
			switch {
			case math.IsNaN(v):
				nan++
			case math.IsInf(v, 1):
				posInf++
			case math.IsInf(v, -1):
				negInf++
			default:
				finite++
			}
		}
	}
	switch query {
	case "inf":
		require.True(t, posInf > 0 && negInf == 0 && finite == 0, "+Inf %d, -Inf %d, finite %d", posInf, negInf, finite)
	case "minus-inf":
		require.True(t, negInf > 0 && posInf == 0 && finite == 0, "+Inf %d, -Inf %d, finite %d", posInf, negInf, finite)
	case "nan":
		require.True(t, nan > 0 && posInf+negInf+finite == 0, "NaN %d, others %d", nan, posInf+negInf+finite)
	default:
		require.True(t, finite > 0 && nan+posInf+negInf == 0)
	}
	if query == "plain" {
		require.Len(t, b.series, 4)
		want := bodyHistory()
		series.Sort(want)
		requireSameSeries(t, want, b.series)
	}
}

// capturedBodies returns the captured bodies by file name.
func capturedBodies(t testing.TB) map[string][]byte {
	files, err := filepath.Glob(filepath.Join(bodiesDir, "*.json"))
	require.NoError(t, err)
	out := make(map[string][]byte, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		out[filepath.Base(f)] = b
	}
	return out
}
