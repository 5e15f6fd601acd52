package anomaly_test

import (
	"fmt"
	"math"
	"time"

	"github.com/omenhq/omen/anomaly"
)

// fiveMinuteSeries is a week of a daily cycle sampled every 5 minutes.
func fiveMinuteSeries() ([]int64, []float64) {
	start := time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)
	var ts []int64
	var vs []float64
	for i := 0; i < 7*288; i++ {
		ts = append(ts, start.Add(time.Duration(i)*5*time.Minute).UnixMilli())
		vs = append(vs, 100+40*math.Sin(2*math.Pi*float64(i)/288)+3*math.Sin(float64(i)*1.7))
	}
	return ts, vs
}

// Score a series in one call; the detector only ever looks backwards, so
// the same code scores a live stream sample by sample.
func ExampleScore() {
	ts, vs := fiveMinuteSeries()
	vs[6*288+100] += 150 // an outage-sized spike on the last day
	scores := anomaly.Score(nil, anomaly.NewDefault(anomaly.Config{}), ts, vs)
	for i, s := range scores {
		if s >= anomaly.Threshold {
			fmt.Println(time.UnixMilli(ts[i]).UTC().Format(time.DateTime), s)
		}
	}
	// Output:
	// 2024-03-10 08:20:00 1
}

// Explain says which evidence made a score and what the baseline expected.
func ExampleSurprise_Explain() {
	ts, vs := fiveMinuteSeries()
	d := anomaly.NewSurprise(anomaly.Config{})
	for i := range vs {
		v := vs[i]
		if i == len(vs)-1 {
			v = 400
		}
		d.Update(ts[i], v)
	}
	x := d.Explain()
	fmt.Printf("score %.0f, evidence %s, expected about %.0f\n", x.Score, x.Evidence, x.Expected)
	// Output:
	// score 1, evidence shape, expected about 99
}

// Detect scores a series and derives its anomalous intervals from the same
// per-sample scores and flags.
func ExampleDetect() {
	ts, vs := fiveMinuteSeries()
	for i := 6*288 + 100; i < 6*288+110; i++ {
		vs[i] += 150
	}
	r := anomaly.Detect(ts, vs, anomaly.Config{})
	for _, iv := range r.Intervals {
		fmt.Println(time.UnixMilli(iv.Start).UTC().Format(time.DateTime), "to",
			time.UnixMilli(iv.End).UTC().Format(time.DateTime), "peak", iv.Peak,
			"at", time.UnixMilli(iv.PeakAt).UTC().Format(time.TimeOnly))
	}
	// Output:
	// 2024-03-10 08:20:00 to 2024-03-10 11:05:00 peak 1 at 08:20:00
}

// DetectMachine scores the metrics of one machine together and names the
// metrics behind each interval.
func ExampleDetectMachine() {
	metrics := []string{"cpu", "memory", "disk_io", "net_in"}
	var ts []int64
	var rows [][]float64
	for i := 0; i < 4000; i++ {
		row := []float64{
			50 + 5*math.Sin(float64(i)/7),
			60 + 3*math.Cos(float64(i)/11),
			20 + 4*math.Sin(float64(i)/5),
			30 + 6*math.Cos(float64(i)/3),
		}
		if i >= 3500 && i < 3520 { // a runaway process
			row[0] += 300
			row[2] += 200
		}
		ts = append(ts, int64(i)*60_000)
		rows = append(rows, row)
	}
	r := anomaly.DetectMachine(ts, rows, metrics, anomaly.MachineOptions{})
	for _, iv := range r.Intervals {
		fmt.Println(iv.StartIndex, iv.EndIndex, iv.Metrics[0].Metric, iv.Metrics[1].Metric)
	}
	// Output:
	// 3500 3530 cpu disk_io
}

// DetectMachine can learn a training period first (here the day before),
// the way a z-score is fitted on training data, and then score new rows
// causally; Freeze would keep the training statistics fixed.
func ExampleDetectMachine_training() {
	metrics := []string{"cpu", "memory", "disk_io", "net_in"}
	row := func(i int) []float64 {
		return []float64{
			50 + 5*math.Sin(float64(i)/7),
			60 + 3*math.Cos(float64(i)/11),
			20 + 4*math.Sin(float64(i)/5),
			30 + 6*math.Cos(float64(i)/3),
		}
	}
	var train, rows [][]float64
	var ts []int64
	for i := 0; i < 1440; i++ {
		train = append(train, row(i))
	}
	for i := 1440; i < 1800; i++ {
		r := row(i)
		if i >= 1700 && i < 1710 { // memory leak, then a restart
			r[1] += 60
		}
		ts = append(ts, int64(i)*60_000)
		rows = append(rows, r)
	}
	r := anomaly.DetectMachine(ts, rows, metrics, anomaly.MachineOptions{Train: train})
	for _, iv := range r.Intervals {
		fmt.Println(iv.StartIndex+1440, iv.EndIndex+1440, iv.Metrics[0].Metric)
	}
	// Output:
	// 1700 1720 memory
}
