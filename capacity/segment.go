package capacity

import (
	"math"
)

// Segmentation settings (global, documented in doc.go).
const (
	// dropRangeFrac and dropNoise: a drop is a fall of at least
	// max(dropRangeFrac·range, dropNoise·σ) between consecutive samples.
	dropRangeFrac = 0.2
	dropNoise     = 8.0
	// maxDropGap is the longest gap a drop may span.
	maxDropGap = hourMs
	// maxSegmentDropsPerDay: drops more frequent than this (on average
	// over the window, at least minSawtoothDrops of them) are a sawtooth
	// — log rotation, garbage collection, nightly clean-ups — not restarts.
	maxSegmentDropsPerDay = 0.75
	minSawtoothDrops      = 2
	// counterSnap is how many points a counter increment may be moved to
	// coincide with the drop it records.
	counterSnap = 3
	// cleanUpSpread and cleanUpNoise: drops are clean-ups when their
	// peaks lie below the limit by more than cleanUpSpread times the
	// spread of the peaks plus cleanUpNoise noise scales (cleanUps).
	cleanUpSpread = 3.0
	cleanUpNoise  = 8.0
)

// segmentation is the result of segment.
type segmentation struct {
	drops      int  // large persistent drops found
	frequent   bool // drops too frequent to be restarts: a sawtooth
	fromDrops  int  // boundaries taken from drops
	fromCount  int  // boundaries taken from the restart counter
	dropThresh float64
}

// segment finds where the series restarts: every change of the restart
// counter, and every large persistent drop unless drops are frequent. It
// fills w.bounds with the start index of each segment (w.bounds[0] = 0)
// and w.counter with whether each boundary came from the counter.
func (w *work) segment(sigma, rng float64, hasCounter bool, limY float64) segmentation {
	var sg segmentation
	w.bounds = append(w.bounds[:0], 0)
	w.counter = append(w.counter[:0], false)
	thr := math.Max(dropRangeFrac*rng, dropNoise*sigma)
	smallThr := math.Max(dropRangeFrac*rng/2, dropNoise*sigma)
	sg.dropThresh = thr
	// Drops, kept in w.ts as indices. Drops of half the threshold count
	// towards the sawtooth decision, so that a regular drop close to the
	// threshold is not taken for a rare restart when it is missed a few
	// times.
	w.ts = w.ts[:0]
	small := 0
	if thr > 0 {
		p := -1
		for i := range w.n {
			v := w.y[i]
			if math.IsNaN(v) {
				continue
			}
			if p >= 0 && int64(i-p)*w.step <= maxDropGap && v-w.y[p] < -smallThr && w.persistentDrop(i, w.y[p], w.y[p]-v) {
				small++
				if v-w.y[p] < -thr {
					w.ts = append(w.ts, int64(i))
				}
			}
			p = i
		}
	}
	sg.drops = len(w.ts)
	spanDays := float64(w.n-1) * w.stepD
	if small >= minSawtoothDrops && float64(small) > maxSegmentDropsPerDay*math.Max(spanDays, 1) {
		sg.frequent = true
	}
	if !hasCounter && !sg.frequent && len(w.ts) >= minSawtoothDrops && w.cleanUps(limY, sigma) {
		sg.frequent = true
	}
	// Counter changes.
	var cb []int
	if hasCounter {
		prev := math.NaN()
		for i := range w.n {
			c := w.rc[i]
			if math.IsNaN(c) {
				continue
			}
			if !math.IsNaN(prev) && c != prev && i > 0 {
				cb = append(cb, i)
			}
			prev = c
		}
	}
	// Merge: counter boundaries snap to a nearby drop; drops are added
	// unless frequent.
	add := func(i int, fromCounter bool) {
		if i <= 0 || i >= w.n {
			return
		}
		last := w.bounds[len(w.bounds)-1]
		if i <= last+counterSnap && last > 0 {
			if fromCounter {
				w.counter[len(w.counter)-1] = true
			}
			return
		}
		w.bounds = append(w.bounds, i)
		w.counter = append(w.counter, fromCounter)
	}
	di := 0
	for _, c := range cb {
		// Drops before this counter change.
		for di < len(w.ts) && int(w.ts[di]) < c-counterSnap {
			if !sg.frequent {
				add(int(w.ts[di]), false)
				sg.fromDrops++
			}
			di++
		}
		at := c
		// A drop within counterSnap of the change marks the restart.
		for k := di; k < len(w.ts) && int(w.ts[k]) <= c+counterSnap; k++ {
			at = int(w.ts[k])
			di = k + 1
		}
		add(at, true)
		sg.fromCount++
	}
	for ; di < len(w.ts); di++ {
		if !sg.frequent {
			add(int(w.ts[di]), false)
			sg.fromDrops++
		}
	}
	return sg
}

// persistentDrop reports whether the fall of size d at i from level before
// lasts: the median of the value at i and the next two valid values is at
// least d/2 below before.
func (w *work) persistentDrop(i int, before, d float64) bool {
	var v [3]float64
	k := 0
	for j := i; j < w.n && k < 3; j++ {
		if !math.IsNaN(w.y[j]) {
			v[k] = w.y[j]
			k++
		}
	}
	var m float64
	switch k {
	case 1:
		m = v[0]
	case 2:
		m = math.Max(v[0], v[1])
	default:
		m = math.Max(math.Min(v[0], v[1]), math.Min(math.Max(v[0], v[1]), v[2]))
	}
	return m <= before-d/2
}

// cleanUps reports whether the large drops at w.ts (at least two, no
// restart counter) are clean-ups rather than resets at the limit limY
// (oriented; NaN without a limit): the highest value of the hour before
// each drop — its peak — lies below the limit by more than
// cleanUpSpread times the spread of the peaks plus cleanUpNoise·σ. A
// resource reset when it runs out (an OOM kill seen without its restart
// counter) peaks at the limit every time; log rotation, retention or a
// nightly clean-up deletes at a level of its own, and the series is then
// a sawtooth whose peaks say where it goes (a sawtooth whose peaks rise
// towards the limit spreads its peaks and stays cut into runs).
func (w *work) cleanUps(limY, sigma float64) bool {
	if math.IsNaN(limY) {
		return false
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, t := range w.ts {
		pk := w.peakBefore(int(t))
		if math.IsInf(pk, -1) {
			return false
		}
		lo, hi = math.Min(lo, pk), math.Max(hi, pk)
	}
	return limY-hi > cleanUpSpread*(hi-lo)+cleanUpNoise*sigma
}

// peakBefore returns the highest value of w.y in the hour before point i
// (NaN skipped): the level a run or a sawtooth tooth reached before the
// drop at i. −Inf when the hour has no value.
func (w *work) peakBefore(i int) float64 {
	bl := max(1, int(hourMs/w.step))
	pk := math.Inf(-1)
	for j := max(0, i-bl); j < i; j++ {
		if v := w.y[j]; v > pk {
			pk = v
		}
	}
	return pk
}
