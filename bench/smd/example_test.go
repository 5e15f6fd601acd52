package smd_test

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/omenhq/omen/bench/smd"
)

// Run omen's machine detector, the z-score baseline and omen's single-series
// detector on every metric, on every machine of a folder in SMD's layout.
func ExampleRun() {
	rep, err := smd.Run(context.Background(), smd.Options{DataDir: filepath.Join("testdata", "mini")})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range rep.Machines {
		for _, x := range m.Methods {
			fmt.Printf("%s %s (%s): caught %d/%d\n", m.Name, x.Detector, x.Rule, x.Event.Caught, x.Event.Events)
		}
	}
	// Output:
	// m-1 omen (a priori: 0.999 quantile of train scores): caught 1/1
	// m-1 zscore (a priori: 0.999 quantile of train scores): caught 1/1
	// m-1 omen (oracle best event F1): caught 1/1
	// m-1 zscore (oracle best event F1): caught 1/1
	// m-1 surprise (a priori: default threshold, Bonferroni over 3 metrics): caught 1/1
	// m-1 surprise (oracle best event F1): caught 1/1
}
