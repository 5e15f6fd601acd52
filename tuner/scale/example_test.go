package scale_test

import (
	"fmt"
	"os"
	"time"

	"github.com/omenhq/omen/tuner/scale"
)

// Replaying a day of load under two policies: with the second HPA's
// target, the pods have too little headroom for the morning rise and
// saturate while new ones start; the first costs more pods all day.
func ExampleSimulate() {
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	load := make([]float64, 24*60) // total cores, one sample a minute
	for i := range load {
		switch {
		case i >= 8*60 && i < 9*60:
			load[i] = 2 + 6*float64(i-8*60)/60 // the morning rise
		case i >= 9*60 && i < 17*60:
			load[i] = 8 // business hours
		default:
			load[i] = 2
		}
	}
	d := scale.Demand{Start: start, Step: time.Minute, Load: map[string][]float64{"cpu": load}}
	for _, target := range []float64{0.6, 0.95} {
		p := scale.Policy{
			MinReplicas: 2, MaxReplicas: 20,
			Metrics: []scale.Metric{{Name: "cpu", Type: scale.Utilization, Target: target, Request: 1}},
			ScaleUp: scale.DefaultScaleUp(), ScaleDown: scale.DefaultScaleDown(),
		}
		r, err := scale.Simulate(p, d, scale.SimConfig{StartupDelay: 2 * time.Minute})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("target %.0f%%: %.1f saturated minutes, %.0f replica-hours, peak %d replicas\n", 100*target, r.SaturatedMinutes, r.ReplicaHours, r.PeakReplicas)
	}
	// Output:
	// target 60%: 0.0 saturated minutes, 181 replica-hours, peak 14 replicas
	// target 95%: 19.0 saturated minutes, 115 replica-hours, peak 8 replicas
}

// Editing a manifest changes only the bytes of the values, and the result
// is checked by decoding it strictly.
func ExampleEdit() {
	src := []byte(`apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2   # nights
  maxReplicas: 4
`)
	obj := scale.Ref{Kind: scale.KindHPA, APIVersion: "autoscaling/v2", Name: "web"}
	out, err := scale.Edit(src, obj, []scale.Change{{Field: "maxReplicas", From: 4, To: 10}, {Field: "behavior.scaleDown.stabilizationWindowSeconds", To: 600}})
	if err != nil {
		fmt.Println(err)
		return
	}
	os.Stdout.Write(out)
	// Output:
	// apiVersion: autoscaling/v2
	// kind: HorizontalPodAutoscaler
	// metadata:
	//   name: web
	// spec:
	//   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
	//   minReplicas: 2   # nights
	//   maxReplicas: 10
	//   behavior:
	//     scaleDown:
	//       stabilizationWindowSeconds: 600
}
