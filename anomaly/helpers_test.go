package anomaly

import (
	"math"
	"math/rand/v2"
	"strconv"
)

const fiveMin = int64(5 * 60 * 1000)

// series returns n samples 5 minutes apart starting at a fixed instant:
// a daily sine of the given amplitude around level plus Gaussian noise.
func series(n int, level, amp, noise float64, seed uint64) (ts []int64, vs []float64) {
	r := rand.New(rand.NewPCG(seed, 7))
	ts = make([]int64, n)
	vs = make([]float64, n)
	t0 := int64(1_700_000_000_000) / Day * Day
	for i := range vs {
		ts[i] = t0 + int64(i)*fiveMin
		phase := 2 * math.Pi * float64(i%288) / 288
		vs[i] = level + amp*math.Sin(phase) + noise*r.NormFloat64()
	}
	return ts, vs
}

// countAtLeast counts scores ≥ thr in s[from:to].
func countAtLeast(s []float64, from, to int, thr float64) int {
	c := 0
	for _, v := range s[from:to] {
		if v >= thr {
			c++
		}
	}
	return c
}

func maxOf(s []float64) float64 {
	m := math.Inf(-1)
	for _, v := range s {
		m = math.Max(m, v)
	}
	return m
}

func formatG(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
