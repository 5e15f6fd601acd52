package nab

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/omenhq/omen/anomaly"
)

// Options configures Run. Only DataDir is required.
type Options struct {
	// DataDir is the corpus in NAB's layout (see the package doc).
	DataDir string
	// Workers is the number of files scored in parallel; default
	// runtime.GOMAXPROCS(0).
	Workers int
	// ThresholdsFrom, when set, is where the thresholds come from instead
	// of being optimised on DataDir: either another corpus folder (the
	// detector is run on it and the thresholds optimised there) or a JSON
	// file in the format of NAB's config/thresholds.json holding an entry
	// for DetectorName.
	ThresholdsFrom string
	// Detector makes a fresh detector for each file; default
	// anomaly.NewDefault with the zero anomaly.Config.
	Detector func() anomaly.Detector
	// DetectorName names the detector in reports, results files and
	// thresholds files; default "omen".
	DetectorName string
	// Profiles are the profiles scored; default Profiles().
	Profiles []Profile
	// ResultsDir, when set, receives the per-row scores in NAB's results
	// layout: ResultsDir/<category>/<detector>_<name>.csv with the columns
	// timestamp,value,anomaly_score,label.
	ResultsDir string
	// Split picks the files scored: SplitAllFiles (or empty: every file),
	// SplitDevFiles (every file but the held-out ones, see Holdout) or
	// SplitHeldOutFiles (the held-out files, at the thresholds optimised on the
	// development files; ThresholdsFrom must then be empty).
	Split string
	// Logger receives one debug record per file; nil discards.
	Logger *slog.Logger
}

// The values of Options.Split.
const (
	SplitAllFiles     = "all"
	SplitDevFiles     = "dev"
	SplitHeldOutFiles = "holdout"
)

// Report is the outcome of Run.
type Report struct {
	Detector string
	DataDir  string
	// ThresholdsFrom is where the thresholds came from: "optimised on
	// DataDir", a corpus folder or a thresholds file.
	ThresholdsFrom string
	Files, Rows    int
	Workers        int
	// Results holds one entry per profile, in the order of Options.Profiles.
	Results []ProfileResult
	// Optima are the thresholds used, as optimised (on DataDir or on the
	// ThresholdsFrom corpus); empty when read from a file.
	Optima []Optimum
	// Detect is the wall time spent running the detector on DataDir, Total
	// the wall time of the whole run (loading, detection, scoring).
	Detect, Total time.Duration
	// Scores are the per-row scores, indexed like Corpus.Files.
	Scores [][]float64 `json:"-"`
	// Corpus is the scored corpus.
	Corpus *Corpus `json:"-"`
}

