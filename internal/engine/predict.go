package engine

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
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
	// History is the usage series in the window, for charts.
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
}

// Predict reads the series of every spec from src over the window ending at
// opts.AsOf and predicts when each target is exhausted.
func Predict(ctx context.Context, src source.Source, opts PredictOptions) (*Report, error) {
	if len(opts.Specs) == 0 {
		return nil, fmt.Errorf("nothing to predict: give a preset or a target")
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
	rep := &Report{AsOf: opts.AsOf, Window: window}
	progress := opts.Progress
	if progress == nil {
		progress = func(int, int) {}
	}
	done, found := 0, 0
	// Targets are predicted a chunk at a time so that progress moves
	// during a large batch; a chunk keeps every worker busy.
	chunk := max(16, 4*opts.Workers)
	size := opts.BatchSize
	if size == 0 {
		size = DefaultBatchSize
	}
	for _, spec := range opts.Specs {
		began := time.Now()
		batches, err := split(ctx, src, spec, start, opts.AsOf, size)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, b := range batches {
			targets, skipped, warnings, err := Collect(ctx, src, b, start, opts.AsOf, opts.Step)
			if err != nil {
				return nil, err
			}
			rep.Skipped = append(rep.Skipped, skipped...)
			rep.Warnings = append(rep.Warnings, warnings...)
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
			preds := make([]capacity.Prediction, 0, len(targets))
			for i := 0; i < len(targets); i += chunk {
				j := min(i+chunk, len(targets))
				ps, err := capacity.PredictAll(ctx, targets[i:j], opts.AsOf, opts.Capacity, opts.Workers)
				if err != nil {
					return nil, err
				}
				preds = append(preds, ps...)
				done += j - i
				progress(done, found)
			}
			for i, p := range preds {
				r := Result{Prediction: p, Spec: spec.Name}
				// Only charts of targets at risk need the history and the
				// forecast path; the rest is let go, so memory stays
				// bounded by a batch.
				if p.Risk >= capacity.RiskInfo {
					r.History = targets[i].Usage
				} else {
					r.Forecast = capacity.ForecastPoints{}
				}
				rep.Results = append(rep.Results, r)
			}
			n += len(targets)
		}
		logger.Debug("predicted", "spec", spec.Name, "targets", n, "batches", len(batches), "took", time.Since(began))
	}
	SortResults(rep.Results)
	return rep, nil
}

// SortResults orders results by risk (critical first), then by P50 time to
// exhaustion (soonest first, none last), then by labels.
func SortResults(rs []Result) {
	slices.SortStableFunc(rs, func(a, b Result) int {
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
		return a.Labels.Compare(b.Labels)
	})
}

func p50(p capacity.Prediction) *time.Duration {
	if p.ETA == nil {
		return nil
	}
	return p.ETA.P50
}
