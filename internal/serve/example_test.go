package serve_test

import (
	"fmt"
	"time"

	"github.com/omenhq/omen/internal/serve"
	"github.com/omenhq/omen/series"
)

// A schedule is an interval from the start or a cron expression in UTC.
func ExampleParseSchedule() {
	start := time.Date(2026, 12, 2, 4, 10, 0, 0, time.UTC)
	for _, s := range []string{"1h", "0 */6 * * *", "30 9 * * mon-fri"} {
		sched, err := serve.ParseSchedule(s, start)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-16s next %s\n", sched, sched.Next(start).Format(time.RFC3339))
	}
	// Output:
	// 1h               next 2026-12-02T05:10:00Z
	// 0 */6 * * *      next 2026-12-02T06:00:00Z
	// 30 9 * * mon-fri next 2026-12-02T09:30:00Z
}

// A prediction is checked against the usage history once its horizon has
// passed: did the P10–P90 interval hold the time the limit was reached?
func ExampleCheckPrediction() {
	asOf := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	h := series.Series{}
	for i := 0; i <= 56; i++ { // 2 GB a day for 7 days towards a 10 GB limit
		h.Timestamps = append(h.Timestamps, asOf.Add(time.Duration(i)*3*time.Hour).UnixMilli())
		h.Values = append(h.Values, float64(i)*0.25e9)
	}
	sec := func(d time.Duration) *serve.Seconds { s := serve.Seconds(d.Seconds()); return &s }
	p := serve.StoredPrediction{AsOf: asOf, Horizon: serve.Seconds((7 * 24 * time.Hour).Seconds()), Limit: 10e9, Direction: "up",
		P10: sec(4 * 24 * time.Hour), P50: sec(4*24*time.Hour + 12*time.Hour), P90: sec(6 * 24 * time.Hour)}
	c, ok := serve.CheckPrediction(p, h)
	fmt.Println(ok, c.Exhausted, time.Duration(float64(*c.Actual)*1e9), c.Covered, time.Duration(float64(*c.AbsError)*1e9))
	// Output:
	// true true 120h0m0s true 12h0m0s
}
