package smd

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/omenhq/omen/anomaly"
)

// Options configures Run. Only DataDir is required.
type Options struct {
	// DataDir is the dataset folder (see the package doc).
	DataDir string
	// Machines limits the run to these machines; default all of test/.
	Machines []string
	// Workers is the number of metrics scored in parallel; default
	// runtime.GOMAXPROCS(0).
	Workers int
	// Config is omen's machine detector configuration; when its MinScale
	// is 0 it is set to 1e-3, the floor the baseline puts on σ (SMD values
	// are scaled to [0, 1]).
	Config anomaly.MachineConfig
	// MergeGap: flagged rows at most this many rows apart form one
	// predicted event; default 10.
	MergeGap int
	// BaselineQuantile is the quantile of the z-score baseline's train
	// scores used as its a-priori threshold; default 0.999.
	BaselineQuantile float64
	// Logger receives one debug record per machine; nil discards.
	Logger *slog.Logger
}

// Method is the evaluation of one detector at one threshold.
type Method struct {
	// Detector is "omen" (the machine detector), "zscore" (the baseline) or
	// "surprise" (omen's single-series detector on every metric); Rule says how the threshold was
	// chosen ("a priori …" or "oracle best event F1").
	Detector, Rule string
	Threshold      float64
	Event          Counts
	// PointF1 and AdjustedF1 are the row-wise F1 without and with point
	// adjustment.
	PointF1, AdjustedF1 float64
}

// MachineReport is the outcome for one machine.
type MachineReport struct {
	Name                 string
	Metrics, Train, Test int
	Events               int
	// Methods holds omen and the baseline, a priori and oracle.
	Methods []Method
	// Explained is, among the interpreted events (interpretation_label
	// lines) omen flags at its a-priori threshold, how many have omen's
	// top contributing metric among the labelled ones; Interpreted is the
	// number of such events.
	Explained, Interpreted int
	// Detect is the time omen took: learning the train rows and scoring
	// the test rows, then scoring the train rows in-sample (its threshold).
	Detect time.Duration
}

// Report is the outcome of Run.
type Report struct {
	DataDir  string
	Workers  int
	Machines []MachineReport
	Total    time.Duration
}

// Method returns the named method of a machine report, or nil.
func (m *MachineReport) Method(detector, rulePrefix string) *Method {
	for i := range m.Methods {
		if m.Methods[i].Detector == detector && len(m.Methods[i].Rule) >= len(rulePrefix) && m.Methods[i].Rule[:len(rulePrefix)] == rulePrefix {
			return &m.Methods[i]
		}
	}
	return nil
}

// Run evaluates omen and the z-score baseline on every machine.
func Run(ctx context.Context, opts Options) (*Report, error) {
	start := time.Now()
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.MergeGap <= 0 {
		opts.MergeGap = 10
	}
	if opts.Config.MinScale <= 0 {
		opts.Config.MinScale = 1e-3
	}
	if opts.BaselineQuantile <= 0 {
		opts.BaselineQuantile = 0.999
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	names := opts.Machines
	if len(names) == 0 {
		var err error
		if names, err = MachineNames(opts.DataDir); err != nil {
			return nil, err
		}
	}
	rep := &Report{DataDir: opts.DataDir, Workers: opts.Workers}
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("smd: interrupted: %w", err)
		}
		m, err := LoadMachine(opts.DataDir, n)
		if err != nil {
			return nil, err
		}
		mr := evaluate(m, opts)
		log.Debug("smd: scored", "machine", n, "took", mr.Detect)
		rep.Machines = append(rep.Machines, mr)
	}
	rep.Total = time.Since(start)
	return rep, nil
}

