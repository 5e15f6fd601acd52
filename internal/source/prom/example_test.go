package prom_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/internal/source/prom"
)

// A Client reads a range from any server with the Prometheus query API. Here
// the server is a stand-in returning a fixed matrix.
func ExampleClient_QueryRange() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"matrix","result":[`+
			`{"metric":{"__name__":"node_filesystem_avail_bytes","mountpoint":"/"},`+
			`"values":[[1704067200,"5e9"],[1704067260,"4.9e9"],[1704067320,"NaN"]]}]},`+
			`"warnings":["this is only a test"]}`)
	}))
	defer srv.Close()

	c, err := prom.New(prom.Config{
		URL:     srv.URL,
		Timeout: 30 * time.Second,
		Headers: map[string]string{"X-Scope-OrgID": "team-a"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	res, err := c.QueryRange(context.Background(), source.Query{
		Expr:  "node_filesystem_avail_bytes",
		Start: start,
		End:   start.Add(2 * time.Minute),
		Step:  time.Minute,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range res.Series {
		fmt.Println(s.Labels, s.Timestamps, s.Values)
	}
	fmt.Println("step:", res.Step, "warnings:", res.Warnings)
	// Output:
	// node_filesystem_avail_bytes{mountpoint="/"} [1704067200000 1704067260000 1704067320000] [5e+09 4.9e+09 NaN]
	// step: 1m0s warnings: [this is only a test]
}

// ChooseStep picks the step of a query that does not set one.
func ExampleChooseStep() {
	end := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	for _, d := range []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour} {
		fmt.Println(d, "→", prom.ChooseStep(end.Add(-d), end))
	}
	// Output:
	// 1h0m0s → 15s
	// 24h0m0s → 30s
	// 168h0m0s → 5m0s
	// 720h0m0s → 10m0s
}

// Windows splits 30 days at 1m, 43,201 points, into requests Prometheus
// accepts.
func ExampleWindows() {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, w := range prom.Windows(start, start.Add(30*24*time.Hour), time.Minute, prom.DefaultMaxPointsPerQuery) {
		fmt.Println(w)
	}
	// Output:
	// 2024-01-01T00:00:00Z..2024-01-08T15:19:00Z (11000 points)
	// 2024-01-08T15:20:00Z..2024-01-16T06:39:00Z (11000 points)
	// 2024-01-16T06:40:00Z..2024-01-23T21:59:00Z (11000 points)
	// 2024-01-23T22:00:00Z..2024-01-31T00:00:00Z (10201 points)
}
