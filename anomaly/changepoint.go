package anomaly

import "math"

// CUSUMConfig configures a CUSUM detector. The zero value uses the
// documented defaults.
type CUSUMConfig struct {
	// Window is the number of recent samples whose median and MAD
	// standardise the input; default 576.
	Window int
	// K is the allowance, in σ: shifts smaller than about 2K are ignored;
	// default 1.
	K float64
	// H is the decision interval, in σ: the sums are capped at H and the
	// score is their ratio to H; default 20.
	H float64
	// Clip bounds each standardised sample to ±Clip so that a single spike
	// cannot pass for a shift; default 4.
	Clip float64
}

func (c CUSUMConfig) withDefaults() CUSUMConfig {
	if c.Window <= 0 {
		c.Window = 576
	}
	if c.K <= 0 {
		c.K = 1
	}
	if c.H <= 0 {
		c.H = 20
	}
	if c.Clip <= 0 {
		c.Clip = 4
	}
	return c
}

// CUSUM detects level shifts with a two-sided tabular CUSUM (Page 1954;
// Montgomery, Introduction to Statistical Quality Control, §9.1) on
// robustly standardised samples:
//
//	z_t  = clip((v_t − median_W) / (1.4826·MAD_W), ±Clip)
//	S⁺_t = min(H, max(0, S⁺_{t−1} + z_t − K))
//	S⁻_t = min(H, max(0, S⁻_{t−1} − z_t − K))
//	raw  = max(S⁺_t, S⁻_t) / H ∈ [0, 1]
//
// where the median and MAD are of the Window samples before v_t. A shift of
// δσ raises a sum by about δ−K per sample, so it reaches H after
// H/(δ−K) samples; the rolling median then follows the new level within
// Window/2 samples and the sums decay. It assumes roughly independent
// noise around a piecewise-constant level.
//
// Cost per sample: O(Window) (the MAD); memory 16·Window bytes.
type CUSUM struct {
	cfg      CUSUMConfig
	win      *Rolling
	pos, neg float64
}

// NewCUSUM returns a CUSUM detector with cfg (zero fields take defaults).
func NewCUSUM(cfg CUSUMConfig) *CUSUM {
	cfg = cfg.withDefaults()
	return &CUSUM{cfg: cfg, win: NewRolling(cfg.Window)}
}

// Update implements Detector; it returns max(S⁺, S⁻)/H (0 for a missing
// sample, which leaves the sums as they are).
func (c *CUSUM) Update(_ int64, v float64) float64 {
	if !finite(v) {
		return 0
	}
	if c.win.Len() >= 10 {
		med := c.win.Median()
		c.step(standardize(v-med, robustScale(c.win), med))
	}
	c.win.Push(v)
	return math.Max(c.pos, c.neg) / c.cfg.H
}

// step advances the sums with one standardised sample.
func (c *CUSUM) step(z float64) {
	z = math.Max(-c.cfg.Clip, math.Min(c.cfg.Clip, z))
	c.pos = math.Min(c.cfg.H, math.Max(0, c.pos+z-c.cfg.K))
	c.neg = math.Min(c.cfg.H, math.Max(0, c.neg-z-c.cfg.K))
}