func evaluate(m *Machine, opts Options) MachineReport {
	mr := MachineReport{Name: m.Name, Metrics: m.Metrics(), Train: len(m.Train), Test: len(m.Test)}
	events := m.Events()
	mr.Events = len(events)

	// omen: learns the train rows, then scores the test rows causally
	// (learning from them as it goes). Its train scores, for the a-priori
	// threshold, are in-sample like the baseline's: the train rows scored
	// against what was learnt from them, frozen.
	names := make([]string, m.Metrics())
	for j := range names {
		names[j] = "d" + strconv.Itoa(j+1)
	}
	minutes := func(n, from int) []int64 {
		ts := make([]int64, n)
		for i := range ts {
			ts[i] = int64(from+i) * 60_000
		}
		return ts
	}
	t0 := time.Now()
	res := anomaly.DetectMachine(minutes(len(m.Test), len(m.Train)), m.Test, names,
		anomaly.MachineOptions{Config: opts.Config, Workers: opts.Workers, Train: m.Train})
	train := anomaly.DetectMachine(minutes(len(m.Train), 0), m.Train, names,
		anomaly.MachineOptions{Config: opts.Config, Workers: opts.Workers, Train: m.Train, Freeze: true})
	mr.Detect = time.Since(t0)
	// Evaluated on the unsuppressed machine score: the score omen's
	// intervals are built from (suppression only thins repeated reports).
	omen := res.Unsuppressed
	omenThr := quantile(train.Unsuppressed, opts.BaselineQuantile)

	// z-score baseline.
	mu, sd := trainMoments(m.Train)
	zTrain := zscores(m.Train, mu, sd)
	zTest := zscores(m.Test, mu, sd)

	add := func(det, rule string, scores []float64, thr float64) {
		flags := flagsAt(nil, scores, thr)
		mr.Methods = append(mr.Methods, Method{
			Detector: det, Rule: rule, Threshold: thr,
			Event:      EventScores(flags, events, opts.MergeGap),
			PointF1:    PointF1(flags, m.Labels, false),
			AdjustedF1: PointF1(flags, m.Labels, true),
		})
	}
	qRule := fmt.Sprintf("a priori: %g quantile of train scores", opts.BaselineQuantile)
	add("omen", qRule, omen, omenThr)
	add("zscore", qRule, zTest, quantile(zTrain, opts.BaselineQuantile))
	t, _ := bestThreshold(omen, events, opts.MergeGap)
	add("omen", "oracle best event F1", omen, t)
	t, _ = bestThreshold(zTest, events, opts.MergeGap)
	add("zscore", "oracle best event F1", zTest, t)

	// omen's single-series detector on every metric, its default threshold
	// corrected for the number of metrics: a check of its calibration on
	// data it was not tuned on, with no threshold chosen at all.
	uni := univariate(m, opts.Workers)
	add("surprise", fmt.Sprintf("a priori: default threshold, Bonferroni over %d metrics", m.Metrics()), uni, machineThreshold(m.Metrics()))
	t, _ = bestThreshold(uni, events, opts.MergeGap)
	add("surprise", "oracle best event F1", uni, t)

	// explanation: top contributing metric of omen's first flag (a priori
	// threshold) in each interpreted event.
	for _, in := range m.Interpretation {
		for i := in.Start; i < in.End && i < len(omen); i++ {
			if omen[i] < omenThr {
				continue
			}
			mr.Interpreted++
			top, best := -1, -1.0
			for j := range res.MetricScores {
				if s := res.MetricScores[j][i]; s > best {
					top, best = j, s
				}
			}
			for _, d := range in.Metrics {
				if d == top {
					mr.Explained++
					break
				}
			}
			break
		}
	}
	return mr
}

// trainMoments returns each column's mean and standard deviation, the
// latter floored at 1e-3 (SMD values are scaled to [0, 1]).
func trainMoments(x [][]float64) (mu, sd []float64) {
	m := len(x[0])
	mu, sd = make([]float64, m), make([]float64, m)
	for _, row := range x {
		for j, v := range row {
			mu[j] += v
		}
	}
	for j := range mu {
		mu[j] /= float64(len(x))
	}
	for _, row := range x {
		for j, v := range row {
			d := v - mu[j]
			sd[j] += d * d
		}
	}
	for j := range sd {
		sd[j] = math.Max(1e-3, math.Sqrt(sd[j]/float64(len(x))))
	}
	return mu, sd
}

// zscores returns max_j |x_j − μ_j|/σ_j per row.
func zscores(x [][]float64, mu, sd []float64) []float64 {
	out := make([]float64, len(x))
	for i, row := range x {
		m := 0.0
		for j, v := range row {
			m = math.Max(m, math.Abs(v-mu[j])/sd[j])
		}
		out[i] = m
	}
	return out
}

// univariate runs anomaly.Detect (the default single-series detector) on
// every metric over the train and then the test rows, causally, and
// returns for each test row the largest of the metrics' own scores.
func univariate(m *Machine, workers int) []float64 {
	n := len(m.Train) + len(m.Test)
	ts := make([]int64, n)
	for i := range ts {
		ts[i] = int64(i) * 60_000
	}
	cols := make([][]float64, m.Metrics())
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(1, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vs := make([]float64, n)
			for j := range jobs {
				for i, row := range m.Train {
					vs[i] = row[j]
				}
				for i, row := range m.Test {
					vs[len(m.Train)+i] = row[j]
				}
				cols[j] = anomaly.Detect(ts, vs, anomaly.Config{}).Unsuppressed[len(m.Train):]
			}
		}()
	}
	for j := range cols {
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	out := make([]float64, len(m.Test))
	for _, c := range cols {
		for i, v := range c {
			out[i] = math.Max(out[i], v)
		}
	}
	return out
}

// machineThreshold is the score of one metric at which a machine of m
// metrics is anomalous under the default threshold: the tail probability
// behind anomaly.Threshold divided by m (Bonferroni).
func machineThreshold(m int) float64 {
	p := math.Exp(anomaly.Threshold*math.Log(1e-10)) - 1e-10 // LogScore⁻¹(Threshold)
	return anomaly.LogScore(p / float64(m))
}
