package tuner_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/tuner"
)

func TestFindPredictLinear(t *testing.T) {
	cases := []struct {
		name string
		expr string
		want tuner.PredictLinearUse
	}{
		{
			name: "the node-exporter mixin's NodeFilesystemSpaceFillingUp is a disk falling to 0",
			expr: `(
  node_filesystem_avail_bytes{job="node",fstype!="",mountpoint!=""} / node_filesystem_size_bytes{job="node",fstype!="",mountpoint!=""} * 100 < 15
and
  predict_linear(node_filesystem_avail_bytes{job="node",fstype!="",mountpoint!=""}[6h], 4*60*60) < 0
and
  node_filesystem_readonly{job="node",fstype!="",mountpoint!=""} == 0
)`,
			want: tuner.PredictLinearUse{Signal: `node_filesystem_avail_bytes{job="node",fstype!="",mountpoint!=""}`, Metric: "node_filesystem_avail_bytes",
				Range: 6 * time.Hour, Ahead: 4 * time.Hour, Op: "<", Direction: series.Down, Limit: 0, Kind: "disk"},
		},
		{
			name: "a working set compared with its limit series is memory rising to the limit",
			expr: `predict_linear(container_memory_working_set_bytes{container!=""}[1h], 3600) > on(namespace, pod, container) kube_pod_container_resource_limits{resource="memory"}`,
			want: tuner.PredictLinearUse{Signal: `container_memory_working_set_bytes{container!=""}`, Metric: "container_memory_working_set_bytes",
				Range: time.Hour, Ahead: time.Hour, Op: ">", Direction: series.Up, Limit: 1,
				LimitExpr: `kube_pod_container_resource_limits{resource="memory"}`, On: []string{"namespace", "pod", "container"}, Kind: "memory"},
		},
		{
			name: "a ratio to the limit compared with a number scales the limit",
			expr: `predict_linear(container_memory_working_set_bytes[30m], 2 * 3600) / ignoring(id) container_spec_memory_limit_bytes >= 0.95`,
			want: tuner.PredictLinearUse{Signal: "container_memory_working_set_bytes", Metric: "container_memory_working_set_bytes",
				Range: 30 * time.Minute, Ahead: 2 * time.Hour, Op: ">=", Direction: series.Up, Limit: 0.95,
				LimitExpr: "container_spec_memory_limit_bytes", Ignoring: []string{"id"}, Kind: "memory"},
		},
		{
			name: "a number on the left is the comparison mirrored",
			expr: `0 > predict_linear(node_filesystem_free_bytes[1d], 86400)`,
			want: tuner.PredictLinearUse{Signal: "node_filesystem_free_bytes", Metric: "node_filesystem_free_bytes",
				Range: 24 * time.Hour, Ahead: 24 * time.Hour, Op: "<", Direction: series.Down, Limit: 0, Kind: "disk"},
		},
		{
			name: "another signal is recognised without a kind",
			expr: `predict_linear(queue_depth[1h], 3600) > 1000`,
			want: tuner.PredictLinearUse{Signal: "queue_depth", Metric: "queue_depth", Range: time.Hour, Ahead: time.Hour, Op: ">", Direction: series.Up, Limit: 1000},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := tuner.FindPredictLinear(c.expr)
			require.NoError(t, err)
			require.Equal(t, c.want, *got)
		})
	}
}

func TestFindPredictLinearSaysWhyNot(t *testing.T) {
	cases := []struct{ name, expr, reason string }{
		{"a rule without predict_linear", `rate(errors_total[5m]) > 1`, "does not use predict_linear"},
		{"a bool comparison filters nothing", `predict_linear(x_bytes[1h], 60) > bool 3`, "bool"},
		{"predict_linear inside a function", `max(predict_linear(x_bytes[1h], 60)) < 0`, "not compared at the top"},
		{"a subquery", `predict_linear(rate(x_bytes[5m])[1h:1m], 60) < 0`, "not a plain range selector"},
		{"an expression that does not parse", `predict_linear(x[1h], `, "does not parse"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := tuner.FindPredictLinear(c.expr)
			require.Error(t, err)
			require.Contains(t, err.Error(), c.reason)
		})
	}
}
