package forecast

import (
	"math"

	"gonum.org/v1/gonum/optimize"
)

// minimizeNM minimises f from x0 with gonum's Nelder-Mead simplex method,
// stopping after maxEval evaluations or when the best value has not improved
// by a relative tol for 4·dim+4 iterations. Bounds are the caller's business:
// f works on unconstrained coordinates mapped into the feasible box (see
// logistic). It returns the best point and value found; x0 is not modified.
// f must not allocate: it runs once per evaluation.
func minimizeNM(f func(x []float64) float64, x0 []float64, maxEval int, simplex, tol float64) ([]float64, float64) {
	p := optimize.Problem{Func: func(x []float64) float64 {
		v := f(x)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return math.MaxFloat64
		}
		return v
	}}
	settings := &optimize.Settings{
		FuncEvaluations: maxEval,
		Converger:       &optimize.FunctionConverge{Relative: tol, Iterations: 4*len(x0) + 4},
	}
	res, err := optimize.Minimize(p, x0, settings, &optimize.NelderMead{SimplexSize: simplex})
	if res == nil || (err != nil && res.X == nil) {
		x := append([]float64(nil), x0...)
		return x, f(x)
	}
	return res.X, res.F
}

// logistic maps u ∈ ℝ onto (lo, hi): lo + (hi−lo)/(1+e^{−u}).
func logistic(u, lo, hi float64) float64 {
	return lo + (hi-lo)/(1+math.Exp(-u))
}

// logit is the inverse of logistic; v is clamped into the open interval.
func logit(v, lo, hi float64) float64 {
	p := (v - lo) / (hi - lo)
	p = math.Min(math.Max(p, 1e-6), 1-1e-6)
	return math.Log(p / (1 - p))
}
