package m4

import "github.com/omenhq/omen/stats"

// Naive2 fills dst (allocated when nil) with the h-step Naive2 forecast of
// x with seasonal period m, the M4 benchmark: when stats.SeasonalityTest(x, m)
// holds, x is seasonally adjusted with the multiplicative indices of
// stats.ClassicalSeasonal (R's decompose) and the last adjusted
// value is carried forward and reseasonalised; otherwise the last value is
// repeated (naive). It reproduces the organisers' forecasts.
func Naive2(dst, x []float64, m, h int) []float64 {
	if dst == nil {
		dst = make([]float64, h)
	}
	dst = dst[:h]
	n := len(x)
	last := x[n-1]
	if !stats.SeasonalityTest(x, m) {
		for i := range dst {
			dst[i] = last
		}
		return dst
	}
	idx := stats.ClassicalSeasonal(nil, x, m, true)
	level := last / idx[(n-1)%m]
	for i := range dst {
		dst[i] = level * idx[(n+i)%m]
	}
	return dst
}
