package capacity_test

import (
	"context"
	"testing"

	"github.com/omenhq/omen/capacity"
	"github.com/omenhq/omen/fixtures"
)

// BenchmarkPredict predicts one 14-day, 5-minute series (4,032 points) of
// each kind; the target is at most 5 ms each.
func BenchmarkPredict(b *testing.B) {
	scs := fixtures.CapacitySuite(1, 16)
	at := fixtures.SuiteAt()
	for _, name := range []string{"disk-000-steady", "disk-001-logrotate", "memory-002-leak", "memory-003-gc",
		"disk-004-logrotate-growth", "disk-005-batch", "disk-006-accelerating", "memory-007-deploy-ramp", "disk-008-seasonal-growth"} {
		var sc fixtures.Scenario
		for _, s := range scs {
			if s.Name == name {
				sc = s
			}
		}
		t := target(sc)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := capacity.Predict(t, at, capacity.Config{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPredictAll predicts the 160 targets of the capacity suite with
// two workers; ns/target is the wall time per target.
func BenchmarkPredictAll(b *testing.B) {
	scs := fixtures.CapacitySuite(1, 160)
	targets := make([]capacity.Target, len(scs))
	for i, sc := range scs {
		targets[i] = target(sc)
	}
	at := fixtures.SuiteAt()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := capacity.PredictAll(context.Background(), targets, at, capacity.Config{}, 2); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(targets)), "ns/target")
}
