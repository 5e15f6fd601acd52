package engine

import (
	"container/heap"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/omenhq/omen/capacity"
	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/series"
)

// PredictOptions configure Predict. The zero value of every field but
// Specs is a documented default.
type PredictOptions struct {
	// Specs are the targets to predict (presets or custom).
	Specs []TargetSpec
	// AsOf is the instant predicted for: only samples at or before it are
	// read. Zero means now.
	AsOf time.Time
	// Step is the resolution fetched; 0 lets the source choose (servers
	// pick one from the window; files return their raw samples).
	Step time.Duration
	// Capacity holds the model settings: horizon, risk thresholds and the
	// history window (default 14d), which is also the range fetched.
	Capacity capacity.Config
	// Workers is the number of targets predicted in parallel; 0 means 1.
	Workers int
	// BatchSize bounds how many usage series are fetched and predicted at
	// a time (see DefaultBatchSize, the default); negative fetches each
	// spec whole.
	BatchSize int
	// Exclude are windows (incidents, maintenance) treated as missing data
	// in the usage series before fitting, each where its labels agree with
	// the series' (see pir.Exclude): an incident's spike does not poison
	// the model.
	Exclude []pir.Incident
	// Logger receives progress records; nil discards them.
	Logger *slog.Logger
	// Shard, when active, predicts only the targets of one shard of a
	// stable hash partition (see Shard): N shards together predict what
	// one run does, each target once.
	Shard Shard
	// Charts is the number of results at risk (info and above), the
	// riskiest in the order of the report, that keep their usage history
	// and forecast path for charts; 0 means DefaultCharts, negative none.
	// The others are kept without them, so that a report over a large
	// fleet stays small.
	Charts int
	// OnBatch, when set, is called with the results of each batch as it
	// is predicted, with their history and forecast path (the slice and
	// the series are only valid during the call): e.g. to write them back
	// without holding all of them. An error stops Predict.
	OnBatch func([]Result) error
	// Progress, when set, is called as targets are predicted with the
	// number predicted and the number found so far: the total grows as
	// each spec's (or batch's) series are read. It is called from the
	// goroutine of Predict.
	Progress func(done, total int)
}

// Result is one prediction with the history it was made from.
type Result struct {
	capacity.Prediction
	// Spec names the target spec (preset or custom target).
	Spec string
	// History is the usage series in the window, for charts; empty but
	// for the PredictOptions.Charts riskiest results at risk.
	History series.Series
}

// Report is the outcome of Predict.
type Report struct {
	AsOf time.Time
	// Window is the history read, ending at AsOf.
	Window time.Duration
	// Results are ordered by risk (critical first), then by P50 time to
	// exhaustion (soonest first, none last), then by labels.
	Results []Result
	// Skipped are usage series left out, with the reason.
	Skipped []Skipped
	// Warnings are the sources' warnings.
	Warnings []string
	// Shard is the part of the fleet predicted (the whole when inactive).
	Shard Shard
	// Batches is the number of batches fetched.
	Batches int
}

