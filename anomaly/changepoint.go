package anomaly

import "math"

// cusum is a two-sided tabular CUSUM on standardised residuals z:
//
//	S⁺_t = max(0, S⁺_{t−1} + z_t − k),  S⁻_t = max(0, S⁻_{t−1} − z_t − k)
//
// (Page 1954; Montgomery, Introduction to Statistical Quality Control, §9.1)
// with z clipped to ±clip so that one spike cannot look like a shift, and the
// sums capped at h. raw = max(S⁺, S⁻)/h ∈ [0, 1].
type cusum struct {
	k, h, clip float64
	pos, neg   float64
}

func (c *cusum) update(z float64) float64 {
	if math.IsNaN(z) {
		return math.Max(c.pos, c.neg) / c.h
	}
	z = math.Max(-c.clip, math.Min(c.clip, z))
	c.pos = math.Min(c.h, math.Max(0, c.pos+z-c.k))
	c.neg = math.Min(c.h, math.Max(0, c.neg-z-c.k))
	return math.Max(c.pos, c.neg) / c.h
}
