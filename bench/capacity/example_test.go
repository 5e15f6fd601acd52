package capacity_test

import (
	"context"
	"fmt"
	"time"

	benchcap "github.com/omenhq/omen/bench/capacity"
	"github.com/omenhq/omen/fixtures"
)

// Score omen and the node-exporter mixin's predict_linear rule on a small
// suite: sixteen scenarios, as of five instants a day apart.
func ExampleRun() {
	var asofs []time.Time
	for k := -2; k <= 2; k++ {
		asofs = append(asofs, fixtures.SuiteAt().Add(time.Duration(k)*24*time.Hour))
	}
	rep, err := benchcap.Run(context.Background(), benchcap.Options{Seed: 1, N: 16, AsOfs: asofs, TrapStep: 6 * time.Hour})
	if err != nil {
		panic(err)
	}
	for _, s := range append([]benchcap.Score{rep.Omen}, rep.Rules[:2]...) {
		fmt.Printf("%-27s F1 %.2f, false alarms per trap series-day %.2f\n", s.Name, s.F1, s.FalseAlarms)
	}
	// Output:
	// omen                        F1 1.00, false alarms per trap series-day 0.00
	// predict_linear[6h] for 1h   F1 0.47, false alarms per trap series-day 0.50
	// predict_linear[24h] for 1h  F1 0.80, false alarms per trap series-day 0.12
}
