package engine

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/tuner/scale"
)

func TestRatesTurnCPUCountersIntoCores(t *testing.T) {
	s := series.Series{Labels: series.New(series.MetricName, "container_cpu_usage_seconds_total", "pod", "a"),
		Timestamps: []int64{0, 60_000, 120_000, 180_000}, Values: []float64{100, 130, 10, 40}}
	got := rates([]series.Series{s})
	require.Len(t, got, 1)
	require.Equal(t, []int64{60_000, 120_000, 180_000}, got[0].Timestamps)
	require.Equal(t, []float64{0.5, 10.0 / 60, 0.5}, got[0].Values, "a reset counts from zero")
	require.Empty(t, got[0].Labels.Name())
}

func TestCombineMergesTheCgroupsOfOneContainer(t *testing.T) {
	ls := func(id string) series.Labels {
		return series.New("namespace", "shop", "pod", "web-1", "container", "web", "id", id)
	}
	a := series.Series{Labels: ls("1"), Timestamps: []int64{0, 1}, Values: []float64{1, 2}}
	b := series.Series{Labels: ls("2"), Timestamps: []int64{1, 2}, Values: []float64{3, 4}}
	got := combine([]series.Series{a, b}, sum)
	require.Len(t, got, 1)
	require.Equal(t, []float64{1, 5, 4}, got[0].Values)
	require.Equal(t, "web-1", got[0].Labels.Get("pod"))
}

func TestPodPatternMatchesTheWorkloadsPods(t *testing.T) {
	dep := &scale.Workload{Name: "web", Kind: scale.KindDeployment}
	sts := &scale.Workload{Name: "db", Kind: scale.KindStatefulSet}
	require.Equal(t, `web-[a-z0-9]{5,10}-[a-z0-9]{5}`, PodPattern(dep))
	require.Equal(t, `db-[0-9]+`, PodPattern(sts))
}
