package nab

import (
	"context"
	"fmt"
	"runtime"
	"slices"

	"github.com/omenhq/omen/anomaly"
)

// TransferReport is the outcome of Transfer: a corpus scored at thresholds
// chosen on another one, as for data the thresholds were not chosen on.
type TransferReport struct {
	// Files and Rows count the corpus scored.
	Files, Rows int
	// Results holds one entry per profile, scored at the given thresholds;
	// Own the same profile at the corpus's own optimum (its best case).
	Results []ProfileResult
	Own     []ProfileResult
	// Events counts, per category, the labelled windows holding the start
	// of an interval omen reports at the default threshold
	// (anomaly.Threshold) and the intervals outside every window: the
	// event-level view of `omen detect`.
	Events []EventCounts
}

// Transfer runs a fresh detector from newDetector (nil: anomaly.NewDefault
// with the zero Config) over every file of c, scores each profile named in
// optima (one of Profiles) at its threshold and at c's own optimum, and counts the intervals
// anomaly.Detect reports at the default threshold against c's windows. With
// workers ≤ 0 it uses runtime.GOMAXPROCS(0). It stops early when ctx is
// cancelled.
func Transfer(ctx context.Context, c *Corpus, optima []Optimum, newDetector func() anomaly.Detector, workers int) (*TransferReport, error) {
	if newDetector == nil {
		newDetector = func() anomaly.Detector { return anomaly.NewDefault(anomaly.Config{}) }
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	scores, err := Detect(ctx, c, newDetector, workers, nil)
	if err != nil {
		return nil, err
	}
	rep := &TransferReport{Files: len(c.Files), Rows: c.Rows()}
	e := NewEvaluator(c)
	for _, o := range optima {
		i := slices.IndexFunc(Profiles(), func(p Profile) bool { return p.Name == o.Profile })
		if i < 0 {
			return nil, fmt.Errorf("nab: %w: no profile %q", ErrFormat, o.Profile)
		}
		p := Profiles()[i]
		rep.Results = append(rep.Results, e.Score(scores, p, o.Threshold))
		own := e.Optimize(scores, p)[0]
		rep.Own = append(rep.Own, e.Score(scores, p, own.Threshold))
	}
	ivs := make([][]anomaly.Interval, len(c.Files))
	for i, f := range c.Files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ivs[i] = anomaly.Detect(f.Timestamps, f.Values, anomaly.Config{}).Intervals
	}
	rep.Events = Events(c, ivs)
	return rep, nil
}
