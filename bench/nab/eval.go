package nab

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
)

// Evaluator scores per-row anomaly scores against the windows of a corpus.
// It precomputes each row's NAB weight once; it is safe for concurrent use.
type Evaluator struct {
	corpus  *Corpus
	weights []weights
}

// NewEvaluator prepares the row weights of every file of c.
func NewEvaluator(c *Corpus) *Evaluator {
	e := &Evaluator{corpus: c, weights: make([]weights, len(c.Files))}
	for i, f := range c.Files {
		e.weights[i] = fileWeights(f)
	}
	return e
}

// Corpus returns the corpus being scored.
func (e *Evaluator) Corpus() *Corpus { return e.corpus }

func (e *Evaluator) check(scores [][]float64) {
	if len(scores) != len(e.corpus.Files) {
		panic(fmt.Sprintf("nab: scores for %d files, corpus has %d", len(scores), len(e.corpus.Files)))
	}
	for i, f := range e.corpus.Files {
		if len(scores[i]) != f.Len() {
			panic(fmt.Sprintf("nab: %d scores for %d rows of %s", len(scores[i]), f.Len(), f.Name))
		}
	}
}

// Optimize returns, for each profile, the threshold that maximises the raw
// score summed over the corpus, and that raw score. scores is indexed like
// Corpus().Files, one score per row. It panics if the shapes differ.
func (e *Evaluator) Optimize(scores [][]float64, profiles ...Profile) []Optimum {
	e.check(scores)
	sw := newSweep(e.corpus.Files, e.weights, scores)
	out := make([]Optimum, len(profiles))
	for i, p := range profiles {
		t, raw := sw.optimize(p, e.corpus.NumWindows())
		out[i] = Optimum{Profile: p.Name, Threshold: t, Raw: raw}
	}
	return out
}

// Optimum is the best threshold of one profile on one corpus.
type Optimum struct {
	Profile   string  `json:"-"`
	Threshold float64 `json:"threshold"`
	// Raw is the corpus raw score at Threshold (NAB's "score" field).
	Raw float64 `json:"score"`
}

// ProfileResult is the outcome of one profile on a corpus at one threshold.
type ProfileResult struct {
	Profile   Profile
	Threshold float64
	// Raw is the summed raw score; Null and Perfect the raw scores of the
	// detector that never fires and of the one that fires on the first row
	// of every window; Score the normalised NAB score.
	Raw, Null, Perfect, Score float64
	// Windows is the number of labelled windows, Detected how many hold a
	// detection, FP the detected rows outside every window.
	Windows, Detected, FP int
	// Categories breaks the result down by folder, in sorted order.
	Categories []CategoryResult
	// Files lists every file in corpus order.
	Files []FileScore
}

// CategoryResult is a ProfileResult restricted to one folder of the corpus.
// A category without windows has no NAB score (only false positives can
// happen there): Scored is false and Score 0.
type CategoryResult struct {
	Category                     string
	Files, Windows, Detected, FP int
	Raw, Score                   float64
	Scored                       bool
}

// Score scores the corpus for profile p at threshold. scores is indexed
// like Corpus().Files. It panics if the shapes differ.
func (e *Evaluator) Score(scores [][]float64, p Profile, threshold float64) ProfileResult {
	e.check(scores)
	r := ProfileResult{Profile: p, Threshold: threshold, Windows: e.corpus.NumWindows()}
	cats := map[string]*CategoryResult{}
	for i, f := range e.corpus.Files {
		fs := scoreFile(f, e.weights[i], scores[i], p, threshold)
		r.Files = append(r.Files, fs)
		r.Raw += fs.Score
		r.Detected += fs.Detected
		r.FP += fs.FP
		c := cats[f.Category]
		if c == nil {
			c = &CategoryResult{Category: f.Category}
			cats[f.Category] = c
		}
		c.Files++
		c.Windows += len(f.Windows)
		c.Detected += fs.Detected
		c.FP += fs.FP
		c.Raw += fs.Score
	}
	r.Null = -p.FN * float64(r.Windows)
	r.Perfect = p.TP * float64(r.Windows)
	r.Score = Normalize(r.Raw, r.Windows, p)
	for _, c := range cats {
		if c.Windows > 0 {
			c.Score, c.Scored = Normalize(c.Raw, c.Windows, p), true
		}
		r.Categories = append(r.Categories, *c)
	}
	sort.Slice(r.Categories, func(i, j int) bool { return r.Categories[i].Category < r.Categories[j].Category })
	return r
}

// Thresholds maps a profile name to its detection threshold.
type Thresholds map[string]float64

// ReadThresholds reads a thresholds file in the format of NAB's
// config/thresholds.json, {"detector": {"profile": {"threshold": t,
// "score": s}}}, and returns the thresholds of detector.
func ReadThresholds(r io.Reader, name, detector string) (Thresholds, error) {
	var raw map[string]map[string]struct {
		Threshold *float64 `json:"threshold"`
	}
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return nil, fmt.Errorf("%s: %w: want {\"detector\": {\"profile\": {\"threshold\": t}}}: %v", name, ErrFormat, err)
	}
	d, ok := raw[detector]
	if !ok {
		return nil, fmt.Errorf("%s: %w: no thresholds for detector %q", name, ErrFormat, detector)
	}
	out := Thresholds{}
	for p, v := range d {
		if v.Threshold == nil || math.IsNaN(*v.Threshold) {
			return nil, fmt.Errorf("%s: %w: detector %q profile %q has no threshold", name, ErrFormat, detector, p)
		}
		out[p] = *v.Threshold
	}
	return out, nil
}

// WriteThresholds writes optima in the format ReadThresholds reads, under
// the given detector name.
func WriteThresholds(w io.Writer, detector string, optima []Optimum) error {
	m := map[string]Optimum{}
	for _, o := range optima {
		m[o.Profile] = o
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]map[string]Optimum{detector: m}); err != nil {
		return fmt.Errorf("cannot write thresholds: %w", err)
	}
	return nil
}
