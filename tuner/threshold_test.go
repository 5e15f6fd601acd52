package tuner

import (
	"math"
	"testing"

	"github.com/VictoriaMetrics/metricsql"
	"github.com/stretchr/testify/require"
)

func TestFindThreshold(t *testing.T) {
	none := "none"
	cases := []struct {
		name, expr string
		text, op   string // text "none": no threshold
		value      float64
		left       bool
		outermost  bool
		signal     string
	}{
		{"a plain comparison on the right", `up > 0.9`, "0.9", ">", 0.9, false, true, "up"},
		{"a number on the left", `0.9 < up`, "0.9", "<", 0.9, true, true, "up"},
		{"predict_linear below zero", `predict_linear(node_filesystem_avail_bytes{fstype!=""}[6h], 4*3600) < 0`, "0", "<", 0, false, true, `predict_linear(node_filesystem_avail_bytes{fstype!=""}[6h], 4*3600)`},
		{"brackets around the whole expression are ignored", `((rate(x[5m]) > 1e3))`, "1e3", ">", 1000, false, true, "rate(x[5m])"},
		{"the left operand of and is searched", `rate(errors[5m]) / rate(requests[5m]) > 0.05 and rate(requests[5m]) > 10`, "0.05", ">", 0.05, false, false, "rate(errors[5m]) / rate(requests[5m])"},
		{"nested and/unless/or", `a >= 2 and b unless c or d`, "2", ">=", 2, false, false, "a"},
		{"a bool comparison has none", `up > bool 0`, none, "", 0, false, false, ""},
		{"5*60 is not a plain number", `x > 5*60`, none, "", 0, false, false, ""},
		{"(5) is not a plain number", `x > (5)`, none, "", 0, false, false, ""},
		{"a comparison of two series has none", `a > b`, none, "", 0, false, false, ""},
		{"no comparison", `sum(rate(x[5m]))`, none, "", 0, false, false, ""},
		{"a negative number", `delta(x[1h]) < -10`, "-10", "<", -10, false, true, "delta(x[1h])"},
		{"hex", `x == 0x1F`, "0x1F", "==", 31, false, true, "x"},
		{"scientific notation", `x > 1.5E-3`, "1.5E-3", ">", 0.0015, false, true, "x"},
		{"Inf", `x < Inf`, "Inf", "<", math.Inf(1), false, true, "x"},
		{"comments and strings", "sum by (job) (rate(x{a=\"> 5\", b='#'}[5m])) # > 7\n > 3 # trailing", "3", ">", 3, false, true, "sum by (job) (rate(x{a=\"> 5\", b='#'}[5m]))"},
		{"offset and @", `x offset 1h > 2 and y @ 1609746000`, "2", ">", 2, false, false, "x offset 1h"},
		{"on/ignoring/group_left between series", `a > on(instance) group_left(job) b`, none, "", 0, false, false, ""},
		{"a comparison inside a function has none", `absent(x > 1)`, none, "", 0, false, false, ""},
		{"arithmetic binds tighter than the comparison", `a - b > 10`, "10", ">", 10, false, true, "a - b"},
		{"the outermost comparison of a chain", `a > 1 < 5`, "5", "<", 5, false, true, "a > 1"},
		{"a duration is not a number", `x > 5m`, none, "", 0, false, false, ""},
		{"keywords in upper case", `a > 1 AND b`, "1", ">", 1, false, false, "a"},
		{"unit suffix", `x > 2Ki`, "2Ki", ">", 2048, false, true, "x"},
		{"a subquery", `max_over_time(rate(x[5m])[1h:1m]) >= .5`, ".5", ">=", 0.5, false, true, "max_over_time(rate(x[5m])[1h:1m])"},
		{"aggregation modifier after the call", `sum(rate(x[5m])) by (job) != 0`, "0", "!=", 0, false, true, "sum(rate(x[5m])) by (job)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			me, err := metricsql.Parse(c.expr)
			require.NoError(t, err)
			th := findThreshold(c.expr, me)
			if c.text == none {
				require.Nil(t, th)
				return
			}
			require.NotNil(t, th)
			require.Equal(t, c.text, th.Text)
			require.Equal(t, c.text, c.expr[th.Offset:th.Offset+len(th.Text)])
			require.Equal(t, c.op, th.Op)
			require.Equal(t, c.value, th.Value)
			require.Equal(t, c.left, th.Left)
			require.Equal(t, c.outermost, th.Outermost)
			require.Equal(t, c.signal, th.Signal)
			require.Equal(t, c.signal, c.expr[th.SignalOffset:th.SignalOffset+len(th.Signal)])
		})
	}
}