// Predict reads the series of every spec from src over the window ending at
// opts.AsOf and predicts when each target is exhausted.
//
// It works a batch at a time (see PredictOptions.BatchSize): a batch's
// series are fetched while the previous batch is predicted, its results
// are handed to opts.OnBatch and kept compactly (without history and
// forecast path, but for the opts.Charts riskiest), and its series are let
// go. Memory is therefore bounded by about three batches and the compact
// results, whatever the fleet's size.
func Predict(ctx context.Context, src source.Source, opts PredictOptions) (*Report, error) {
	if len(opts.Specs) == 0 {
		return nil, fmt.Errorf("nothing to predict: give a preset or a target")
	}
	if err := opts.Shard.Validate(); err != nil {
		return nil, err
	}
	if opts.AsOf.IsZero() {
		opts.AsOf = time.Now()
	}
	window := opts.Capacity.Window
	if window <= 0 {
		window = 14 * 24 * time.Hour
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	src = source.AsOf(src, opts.AsOf)
	start := opts.AsOf.Add(-window)
	rep := &Report{AsOf: opts.AsOf, Window: window, Shard: opts.Shard}
	progress := opts.Progress
	if progress == nil {
		progress = func(int, int) {}
	}
	charts := newChartKeeper(opts.Charts)
	done, found := 0, 0
	// Targets are predicted a chunk at a time so that progress moves
	// during a large batch; a chunk keeps every worker busy.
	chunk := max(16, 4*opts.Workers)
	size := opts.BatchSize
	if size == 0 {
		size = DefaultBatchSize
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, spec := range opts.Specs {
		began := time.Now()
		batches, err := split(ctx, src, spec, start, opts.AsOf, size, opts.Shard)
		if err != nil {
			return nil, err
		}
		n := 0
		for cb := range collectAhead(ctx, src, spec, batches, start, opts.AsOf, opts.Step, opts.Shard) {
			if cb.err != nil {
				return nil, cb.err
			}
			targets := cb.targets
			rep.Skipped = append(rep.Skipped, cb.skipped...)
			rep.Warnings = append(rep.Warnings, cb.warnings...)
			rep.Batches++
			if len(opts.Exclude) > 0 {
				for i := range targets {
					var n int
					if targets[i].Usage, n = pir.Exclude(targets[i].Usage, opts.Exclude); n > 0 {
						logger.Debug("excluded", "series", targets[i].Labels.String(), "samples", n)
					}
				}
			}
			found += len(targets)
			progress(done, found)
			first := len(rep.Results)
			for i := 0; i < len(targets); i += chunk {
				j := min(i+chunk, len(targets))
				ps, err := capacity.PredictAll(ctx, targets[i:j], opts.AsOf, opts.Capacity, opts.Workers)
				if err != nil {
					return nil, err
				}
				for k, p := range ps {
					rep.Results = append(rep.Results, Result{Prediction: p, Spec: spec.Name, History: targets[i+k].Usage})
				}
				done += j - i
				progress(done, found)
			}
			if opts.OnBatch != nil {
				if err := opts.OnBatch(rep.Results[first:]); err != nil {
					return nil, err
				}
			}
			// Only charts of the riskiest targets need the history and
			// the forecast path; the rest is let go, so memory stays
			// bounded by a batch.
			for i := first; i < len(rep.Results); i++ {
				charts.offer(rep.Results, i)
			}
			n += len(targets)
		}
		if ctx.Err() != nil {
			// collectAhead stops without a word when ctx is done.
			return nil, fmt.Errorf("prediction stopped after %d of %d targets: %w", done, found, context.Cause(ctx))
		}
		logger.Debug("predicted", "spec", spec.Name, "targets", n, "batches", len(batches), "shard", opts.Shard.String(), "took", time.Since(began))
	}
	SortResults(rep.Results)
	return rep, nil
}

// collected is one batch read by collectAhead.
type collected struct {
	targets  []capacity.Target
	skipped  []Skipped
	warnings []string
	err      error
}

// collectAhead collects the batches of spec one after the other in a
// goroutine, one batch ahead of the caller: batch k+1 is fetched (the
// server and the decoder at work) while batch k is predicted. Targets and
// skipped series outside shard are dropped. The channel is closed after
// the last batch or the first error; the caller cancels ctx to stop it
// early.
func collectAhead(ctx context.Context, src source.Source, spec TargetSpec, batches []TargetSpec, start, end time.Time, step time.Duration, shard Shard) <-chan collected {
	ch := make(chan collected) // unbuffered: at most one batch waits, fetched
	go func() {
		defer close(ch)
		for _, b := range batches {
			targets, skipped, warnings, err := Collect(ctx, src, b, start, end, step)
			if shard.Active() && err == nil {
				targets = slices.DeleteFunc(targets, func(t capacity.Target) bool { return !shard.Owns(spec, t.Labels) })
				skipped = slices.DeleteFunc(skipped, func(s Skipped) bool { return !shard.Owns(spec, s.Labels) })
			}
			select {
			case ch <- collected{targets: targets, skipped: skipped, warnings: warnings, err: err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

// DefaultCharts is the number of results at risk that keep their history
// and forecast path for charts when PredictOptions.Charts is 0.
const DefaultCharts = 100

// chartKeeper keeps the history and forecast path of the n riskiest
// results at risk (info and above), in the order of SortResults, and
// clears those of the others as they are offered.
type chartKeeper struct {
	n    int
	kept []int // indexes of results with history: a heap, least risky first
	rs   []Result
}

func newChartKeeper(n int) *chartKeeper {
	if n == 0 {
		n = DefaultCharts
	}
	return &chartKeeper{n: n}
}

// offer considers rs[i], just appended, for a chart.
func (c *chartKeeper) offer(rs []Result, i int) {
	c.rs = rs
	if rs[i].Risk < capacity.RiskInfo || c.n <= 0 {
		drop(&rs[i])
		return
	}
	if len(c.kept) < c.n {
		heap.Push(c, i)
		return
	}
	// The least risky kept is at the top: replace it if rs[i] is riskier.
	if cmpResults(rs[i], rs[c.kept[0]]) < 0 {
		drop(&rs[c.kept[0]])
		c.kept[0] = i
		heap.Fix(c, 0)
		return
	}
	drop(&rs[i])
}

func drop(r *Result) {
	r.History = series.Series{}
	r.Forecast = capacity.ForecastPoints{}
}

func (c *chartKeeper) Len() int           { return len(c.kept) }
func (c *chartKeeper) Less(a, b int) bool { return cmpResults(c.rs[c.kept[a]], c.rs[c.kept[b]]) > 0 }
func (c *chartKeeper) Swap(a, b int)      { c.kept[a], c.kept[b] = c.kept[b], c.kept[a] }
func (c *chartKeeper) Push(x any)         { c.kept = append(c.kept, x.(int)) }
func (c *chartKeeper) Pop() any {
	x := c.kept[len(c.kept)-1]
	c.kept = c.kept[:len(c.kept)-1]
	return x
}

// SortResults orders results by risk (critical first), then by P50 time to
// exhaustion (soonest first, none last), then by labels.
func SortResults(rs []Result) { slices.SortStableFunc(rs, cmpResults) }

// cmpResults is the order of SortResults: negative when a comes first.
func cmpResults(a, b Result) int {
	{
		if a.Risk != b.Risk {
			return int(b.Risk) - int(a.Risk)
		}
		pa, pb := p50(a.Prediction), p50(b.Prediction)
		switch {
		case pa != nil && pb == nil:
			return -1
		case pa == nil && pb != nil:
			return 1
		case pa != nil && pb != nil && *pa != *pb:
			if *pa < *pb {
				return -1
			}
			return 1
		}
		if c := a.Labels.Compare(b.Labels); c != 0 {
			return c
		}
		return strings.Compare(a.Spec, b.Spec)
	}
}

func p50(p capacity.Prediction) *time.Duration {
	if p.ETA == nil {
		return nil
	}
	return p.ETA.P50
}
