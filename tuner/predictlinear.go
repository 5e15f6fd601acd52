package tuner

import (
	"math"
	"sort"
	"time"
)

// This file is PromQL's predict_linear, reimplemented sample for sample so
// that omen can replay a predict_linear rule without a server and a test
// can check it bit for bit against one. Source: Prometheus,
// promql/functions.go (funcPredictLinear, linearRegression) and
// promql/engine.go (kahanSumInc).

// kahanSumInc adds inc to the compensated sum (sum, c) with Neumaier's
// improvement, as Prometheus's promql.kahanSumInc does (an infinite sum
// resets the compensation, as in Prometheus ≥ 2.50; for finite inputs the
// 2.42 version is identical).
func kahanSumInc(inc, sum, c float64) (newSum, newC float64) {
	t := sum + inc
	switch {
	case math.IsInf(t, 0):
		c = 0
	case math.Abs(sum) >= math.Abs(inc):
		c += (sum - t) + inc
	default:
		c += (inc - t) + sum
	}
	return t, c
}

// linearRegression is Prometheus's promql.linearRegression: the least
// squares line through the samples (t in Unix ms, v) with x measured in
// seconds from interceptTime, sums compensated with kahanSumInc; slope is
// per second and intercept is the line's value at interceptTime:
//
//	slope     = (Σxy − Σx·Σy/n) / (Σx² − (Σx)²/n)
//	intercept = Σy/n − slope·Σx/n
//
// When all values are equal it returns slope 0 and that value (NaN, NaN
// when the value is infinite). ts and vs must hold at least two samples.
func linearRegression(ts []int64, vs []float64, interceptTime int64) (slope, intercept float64) {
	var (
		n          float64
		sumX, cX   float64
		sumY, cY   float64
		sumXY, cXY float64
		sumX2, cX2 float64
		initY      float64
		constY     bool
	)
	initY = vs[0]
	constY = true
	for i, t := range ts {
		v := vs[i]
		// Set constY to false if any new y values are encountered.
		if constY && i > 0 && v != initY {
			constY = false
		}
		n += 1.0
		x := float64(t-interceptTime) / 1e3
		sumX, cX = kahanSumInc(x, sumX, cX)
		sumY, cY = kahanSumInc(v, sumY, cY)
		sumXY, cXY = kahanSumInc(x*v, sumXY, cXY)
		sumX2, cX2 = kahanSumInc(x*x, sumX2, cX2)
	}
	if constY {
		if math.IsInf(initY, 0) {
			return math.NaN(), math.NaN()
		}
		return 0, initY
	}
	sumX += cX
	sumY += cY
	sumXY += cXY
	sumX2 += cX2

	covXY := sumXY - sumX*sumY/n
	varX := sumX2 - sumX*sumX/n

	slope = covXY / varX
	intercept = sumY/n - slope*sumX/n
	return slope, intercept
}

// PredictLinear evaluates predict_linear(v[rng], d) at evalT (Unix ms) on
// the raw samples ts, vs (sorted, no NaN: a missed scrape is no sample),
// as Prometheus does: the samples in the range are those with
// evalT−rng ≤ t ≤ evalT (Prometheus 2.x, which the packaged 2.42 is; set
// leftOpen for Prometheus 3.x, which excludes the left end), at least two
// are needed (otherwise the series is absent and ok is false), and the
// result is
//
//	slope·d + intercept
//
// of linearRegression with the intercept at evalT (d in seconds).
func PredictLinear(ts []int64, vs []float64, evalT int64, rng, d time.Duration, leftOpen bool) (float64, bool) {
	lo := evalT - rng.Milliseconds()
	i := sort.Search(len(ts), func(i int) bool {
		if leftOpen {
			return ts[i] > lo
		}
		return ts[i] >= lo
	})
	j := sort.Search(len(ts), func(i int) bool { return ts[i] > evalT })
	if j-i < 2 {
		return 0, false
	}
	slope, intercept := linearRegression(ts[i:j], vs[i:j], evalT)
	return slope*d.Seconds() + intercept, true
}

// InstantValue returns the value of an instant vector selector at evalT
// on the samples ts, vs: the last sample in (evalT−lookback, evalT], or
// false when there is none (Prometheus's lookback delta is 5 minutes).
func InstantValue(ts []int64, vs []float64, evalT int64, lookback time.Duration) (float64, bool) {
	j := sort.Search(len(ts), func(i int) bool { return ts[i] > evalT }) - 1
	if j < 0 || ts[j] <= evalT-lookback.Milliseconds() {
		return 0, false
	}
	return vs[j], true
}

// PredictLinearRule is a predict_linear alerting rule on a headroom series
// h (available bytes for a disk, limit − working set for a container):
//
//	predict_linear(h[Range], Predict) < 0 [and h / size * 100 < PercentBelow]
//	for: Hold
//
// evaluated every Interval. NodeFilesystemSpaceFillingUp of the
// node-exporter mixin is Range 6h, Predict 24h, Hold 1h, PercentBelow 40
// (its warning variant; its readonly == 0 clause is left out).
type PredictLinearRule struct {
	// Name identifies the rule in reports.
	Name string
	// Range is the range of the range vector; Predict how far ahead.
	Range, Predict time.Duration
	// Hold is the rule's `for:`; Interval the evaluation interval (0 means
	// 1m). Evaluations are at whole multiples of Interval since the epoch.
	Hold, Interval time.Duration
	// PercentBelow, when positive, adds `and h/size*100 < PercentBelow`
	// with instant selectors (5-minute lookback).
	PercentBelow float64
	// LeftOpen selects Prometheus 3.x range semantics (see PredictLinear).
	LeftOpen bool
}

// Timeline evaluates the rule at every evaluation instant in [from, to]
// (rounded to the interval) on the headroom samples ts, hs and the size
// samples sts, svs (used with PercentBelow), and returns the evaluation
// instants and whether the alert is firing at each: the condition true at
// every evaluation over the last Hold, as Prometheus's alerting rule does
// (pending from the first true evaluation, firing once the evaluation
// time is Hold after it, reset by any false evaluation). Evaluations
// before from needed by the hold are made too.
func (r PredictLinearRule) Timeline(ts []int64, hs []float64, sts []int64, svs []float64, from, to int64) (evals []int64, firing []bool) {
	iv := r.Interval.Milliseconds()
	if iv <= 0 {
		iv = time.Minute.Milliseconds()
	}
	start := (from - r.Hold.Milliseconds()) / iv * iv
	var activeAt int64
	active := false
	for t := start; t <= to; t += iv {
		cond := false
		if v, ok := PredictLinear(ts, hs, t, r.Range, r.Predict, r.LeftOpen); ok && v < 0 {
			cond = true
			if r.PercentBelow > 0 {
				a, ok1 := InstantValue(ts, hs, t, 5*time.Minute)
				s, ok2 := InstantValue(sts, svs, t, 5*time.Minute)
				cond = ok1 && ok2 && a/s*100 < r.PercentBelow
			}
		}
		switch {
		case !cond:
			active = false
		case !active:
			active, activeAt = true, t
		}
		if t >= from {
			evals = append(evals, t)
			firing = append(firing, active && t-activeAt >= r.Hold.Milliseconds())
		}
	}
	return evals, firing
}
