package tuner

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metricsql"

	"github.com/omenhq/omen/series"
)

// ErrNoPredictLinear is returned by FindPredictLinear for an expression
// with no comparison of predict_linear it can turn into a capacity target.
var ErrNoPredictLinear = errors.New("tuner: no predict_linear comparison")

// PredictLinearUse is a rule's use of predict_linear, recognised on
// metricsql's parse tree: a comparison
//
//	predict_linear(Signal[Range], Ahead) OP Limit
//	predict_linear(Signal[Range], Ahead) / LimitExpr OP Scale
//	predict_linear(Signal[Range], Ahead) OP LimitExpr
//
// at the top of the expression or an operand of a top-level `and` (the
// node-exporter mixin's NodeFilesystemSpaceFillingUp ands it with a
// percentage and a read-only check). OP < or <= means the signal runs out
// falling (available bytes towards 0), > or >= rising (a working set
// towards its limit).
type PredictLinearUse struct {
	// Signal is the range vector's selector, printed by metricsql
	// (`node_filesystem_avail_bytes{fstype!=""}`), and Metric its metric
	// name.
	Signal, Metric string
	// Range is the range of the range vector; Ahead the prediction offset.
	Range, Ahead time.Duration
	// Op is the comparison operator, Direction what it means.
	Op        string
	Direction series.Direction
	// Limit is the number compared with when LimitExpr is empty, else the
	// factor LimitExpr is multiplied by (1 for a plain comparison with
	// LimitExpr).
	Limit float64
	// LimitExpr is the limit's expression when it is a series
	// (`kube_pod_container_resource_limits{resource="memory"}`), printed
	// by metricsql; "" for a number.
	LimitExpr string
	// On and Ignoring are the vector matching labels of the comparison (or
	// of the division) with LimitExpr.
	On, Ignoring []string
	// Kind is "disk" or "memory", from the metric name; "" for another
	// signal.
	Kind string
}

// FindPredictLinear recognises the predict_linear comparison in a rule's
// expression (see PredictLinearUse). It returns ErrNoPredictLinear,
// wrapped with the reason, when there is none it can use.
func FindPredictLinear(expr string) (*PredictLinearUse, error) {
	e, err := metricsql.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("tuner: expression does not parse: %w", err)
	}
	var reason error
	var found *PredictLinearUse
	var walk func(e metricsql.Expr)
	walk = func(e metricsql.Expr) {
		be, ok := e.(*metricsql.BinaryOpExpr)
		if !ok || found != nil {
			return
		}
		if strings.EqualFold(be.Op, "and") {
			walk(be.Left)
			walk(be.Right)
			return
		}
		u, err := comparisonUse(be)
		if err != nil {
			if reason == nil && !errors.Is(err, errNoCall) {
				reason = err
			}
			return
		}
		found = u
	}
	walk(e)
	if found != nil {
		return found, nil
	}
	if reason != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoPredictLinear, reason)
	}
	if strings.Contains(expr, "predict_linear") {
		return nil, fmt.Errorf("%w: predict_linear is not compared at the top of the expression or of a top-level and", ErrNoPredictLinear)
	}
	return nil, fmt.Errorf("%w: the expression does not use predict_linear", ErrNoPredictLinear)
}

// errNoCall is a comparison without predict_linear on its left.
var errNoCall = errors.New("no predict_linear on the left of the comparison")

