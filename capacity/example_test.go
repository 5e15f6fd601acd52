package capacity_test

import (
	"context"
	"fmt"

	"github.com/omenhq/omen/capacity"
	"github.com/omenhq/omen/fixtures"
	"github.com/omenhq/omen/series"
)

// Predict when a container that leaks memory is next killed at its limit:
// the restart counter cuts its history into runs, and the growth since the
// last restart is extrapolated to the limit.
func ExamplePredict() {
	f := fixtures.DemoFleet()
	for _, sc := range f.Scenarios {
		if sc.Name != "shop/checkout" {
			continue
		}
		t := capacity.Target{
			Labels:    sc.Series.Labels,
			Usage:     sc.Series,   // container_memory_working_set_bytes
			Limit:     sc.Limit,    // kube_pod_container_resource_limits
			Restarts:  sc.Restarts, // kube_pod_container_status_restarts_total
			Direction: series.Up,
		}
		p, err := capacity.Predict(t, f.End, capacity.Config{})
		if err != nil {
			panic(err)
		}
		fmt.Println(p.Pattern, p.Risk, p.Segments, "segments")
		fmt.Printf("next OOM kill in %.0f hours (80%% between %.0f and %.0f)\n",
			p.ETA.P50.Hours(), p.ETA.P10.Hours(), p.ETA.P90.Hours())
	}
	// Output:
	// leak critical 5 segments
	// next OOM kill in 15 hours (80% between 14 and 16)
}

// Predict a fleet of disks: available bytes fall to zero (Down, limit 0);
// the size is only context.
func ExamplePredictAll() {
	f := fixtures.DemoFleet()
	var targets []capacity.Target
	for _, sc := range f.Scenarios {
		if sc.Kind == fixtures.KindDisk {
			targets = append(targets, capacity.Target{Labels: sc.Series.Labels, Usage: sc.Series,
				Capacity: sc.Limit, LimitValue: 0, Direction: series.Down})
		}
	}
	ps, err := capacity.PredictAll(context.Background(), targets, f.End, capacity.Config{}, 2)
	if err != nil {
		panic(err)
	}
	for _, p := range ps {
		if p.Risk >= capacity.RiskWarning {
			fmt.Printf("%-13s %-22s %-8s %-13s full in %.1f days\n", p.Labels.Get("instance"), p.Labels.Get("device"), p.Risk, p.Pattern, p.ETA.P50.Hours()/24)
		}
	}
	// Output:
	// worker-1:9100 /dev/nvme2n1           warning  steady-growth full in 1.3 days
	// worker-2:9100 /dev/sdb1              warning  sawtooth      full in 3.5 days
	// worker-2:9100 overlay                warning  steady-growth full in 6.0 days
	// db-1:9100     /dev/mapper/vg0-pgdata warning  accelerating  full in 4.5 days
}
