package capacity_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/capacity"
	"github.com/omenhq/omen/fixtures"
)

// TestPredictDemoFleet checks the situations documented in
// fixtures.DemoFleet: what runs out and when, and what only looks like it.
//
// The fixture calls /data (about 30 hours) critical; with the default
// thresholds of the issue (critical when P50 < 24h) a 30-hour ETA is a
// warning, and it is critical with Critical set to 48 hours, which the
// test checks too.
func TestPredictDemoFleet(t *testing.T) {
	f := fixtures.DemoFleet()
	h := time.Hour
	type want struct {
		patterns []capacity.Pattern
		eta      time.Duration // P50; 0 means none within the horizon
		risk     capacity.Risk
	}
	none := time.Duration(0)
	cases := map[string]want{
		"worker-1 /":                  {[]capacity.Pattern{capacity.PatternSteadyGrowth, capacity.PatternDailyBatch, capacity.PatternFlat}, none, capacity.RiskOK},
		"worker-1 /var/log":           {[]capacity.Pattern{capacity.PatternSawtooth}, none, capacity.RiskOK},
		"worker-1 /data":              {[]capacity.Pattern{capacity.PatternSteadyGrowth, capacity.PatternSeasonal}, 30 * h, capacity.RiskWarning},
		"worker-1 /run":               {[]capacity.Pattern{capacity.PatternFlat}, none, capacity.RiskOK},
		"worker-2 /":                  {[]capacity.Pattern{capacity.PatternDecreasing}, none, capacity.RiskOK},
		"worker-2 /var/lib/kafka":     {[]capacity.Pattern{capacity.PatternSawtooth, capacity.PatternSteadyGrowth}, 81 * h, capacity.RiskWarning},
		"worker-2 overlay":            {[]capacity.Pattern{capacity.PatternSteadyGrowth}, 144 * h, capacity.RiskWarning},
		"worker-2 /dev/shm":           {[]capacity.Pattern{capacity.PatternSeasonal}, none, capacity.RiskOK},
		"db-1 /":                      {[]capacity.Pattern{capacity.PatternSeasonal}, none, capacity.RiskOK},
		"db-1 /var/lib/postgresql":    {[]capacity.Pattern{capacity.PatternAccelerating}, 108 * h, capacity.RiskWarning},
		"db-1 /mnt/backup":            {[]capacity.Pattern{capacity.PatternDailyBatch}, none, capacity.RiskOK},
		"db-1 /mnt/archive":           {[]capacity.Pattern{capacity.PatternFlat}, none, capacity.RiskOK},
		"db-1 /var/lib/prometheus":    {[]capacity.Pattern{capacity.PatternStep}, none, capacity.RiskOK},
		"shop/checkout":               {[]capacity.Pattern{capacity.PatternLeak}, 15*h + 15*time.Minute, capacity.RiskCritical},
		"shop/checkout istio-proxy":   {[]capacity.Pattern{capacity.PatternFlat}, none, capacity.RiskOK},
		"shop/cart":                   {[]capacity.Pattern{capacity.PatternSawtooth}, none, capacity.RiskOK},
		"shop/search-0":               {[]capacity.Pattern{capacity.PatternRampPlateau}, none, capacity.RiskOK},
		"shop/frontend":               {[]capacity.Pattern{capacity.PatternSeasonal}, none, capacity.RiskOK},
		"payments/ledger-0":           {[]capacity.Pattern{capacity.PatternAccelerating}, 96 * h, capacity.RiskWarning},
		"payments/api":                {[]capacity.Pattern{capacity.PatternSeasonal, capacity.PatternFlat}, none, capacity.RiskOK},
		"monitoring/prometheus-k8s-0": {[]capacity.Pattern{capacity.PatternSawtooth, capacity.PatternSteadyGrowth}, none, capacity.RiskInfo},
		"monitoring/grafana":          {[]capacity.Pattern{capacity.PatternNoLimit}, none, capacity.RiskOK},
		"kube-system/coredns":         {[]capacity.Pattern{capacity.PatternFlat}, none, capacity.RiskOK},
		"data/etl-worker":             {[]capacity.Pattern{capacity.PatternDailyBatch}, none, capacity.RiskOK},
		"data/redis-0":                {[]capacity.Pattern{capacity.PatternStep}, none, capacity.RiskOK},
	}
	require.Len(t, f.Scenarios, len(cases))
	for _, sc := range f.Scenarios {
		w, ok := cases[sc.Name]
		require.True(t, ok, "no expectation for %s", sc.Name)
		t.Run(sc.Name, func(t *testing.T) {
			p, err := capacity.Predict(target(sc), f.End, capacity.Config{})
			require.NoError(t, err)
			require.Contains(t, w.patterns, p.Pattern, p.Reason)
			if w.eta == none {
				require.Equal(t, time.Duration(-1), p50(p), p.Reason)
			} else {
				require.InDelta(t, w.eta.Hours(), p50(p).Hours(), 0.1*w.eta.Hours(), p.Reason)
				truth, ok := sc.TimeToFull(f.End)
				require.True(t, ok)
				require.InDelta(t, truth.Hours(), p50(p).Hours(), 0.1*truth.Hours(), p.Reason)
			}
			if sc.Name == "monitoring/prometheus-k8s-0" {
				// Eight days: beyond the horizon, at most a plausible
				// early crossing.
				require.LessOrEqual(t, p.Risk, capacity.RiskInfo, p.Reason)
				return
			}
			require.Equal(t, w.risk, p.Risk, p.Reason)
		})
	}
	t.Run("a 48-hour critical threshold makes /data critical", func(t *testing.T) {
		for _, sc := range f.Scenarios {
			if sc.Name == "worker-1 /data" {
				p, err := capacity.Predict(target(sc), f.End, capacity.Config{Critical: 48 * time.Hour})
				require.NoError(t, err)
				require.Equal(t, capacity.RiskCritical, p.Risk)
			}
		}
	})
}

// TestPredictDemoFleetFromSeries runs the same prediction on the series a
// server would return (missed scrapes absent, not NaN), as the CLI will.
func TestPredictDemoFleetFromSeries(t *testing.T) {
	f := fixtures.DemoFleet()
	for _, sc := range f.Scenarios {
		if sc.Name != "shop/checkout" && sc.Name != "worker-1 /data" {
			continue
		}
		dense, err := capacity.Predict(target(sc), f.End, capacity.Config{})
		require.NoError(t, err)
		sparse := target(sc)
		sparse.Usage = fixtures.Sparse(sc.Series)
		sparse.Restarts = fixtures.Sparse(sc.Restarts)
		p, err := capacity.Predict(sparse, f.End, capacity.Config{})
		require.NoError(t, err)
		requireSame(t, dense, p, sc.Name)
	}
}