// comparisonUse reads one comparison; a non-nil error says why it is not
// a usable predict_linear comparison (nil, nil is impossible).
func comparisonUse(be *metricsql.BinaryOpExpr) (*PredictLinearUse, error) {
	op := be.Op
	left, right := be.Left, be.Right
	switch op {
	case "<", "<=", ">", ">=":
	default:
		return nil, errNoCall // arithmetic, or, unless, == and !=: not a limit
	}
	if be.Bool {
		return nil, errors.New("a bool comparison filters nothing")
	}
	if _, ok := left.(*metricsql.NumberExpr); ok {
		// 0 > predict_linear(…): the same comparison mirrored.
		left, right = right, left
		op = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
	}
	u := &PredictLinearUse{Op: op, Direction: series.Up, Limit: 1}
	if op == "<" || op == "<=" {
		u.Direction = series.Down
	}
	var div *metricsql.BinaryOpExpr
	fe := asPredictLinear(left)
	if d, ok := left.(*metricsql.BinaryOpExpr); ok && fe == nil && d.Op == "/" {
		if fe = asPredictLinear(d.Left); fe != nil {
			div = d
		}
	}
	if fe == nil {
		return nil, errNoCall
	}
	if err := u.readCall(fe); err != nil {
		return nil, err
	}
	n, isNum := right.(*metricsql.NumberExpr)
	switch {
	case div != nil && isNum:
		u.LimitExpr, u.Limit = string(div.Right.AppendString(nil)), n.N
		u.setMatching(div)
	case div != nil:
		return nil, errors.New("predict_linear(…) / x is compared with a series, not a number")
	case isNum:
		u.Limit = n.N
	default:
		u.LimitExpr = string(right.AppendString(nil))
		u.setMatching(be)
	}
	return u, nil
}

// asPredictLinear returns e as a predict_linear call, or nil.
func asPredictLinear(e metricsql.Expr) *metricsql.FuncExpr {
	f, ok := e.(*metricsql.FuncExpr)
	if !ok || !strings.EqualFold(f.Name, "predict_linear") {
		return nil
	}
	return f
}

func (u *PredictLinearUse) readCall(fe *metricsql.FuncExpr) error {
	if len(fe.Args) != 2 {
		return fmt.Errorf("predict_linear has %d arguments, want 2", len(fe.Args))
	}
	re, ok := fe.Args[0].(*metricsql.RollupExpr)
	if !ok || re.Window == nil || re.ForSubquery() || re.Offset != nil || re.At != nil {
		return errors.New("predict_linear's first argument is not a plain range selector (x[6h])")
	}
	me, ok := re.Expr.(*metricsql.MetricExpr)
	if !ok || len(me.LabelFilterss) != 1 {
		return errors.New("predict_linear's range vector is not one series selector")
	}
	for _, lf := range me.LabelFilterss[0] {
		if lf.Label == "__name__" && !lf.IsRegexp && !lf.IsNegative {
			u.Metric = lf.Value
		}
	}
	if u.Metric == "" {
		return errors.New("predict_linear's selector names no metric")
	}
	ahead, ok := fe.Args[1].(*metricsql.NumberExpr)
	if !ok {
		return errors.New("predict_linear's offset is not a number")
	}
	u.Signal = string(me.AppendString(nil))
	u.Range = time.Duration(re.Window.Duration(60_000)) * time.Millisecond
	u.Ahead = time.Duration(ahead.N * float64(time.Second))
	u.Kind = signalKind(u.Metric)
	return nil
}

func (u *PredictLinearUse) setMatching(be *metricsql.BinaryOpExpr) {
	switch strings.ToLower(be.GroupModifier.Op) {
	case "on":
		u.On = append([]string(nil), be.GroupModifier.Args...)
	case "ignoring":
		u.Ignoring = append([]string(nil), be.GroupModifier.Args...)
	}
}

// signalKind is "disk" for filesystem and volume metrics, "memory" for
// memory metrics, "" otherwise.
func signalKind(metric string) string {
	m := strings.ToLower(metric)
	switch {
	case strings.Contains(m, "memory") || strings.Contains(m, "_mem_") || strings.HasPrefix(m, "mem_"):
		return "memory"
	case strings.Contains(m, "filesystem") || strings.Contains(m, "disk") || strings.Contains(m, "volume") ||
		strings.Contains(m, "_fs_") || strings.HasPrefix(m, "fs_"):
		return "disk"
	}
	return ""
}
