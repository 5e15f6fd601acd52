package nab

import (
	"hash/fnv"
	"slices"
	"sort"
)

// HoldoutSeed and HoldoutSize define omen's fixed held-out split of the NAB
// files (bench/ANOMALY-NOTES.md, round 3): the HoldoutSize files whose
// FNV-1a 64 hash of HoldoutSeed + name is smallest. Development runs leave
// them out; they are scored once, at thresholds optimised on the others.
const (
	HoldoutSeed = "omen-holdout-1/"
	HoldoutSize = 12
)

// Holdout returns the names (as in File.Name) of the held-out files among
// names: the HoldoutSize with the smallest FNV-1a 64 hash of
// HoldoutSeed+name, sorted by name. All names are returned when there are
// no more than HoldoutSize.
func Holdout(names []string) []string {
	type hashed struct {
		name string
		h    uint64
	}
	hs := make([]hashed, len(names))
	for i, n := range names {
		f := fnv.New64a()
		f.Write([]byte(HoldoutSeed + n))
		hs[i] = hashed{n, f.Sum64()}
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].h < hs[j].h })
	out := make([]string, 0, min(len(hs), HoldoutSize))
	for _, h := range hs[:min(len(hs), HoldoutSize)] {
		out = append(out, h.name)
	}
	sort.Strings(out)
	return out
}

// Split returns the files of c whose names are in names (in) and the others
// (out), both sorted by name like c. The files are shared, not copied.
func (c *Corpus) Split(names []string) (in, out *Corpus) {
	in, out = &Corpus{Dir: c.Dir}, &Corpus{Dir: c.Dir}
	for _, f := range c.Files {
		if slices.Contains(names, f.Name) {
			in.Files = append(in.Files, f)
		} else {
			out.Files = append(out.Files, f)
		}
	}
	return in, out
}

// SplitHoldout splits c into its development files and its held-out files
// (Holdout of its names).
func SplitHoldout(c *Corpus) (dev, held *Corpus) {
	names := make([]string, len(c.Files))
	for i, f := range c.Files {
		names[i] = f.Name
	}
	held, dev = c.Split(Holdout(names))
	return dev, held
}

// Fold is one fold of a cross-validation: a group of files scored at the
// threshold optimised on the other files.
type Fold struct {
	// Name names the group (a category).
	Name string
	// Threshold was optimised on the other groups; Result scores the group
	// at it, and Own is the group's score at its own optimum.
	Threshold float64
	Result    ProfileResult
	Own       float64
}

// FoldsResult is the outcome of CategoryFolds for one profile.
type FoldsResult struct {
	Profile Profile
	Folds   []Fold
	// Mean is the mean of the normalised scores of the folds that have
	// windows; Pooled is the normalised sum of every fold's raw score
	// (folds without windows count through their false positives); Own the
	// same pooled figure when every fold picks its own threshold.
	Mean, Pooled, Own float64
}

// CategoryFolds scores each category of c at the threshold optimised (for
// profile p) on the other categories. scores is indexed like c.Files.
func CategoryFolds(c *Corpus, scores [][]float64, p Profile) FoldsResult {
	res := FoldsResult{Profile: p}
	held, own, windows, scored := 0.0, 0.0, 0, 0
	for _, cat := range c.Categories() {
		var in, out []int
		for i, f := range c.Files {
			if f.Category == cat {
				in = append(in, i)
			} else {
				out = append(out, i)
			}
		}
		et, st := sub(c, scores, out)
		thr := et.Optimize(st, p)[0].Threshold
		eg, sg := sub(c, scores, in)
		r := eg.Score(sg, p, thr)
		f := Fold{Name: cat, Threshold: thr, Result: r}
		if r.Windows > 0 {
			f.Own = Normalize(eg.Optimize(sg, p)[0].Raw, r.Windows, p)
			res.Mean += r.Score
			scored++
		}
		own += eg.Optimize(sg, p)[0].Raw
		held += r.Raw
		windows += r.Windows
		res.Folds = append(res.Folds, f)
	}
	if scored > 0 {
		res.Mean /= float64(scored)
	}
	res.Pooled = Normalize(held, windows, p)
	res.Own = Normalize(own, windows, p)
	return res
}

// sub returns an Evaluator over the files idx of c and their scores.
func sub(c *Corpus, scores [][]float64, idx []int) (*Evaluator, [][]float64) {
	s := &Corpus{Dir: c.Dir}
	var sc [][]float64
	for _, i := range idx {
		s.Files = append(s.Files, c.Files[i])
		sc = append(sc, scores[i])
	}
	return NewEvaluator(s), sc
}
