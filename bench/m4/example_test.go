package m4_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/omenhq/omen/bench/m4"
)

func ExampleRun() {
	// Three hourly series in the M4 format (testdata); `omen bench m4` runs
	// the same on the competition's files.
	rep, err := m4.Run(context.Background(), m4.Options{
		TrainPath: filepath.Join("testdata", "mini-train.csv"),
		TestPath:  filepath.Join("testdata", "mini-test.csv"),
		Model:     "snaive",
		Period:    24,
		Horizon:   48,
		Workers:   2,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d series: sMAPE %.3f MASE %.3f OWA %.3f (Naive2 %.3f / %.3f)\n",
		rep.Series, rep.SMAPE, rep.MASE, rep.OWA, rep.Naive2SMAPE, rep.Naive2MASE)
	// Output:
	// 3 series: sMAPE 7.125 MASE 1.501 OWA 1.438 (Naive2 5.035 / 1.027)
}

func ExampleNaive2() {
	// two days of an hourly series with a clear daily cycle, three days needed
	// for the seasonality test: a naive forecast
	x := make([]float64, 48)
	for t := range x {
		x[t] = float64(10 + t%24)
	}
	fmt.Println(m4.Naive2(nil, x, 24, 3))
	// Output:
	// [33 33 33]
}

func ExampleSMAPE() {
	fmt.Printf("%.3f\n", m4.SMAPE([]float64{100, 200}, []float64{110, 180}))
	// Output:
	// 10.025
}

func ExampleWriteForecasts() {
	_ = m4.WriteForecasts(os.Stdout, []m4.Series{{ID: "H1", Values: []float64{605, 586.5}}})
	// Output:
	// id,F1,F2
	// H1,605,586.5
}

func ExampleRead() {
	s, _ := m4.Read(strings.NewReader("\"V1\",\"V2\",\"V3\"\n\"H1\",\"605\",\"\"\n"), "example.csv")
	fmt.Println(s[0].ID, s[0].Values)
	// Output:
	// H1 [605]
}
