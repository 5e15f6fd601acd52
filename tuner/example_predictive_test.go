package tuner_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/tuner"
)

// diskHistory is a Querier over the 5-minute history of one disk that
// understands two expressions: the plain selector, and the rule's
// predict_linear comparison, evaluated with tuner.PredictLinear. omen's
// CLI adapts a Prometheus or VictoriaMetrics client instead.
type diskHistory struct {
	s    series.Series
	rule string
}

func (h diskHistory) QueryRange(_ context.Context, expr string, start, end time.Time, step time.Duration) ([]series.Series, error) {
	out := series.Series{Labels: h.s.Labels}
	for t := start; !t.After(end); t = t.Add(step) {
		v, ok := tuner.InstantValue(h.s.Timestamps, h.s.Values, t.UnixMilli(), 5*time.Minute)
		switch expr {
		case h.s.Labels.Name():
		case h.rule:
			v, ok = tuner.PredictLinear(h.s.Timestamps, h.s.Values, t.UnixMilli(), 6*time.Hour, 4*time.Hour, false)
			ok = ok && v < 0
			out.Labels = h.s.Labels.Without(series.MetricName)
		default:
			return nil, fmt.Errorf("unknown expression %q", expr)
		}
		if ok {
			out.Timestamps, out.Values = append(out.Timestamps, t.UnixMilli()), append(out.Values, v)
		}
	}
	if out.Len() == 0 {
		return nil, nil
	}
	return []series.Series{out}, nil
}

// fillingDiskSeries is a disk filling at a steady 40 GB a day from 960 GB,
// with a daily wobble, every 5 minutes for 26 days from start: full on
// day 24.
func fillingDiskSeries(start time.Time) series.Series {
	s := series.Series{Labels: series.New("__name__", "disk_avail_bytes", "instance", "db-1")}
	for t := start; t.Before(start.Add(26 * 24 * time.Hour)); t = t.Add(5 * time.Minute) {
		days := t.Sub(start).Hours() / 24
		v := math.Max(0, 960e9-40e9*days+5e9*math.Sin(2*math.Pi*days))
		s.Timestamps, s.Values = append(s.Timestamps, t.UnixMilli()), append(s.Values, v)
	}
	return s
}

// exampleDiskRule is the predict_linear rule on it, as a rule file.
const exampleDiskRule = "predict_linear(disk_avail_bytes[6h], 4 * 3600) < 0"

func writeDiskRule(dir string) (string, error) {
	path := filepath.Join(dir, "disk.yml")
	return path, os.WriteFile(path, []byte("groups:\n- name: disk\n  rules:\n  - alert: DiskFillingUp\n    expr: "+exampleDiskRule+"\n    for: 1h\n    labels: {severity: critical}\n"), 0o644)
}

// A disk fills at a steady 40 GB a day and runs out on day 24. The
// predict_linear rule pages hours before; omen's prediction, run hourly,
// a day before.
func ExampleBacktestPredictive() {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path, _ := writeDiskRule(dir)
	rules, err := tuner.Load(path, tuner.LoadOptions{})
	if err != nil {
		panic(err)
	}
	q := diskHistory{s: fillingDiskSeries(start), rule: exampleDiskRule}
	res, err := tuner.BacktestPredictive(context.Background(), q, rules, tuner.PredictiveBacktestConfig{
		Start: start.Add(14 * 24 * time.Hour), End: start.Add(26*24*time.Hour - 5*time.Minute),
	})
	if err != nil {
		panic(err)
	}
	c := res.Comparisons[0]
	fmt.Printf("%s on %s: %d exhaustion, at %s\n", c.Rule.Alert, c.Use.Signal, len(c.Events), c.Events[0].Start.Format(time.DateTime))
	for _, sc := range []tuner.BacktestScore{c.PredictLinear, c.Omen} {
		fmt.Printf("%-22s caught %d, %s ahead, %d pages, %d false\n", sc.Alert, len(sc.Caught), sc.LeadMedian, sc.Pages, sc.FalsePages)
	}
	// Output:
	// DiskFillingUp on disk_avail_bytes: 1 exhaustion, at 2026-03-26 00:00:00
	// DiskFillingUp          caught 1, 8h5m0s ahead, 1 pages, 0 false
	// OmenExhaustionCritical caught 1, 24h0m0s ahead, 1 pages, 0 false
}
