package nab_test

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/omenhq/omen/bench/nab"
)

// Run omen's default detector over a corpus in NAB's layout and read the
// three profiles' scores.
func ExampleRun() {
	rep, err := nab.Run(context.Background(), nab.Options{DataDir: filepath.Join("testdata", "mini"), Workers: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rep.Results {
		fmt.Printf("%s: %.2f (%d/%d windows, %d false positives)\n", r.Profile.Name, r.Score, r.Detected, r.Windows, r.FP)
	}
	// Output:
	// standard: 93.14 (1/1 windows, 0 false positives)
	// reward_low_FP_rate: 93.14 (1/1 windows, 0 false positives)
	// reward_low_FN_rate: 95.42 (1/1 windows, 0 false positives)
}

// Score a published detector's per-row results at its published thresholds.
func ExampleEvaluator_Score() {
	c, err := nab.LoadCorpus(filepath.Join("testdata", "mini"))
	if err != nil {
		fmt.Println(err)
		return
	}
	// A detector that fires on the first row of the window only.
	scores := make([][]float64, len(c.Files))
	for i, f := range c.Files {
		scores[i] = make([]float64, f.Len())
		for _, w := range f.Windows {
			scores[i][w.Start] = 1
		}
	}
	r := nab.NewEvaluator(c).Score(scores, nab.Standard, 0.5)
	fmt.Printf("%.1f\n", r.Score)
	// Output:
	// 100.0
}