// Result returns the result of the named profile, or nil.
func (r *Report) Result(profile string) *ProfileResult {
	for i := range r.Results {
		if r.Results[i].Profile.Name == profile {
			return &r.Results[i]
		}
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Detector == nil {
		o.Detector = func() anomaly.Detector { return anomaly.NewDefault(anomaly.Config{}) }
	}
	if o.DetectorName == "" {
		o.DetectorName = "omen"
	}
	if len(o.Profiles) == 0 {
		o.Profiles = Profiles()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Run runs the detector over every file of the corpus in DataDir, chooses
// the thresholds (optimised on DataDir, or taken from ThresholdsFrom) and
// scores every profile.
func Run(ctx context.Context, opts Options) (*Report, error) {
	start := time.Now()
	opts = opts.withDefaults()
	c, err := LoadCorpus(opts.DataDir)
	if err != nil {
		return nil, err
	}
	var dev *Corpus // the development files, for SplitHoldout's thresholds
	switch opts.Split {
	case "", SplitAllFiles:
	case SplitDevFiles:
		c, _ = SplitHoldout(c)
	case SplitHeldOutFiles:
		if opts.ThresholdsFrom != "" {
			return nil, fmt.Errorf("nab: split %q takes its thresholds from the development files, not from %s", opts.Split, opts.ThresholdsFrom)
		}
		dev, c = SplitHoldout(c)
	default:
		return nil, fmt.Errorf("nab: split %q: want %s, %s or %s", opts.Split, SplitAllFiles, SplitDevFiles, SplitHeldOutFiles)
	}
	rep := &Report{Detector: opts.DetectorName, DataDir: opts.DataDir, Files: len(c.Files), Rows: c.Rows(), Workers: opts.Workers, Corpus: c}
	t0 := time.Now()
	scores, err := Detect(ctx, c, opts.Detector, opts.Workers, opts.Logger)
	if err != nil {
		return nil, err
	}
	rep.Detect = time.Since(t0)
	rep.Scores = scores
	e := NewEvaluator(c)

	th := Thresholds{}
	switch {
	case dev != nil:
		rep.ThresholdsFrom = fmt.Sprintf("optimised on the %d development files", len(dev.Files))
		devScores, err := Detect(ctx, dev, opts.Detector, opts.Workers, opts.Logger)
		if err != nil {
			return nil, err
		}
		rep.Optima = NewEvaluator(dev).Optimize(devScores, opts.Profiles...)
	case opts.ThresholdsFrom == "" && opts.Split == SplitDevFiles:
		rep.ThresholdsFrom = fmt.Sprintf("optimised on the %d development files", len(c.Files))
		rep.Optima = e.Optimize(scores, opts.Profiles...)
	case opts.ThresholdsFrom == "":
		rep.ThresholdsFrom = "optimised on " + opts.DataDir
		rep.Optima = e.Optimize(scores, opts.Profiles...)
	default:
		rep.ThresholdsFrom = opts.ThresholdsFrom
		st, err := os.Stat(opts.ThresholdsFrom)
		if err != nil {
			return nil, fmt.Errorf("cannot read thresholds: %w", err)
		}
		if st.IsDir() {
			oc, err := LoadCorpus(opts.ThresholdsFrom)
			if err != nil {
				return nil, fmt.Errorf("cannot load the threshold corpus: %w", err)
			}
			other, err := Detect(ctx, oc, opts.Detector, opts.Workers, opts.Logger)
			if err != nil {
				return nil, err
			}
			rep.Optima = NewEvaluator(oc).Optimize(other, opts.Profiles...)
		} else {
			f, err := os.Open(opts.ThresholdsFrom)
			if err != nil {
				return nil, fmt.Errorf("cannot read thresholds: %w", err)
			}
			th, err = ReadThresholds(f, opts.ThresholdsFrom, opts.DetectorName)
			f.Close()
			if err != nil {
				return nil, err
			}
		}
	}
	for _, o := range rep.Optima {
		th[o.Profile] = o.Threshold
	}
	for _, p := range opts.Profiles {
		t, ok := th[p.Name]
		if !ok {
			return nil, fmt.Errorf("%s: %w: no threshold for profile %q", opts.ThresholdsFrom, ErrFormat, p.Name)
		}
		rep.Results = append(rep.Results, e.Score(scores, p, t))
	}
	if opts.ResultsDir != "" {
		if err := WriteResults(opts.ResultsDir, opts.DetectorName, c, scores); err != nil {
			return nil, err
		}
	}
	rep.Total = time.Since(start)
	return rep, nil
}

// Detect runs a fresh detector from newDetector over every file of c with
// the given number of workers and returns the per-row scores, indexed like
// c.Files. It stops early when ctx is cancelled.
func Detect(ctx context.Context, c *Corpus, newDetector func() anomaly.Detector, workers int, log *slog.Logger) ([][]float64, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	out := make([][]float64, len(c.Files))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				f := c.Files[i]
				t0 := time.Now()
				out[i] = anomaly.Score(nil, newDetector(), f.Timestamps, f.Values)
				log.Debug("nab: scored", "file", f.Name, "rows", f.Len(), "took", time.Since(t0))
			}
		}()
	}
	var err error
loop:
	for i := range c.Files {
		select {
		case jobs <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break loop
		}
	}
	close(jobs)
	wg.Wait()
	if err != nil {
		return nil, fmt.Errorf("nab: detection interrupted: %w", err)
	}
	return out, nil
}

// WriteResults writes per-row scores in NAB's results layout under dir:
// <category>/<detector>_<name>.csv with timestamp,value,anomaly_score,label
// where label is 1 inside a window, as NAB's detectors write them.
func WriteResults(dir, detector string, c *Corpus, scores [][]float64) error {
	for i, f := range c.Files {
		d, base := path.Split(f.Name)
		p := filepath.Join(dir, filepath.FromSlash(d), detector+"_"+base)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("cannot write results: %w", err)
		}
		buf := make([]byte, 0, 48*f.Len())
		buf = append(buf, "timestamp,value,anomaly_score,label\n"...)
		w := 0
		for r := range f.Timestamps {
			for w < len(f.Windows) && f.Windows[w].End < r {
				w++
			}
			lab := byte('0')
			if w < len(f.Windows) && f.Windows[w].Start <= r {
				lab = '1'
			}
			buf = time.UnixMilli(f.Timestamps[r]).UTC().AppendFormat(buf, time.DateTime)
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, f.Values[r], 'g', -1, 64)
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, scores[i][r], 'g', -1, 64)
			buf = append(buf, ',', lab, '\n')
		}
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			return fmt.Errorf("cannot write results: %w", err)
		}
	}
	return nil
}
