package sink_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/sink"
	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/internal/source/prom"
	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/series"
)

// TestPushWritesBackToRealServers pushes the same series to a real
// Prometheus (remote write) and a real VictoriaMetrics (import), by base URL
// and by endpoint URL, and reads them back.
func TestPushWritesBackToRealServers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers")
	}
	now := time.Now().Truncate(time.Minute)
	ss := []series.Series{
		{Labels: series.New("__name__", "omen_exhaustion_eta_seconds", "quantile", "0.5", "mountpoint", "/data"), Timestamps: []int64{now.Add(-time.Minute).UnixMilli(), now.UnixMilli()}, Values: []float64{3600, 3540}},
		{Labels: series.New("__name__", "omen_exhaustion_risk", "mountpoint", "/data", "pattern", "steady-growth"), Timestamps: []int64{now.Add(-time.Minute).UnixMilli(), now.UnixMilli()}, Values: []float64{math.NaN(), 3}},
	}
	promSrv := testrig.Prometheus(t, nil)
	vmSrv := testrig.VictoriaMetrics(t, nil)
	for name, url := range map[string]string{
		"prometheus by base URL":              promSrv.URL,
		"victoria-metrics by base URL":        vmSrv.URL,
		"victoria-metrics by import endpoint": vmSrv.URL + "/api/v1/import/prometheus",
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			require.NoError(t, sink.Push(ctx, sink.PushConfig{URL: url}, ss))
			if vmSrv.URL == url[:len(vmSrv.URL)] {
				require.NoError(t, testrig.ImportVictoriaMetrics(ctx, vmSrv.URL, nil))
			}
			c, err := prom.New(prom.Config{URL: url[:len("http://127.0.0.1:")+5]})
			require.NoError(t, err)
			var res *source.Result
			require.Eventually(t, func() bool {
				res, err = c.QueryRange(ctx, source.Query{Expr: `{__name__=~"omen_.*"}`, Start: now.Add(-time.Minute), End: now, Step: time.Minute})
				return err == nil && len(res.Series) == 2
			}, 10*time.Second, 100*time.Millisecond)
			require.Equal(t, ss[0].Labels, res.Series[0].Labels)
			require.Equal(t, []float64{3600, 3540}, res.Series[0].Values)
			require.Equal(t, 3.0, res.Series[1].Values[len(res.Series[1].Values)-1])
		})
	}
}

func TestPushNamesTheReceiverOnFailure(t *testing.T) {
	err := sink.Push(context.Background(), sink.PushConfig{URL: "http://127.0.0.1:1", Timeout: time.Second}, nil)
	require.ErrorIs(t, err, sink.ErrPush)
	require.Contains(t, err.Error(), "127.0.0.1:1")
	err = sink.Push(context.Background(), sink.PushConfig{URL: "not a url"}, nil)
	require.ErrorContains(t, err, "invalid URL")
}
