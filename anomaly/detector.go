package anomaly

import "math"

// Detector is a causal, online anomaly scorer for one series: Update takes
// the next sample (t in Unix milliseconds, non-decreasing; v the value) and
// returns the anomaly score of that sample, computed from it and the samples
// before it only. A NaN or ±Inf value is a missing sample: it is not learnt
// from and scores 0.
type Detector interface {
	Update(t int64, v float64) float64
}

// Score runs d over the samples in order and writes one score per sample to
// dst (allocated when nil or too short); it is the batch entry point of
// every Detector. Because every Detector is causal, Score(ts[:k], vs[:k])
// equals the first k scores of Score(ts, vs). It panics if ts and vs differ
// in length.
func Score(dst []float64, d Detector, ts []int64, vs []float64) []float64 {
	if len(ts) != len(vs) {
		panic("anomaly: Score needs as many timestamps as values")
	}
	if cap(dst) < len(vs) {
		dst = make([]float64, len(vs))
	}
	dst = dst[:len(vs)]
	for i := range vs {
		dst[i] = d.Update(ts[i], vs[i])
	}
	return dst
}

// finite reports whether v is neither NaN nor ±Inf.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// robustScale estimates σ from a window: 1.4826·MAD, or when the MAD is 0
// (more than half the values equal) the 1%–99% range / 4.65 (the width of
// that range for a normal), or 0 when the window is constant.
func robustScale(r *Rolling) float64 {
	if s := 1.4826 * r.MAD(); s > 0 {
		return s
	}
	if s := (r.Quantile(0.99) - r.Quantile(0.01)) / 4.65; s > 0 {
		return s
	}
	return 0
}

// standardize returns r/scale, using a tiny scale relative to ref when the
// scale is 0 (so that any change from a constant stands out).
func standardize(r, scale, ref float64) float64 {
	if scale <= 0 {
		scale = 1e-9 * math.Max(1, math.Abs(ref))
	}
	return r / scale
}
