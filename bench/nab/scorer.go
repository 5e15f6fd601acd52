package nab

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
)

// Profile is a NAB application profile: the weights of its cost matrix.
type Profile struct {
	// Name is NAB's name: "standard", "reward_low_FP_rate", "reward_low_FN_rate".
	Name string
	// TP, FP and FN are tpWeight, fpWeight and fnWeight.
	TP, FP, FN float64
}

// The three profiles of NAB's config/profiles.json.
var (
	Standard    = Profile{Name: "standard", TP: 1, FP: 0.11, FN: 1}
	RewardLowFP = Profile{Name: "reward_low_FP_rate", TP: 1, FP: 0.22, FN: 1}
	RewardLowFN = Profile{Name: "reward_low_FN_rate", TP: 1, FP: 0.11, FN: 2}
)

// Profiles returns NAB's three profiles in the order standard,
// reward_low_FP_rate, reward_low_FN_rate.
func Profiles() []Profile { return []Profile{Standard, RewardLowFP, RewardLowFN} }

// ReadProfiles reads NAB's config/profiles.json. The profiles are returned
// sorted by name.
func ReadProfiles(r io.Reader, name string) ([]Profile, error) {
	var raw map[string]struct {
		CostMatrix map[string]float64 `json:"CostMatrix"`
	}
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return nil, fmt.Errorf("%s: %w: want {\"profile\": {\"CostMatrix\": {...}}}: %v", name, ErrFormat, err)
	}
	var out []Profile
	for n, p := range raw {
		tp, ok1 := p.CostMatrix["tpWeight"]
		fp, ok2 := p.CostMatrix["fpWeight"]
		fn, ok3 := p.CostMatrix["fnWeight"]
		if !ok1 || !ok2 || !ok3 {
			return nil, fmt.Errorf("%s: %w: profile %q lacks tpWeight, fpWeight or fnWeight", name, ErrFormat, n)
		}
		out = append(out, Profile{Name: n, TP: tp, FP: fp, FN: fn})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Probation returns the number of leading rows NAB does not score in a file
// of n rows: min(⌊0.15·n⌋, 750).
func Probation(n int) int {
	p := int(math.Floor(0.15 * float64(n)))
	return min(p, 750)
}

// ScaledSigmoid is NAB's weighting function S(y) = 2/(1+e^{5y}) − 1 for
// y < 3 and −1 for y ≥ 3 (nab/sweeper.py scaledSigmoid).
func ScaledSigmoid(y float64) float64 {
	if y >= 3 {
		return -1
	}
	return 2/(1+math.Exp(5*y)) - 1
}

// Row kinds in a weights table.
const (
	kindProbation = -2
	kindOutside   = -1
)

// weights holds the unweighted value of each row of one file: S(position)
// for rows inside a window, already divided by S(−1), and S(position past
// the previous window) (or −1) outside. kind is the window index, or
// kindOutside / kindProbation.
type weights struct {
	s    []float64
	kind []int32
}

// fileWeights computes the rows' unweighted values exactly as
// nab/sweeper.py calcSweepScore does.
func fileWeights(f *File) weights {
	n := f.Len()
	w := weights{s: make([]float64, n), kind: make([]int32, n)}
	prob := Probation(n)
	maxTP := ScaledSigmoid(-1)
	next := 0
	cur := -1
	prevEnd, prevWidth := -1, 0.0
	for i := 0; i < n; i++ {
		if next < len(f.Windows) && i == f.Windows[next].Start {
			cur = next
			next++
		}
		if cur >= 0 {
			win := f.Windows[cur]
			w.s[i] = ScaledSigmoid(-float64(win.Right-i+1)/float64(win.Width)) / maxTP
			w.kind[i] = int32(cur)
		} else {
			pos := 3.0
			if prevEnd >= 0 {
				pos = math.Abs(float64(prevEnd-i)) / (prevWidth - 1)
			}
			w.s[i] = ScaledSigmoid(pos)
			w.kind[i] = kindOutside
		}
		if i < prob {
			w.kind[i] = kindProbation
		}
		if cur >= 0 && i == f.Windows[cur].End {
			if f.Windows[cur].Exited {
				prevEnd = i
				prevWidth = float64(f.Windows[cur].Width)
			}
			cur = -1
		}
	}
	return w
}

// FileScore is the outcome of one file for one profile at one threshold,
// with NAB's row counts (rows in the probation period are not counted).
type FileScore struct {
	Name, Category string
	Threshold      float64
	// Score is the raw (unnormalised) NAB score of the file.
	Score float64
	// TP, TN, FP and FN count rows after the probation period: detected
	// rows inside and outside windows, undetected rows outside and inside.
	TP, TN, FP, FN int
	// Total is the number of rows of the file, probation included.
	Total int
	// Windows is the number of scored windows and Detected how many of
	// them hold at least one detection.
	Windows, Detected int
}

// ScoreFile scores one file's anomaly scores at threshold: a row is a
// detection when its score ≥ threshold (NaN never is).
func ScoreFile(f *File, scores []float64, p Profile, threshold float64) FileScore {
	return scoreFile(f, fileWeights(f), scores, p, threshold)
}

func scoreFile(f *File, w weights, scores []float64, p Profile, threshold float64) FileScore {
	if len(scores) != f.Len() {
		panic(fmt.Sprintf("nab: %d scores for %d rows of %s", len(scores), f.Len(), f.Name))
	}
	fs := FileScore{Name: f.Name, Category: f.Category, Threshold: threshold, Total: f.Len()}
	best := make([]float64, len(f.Windows))
	seen := make([]bool, len(f.Windows))
	detected := make([]bool, len(f.Windows))
	fp := 0.0
	for i, k := range w.kind {
		if k == kindProbation {
			continue
		}
		hit := scores[i] >= threshold
		if k == kindOutside {
			if hit {
				fs.FP++
				fp += w.s[i] * p.FP
			} else {
				fs.TN++
			}
			continue
		}
		if !seen[k] {
			seen[k] = true
			best[k] = -p.FN
		}
		if hit {
			fs.TP++
			detected[k] = true
			best[k] = math.Max(best[k], w.s[i]*p.TP)
		} else {
			fs.FN++
		}
	}
	total := fp
	for k := range best {
		if seen[k] {
			fs.Windows++
			total += best[k]
		}
		if detected[k] {
			fs.Detected++
		}
	}
	fs.Score = total
	return fs
}

// point is one scorable row of the corpus for the threshold sweep.
type point struct {
	score float64
	s     float64 // unweighted value
	win   int32   // corpus-wide window id or kindOutside
}

// sweep holds the corpus rows sorted by decreasing score, ready for
// threshold optimisation under any profile.
type sweep struct {
	points   []point
	nWindows int
}

func newSweep(files []*File, ws []weights, scores [][]float64) *sweep {
	sw := &sweep{}
	n := 0
	for _, w := range ws {
		n += len(w.kind)
	}
	sw.points = make([]point, 0, n)
	base := int32(0)
	for fi, f := range files {
		w := ws[fi]
		seen := make([]bool, len(f.Windows))
		for i, k := range w.kind {
			if k == kindProbation {
				continue
			}
			sc := scores[fi][i]
			if math.IsNaN(sc) {
				sc = math.Inf(-1)
			}
			pt := point{score: sc, s: w.s[i], win: kindOutside}
			if k >= 0 {
				pt.win = base + k
				seen[k] = true
			}
			sw.points = append(sw.points, pt)
		}
		base += int32(len(f.Windows))
		for _, ok := range seen {
			if ok {
				sw.nWindows++
			}
		}
	}
	// Window ids are sparse when a window lies wholly in probation; the
	// sweep keeps a slot per id anyway.
	sort.SliceStable(sw.points, func(i, j int) bool { return sw.points[i].score > sw.points[j].score })
	return sw
}

// optimize returns the threshold with the largest corpus raw score for p,
// sweeping every distinct score as NAB's calcScoreByThreshold does; ties go
// to the highest threshold. The first candidate is 1.1 (no detection).
func (sw *sweep) optimize(p Profile, nIDs int) (threshold, raw float64) {
	best := make([]float64, nIDs)
	for i := range best {
		best[i] = -p.FN
	}
	total := -p.FN * float64(sw.nWindows)
	threshold, raw = 1.1, total
	const eps = 1e-9
	for i := 0; i < len(sw.points); {
		sc := sw.points[i].score
		if math.IsInf(sc, -1) {
			break
		}
		j := i
		for ; j < len(sw.points) && sw.points[j].score == sc; j++ {
			pt := sw.points[j]
			if pt.win == kindOutside {
				total += pt.s * p.FP
				continue
			}
			v := pt.s * p.TP
			if v > best[pt.win] {
				total += v - best[pt.win]
				best[pt.win] = v
			}
		}
		if total > raw+eps {
			threshold, raw = sc, total
		}
		i = j
	}
	return threshold, raw
}

// Normalize converts a corpus raw score to the NAB score
// 100·(raw − null)/(perfect − null) with null = −FN·windows and
// perfect = TP·windows. It returns NaN when windows is 0.
func Normalize(raw float64, windows int, p Profile) float64 {
	null := -p.FN * float64(windows)
	perfect := p.TP * float64(windows)
	if perfect == null {
		return math.NaN()
	}
	return 100 * (raw - null) / (perfect - null)
}
