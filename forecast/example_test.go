package forecast_test

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/omenhq/omen/forecast"
	"github.com/omenhq/omen/series"
)

func show(fc *forecast.Forecast, err error) {
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	for i := range fc.Mean {
		fmt.Printf("%.2f [%.2f, %.2f]\n", fc.Mean[i], fc.Lower[i], fc.Upper[i])
	}
}

func ExampleNaive() {
	show(forecast.Predict(forecast.Naive{}, []float64{1, 2, 3}, forecast.FitConfig{}, 2, 0.8))
	// Output:
	// 3.00 [1.72, 4.28]
	// 3.00 [1.19, 4.81]
}

func ExampleDrift() {
	show(forecast.Predict(forecast.Drift{}, []float64{1, 3, 5, 8}, forecast.FitConfig{}, 2, 0.8))
	// Output:
	// 10.33 [9.64, 11.03]
	// 12.67 [11.56, 13.77]
}

func ExampleSeasonalNaive() {
	y := []float64{1, 2, 3, 4, 5, 6}
	show(forecast.Predict(forecast.SeasonalNaive{Period: 3}, y, forecast.FitConfig{}, 4, 0.8))
	// Output:
	// 4.00 [0.16, 7.84]
	// 5.00 [1.16, 8.84]
	// 6.00 [2.16, 9.84]
	// 4.00 [-1.44, 9.44]
}

func ExampleLinear() {
	show(forecast.Predict(forecast.Linear{}, []float64{5, 8, 11, 14, 17}, forecast.FitConfig{}, 2, 0.8))
	// Output:
	// 20.00 [20.00, 20.00]
	// 23.00 [23.00, 23.00]
}

func ExampleTheilSen() {
	// the spike at the fifth value does not move the robust line
	y := []float64{5, 8, 11, 14, 1000, 20, 23, 26, 29}
	fc, _ := forecast.Predict(forecast.TheilSen{}, y, forecast.FitConfig{}, 2, 0.8)
	fmt.Printf("%.2f %.2f\n", fc.Mean[0], fc.Mean[1])
	// Output:
	// 32.00 35.00
}

func ExampleSES() {
	show(forecast.Predict(forecast.SES{}, []float64{4, 4, 4, 4, 4, 4}, forecast.FitConfig{}, 1, 0.8))
	// Output:
	// 4.00 [4.00, 4.00]
}

func ExampleHolt() {
	y := make([]float64, 30)
	for t := range y {
		y[t] = 10 + 2*float64(t)
	}
	fc, _ := forecast.Predict(forecast.Holt{Damped: false}, y, forecast.FitConfig{}, 3, 0.8)
	fmt.Printf("%s: %.2f %.2f %.2f\n", fc.Model, fc.Mean[0], fc.Mean[1], fc.Mean[2])
	// Output:
	// holt: 70.00 72.00 74.00
}

func ExampleHoltWinters() {
	pattern := []float64{3, -1, -4, 2}
	y := make([]float64, 40)
	for t := range y {
		y[t] = 10 + 0.5*float64(t) + pattern[t%4]
	}
	fc, _ := forecast.Predict(forecast.HoltWinters{Period: 4}, y, forecast.FitConfig{}, 4, 0.8)
	fmt.Printf("%s: %.2f %.2f %.2f %.2f\n", fc.Model, fc.Mean[0], fc.Mean[1], fc.Mean[2], fc.Mean[3])
	// Output:
	// hw: 33.00 29.50 27.00 33.50
}

func ExampleSTL() {
	pattern := []float64{3, -1, -4, 2}
	y := make([]float64, 12)
	for t := range y {
		y[t] = 10 + pattern[t%4]
	}
	d, _ := forecast.STL(y, forecast.STLOptions{Period: 4})
	fmt.Printf("trend %.2f, seasonal %.2f %.2f %.2f %.2f\n", d.Trend[0], d.Seasonal[0][0], d.Seasonal[0][1], d.Seasonal[0][2], d.Seasonal[0][3])
	// Output:
	// trend 10.00, seasonal 3.00 -1.00 -4.00 2.00
}

func ExampleMSTL() {
	y := make([]float64, 24*7*3)
	for t := range y {
		y[t] = 100 + 10*math.Sin(2*math.Pi*float64(t)/24) + 5*math.Sin(2*math.Pi*float64(t)/168)
	}
	d, _ := forecast.MSTL(y, []int{24, 168}, forecast.MSTLOptions{})
	fmt.Println("periods", d.Periods)
	fmt.Printf("daily amplitude %.1f, weekly amplitude %.1f\n", amplitude(d.Seasonal[0][168:]), amplitude(d.Seasonal[1][168:336]))
	// Output:
	// periods [24 168]
	// daily amplitude 10.0, weekly amplitude 5.0
}

func amplitude(v []float64) float64 {
	lo, hi := v[0], v[0]
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return (hi - lo) / 2
}

func ExampleMSTLModel() {
	pattern := []float64{3, -1, -4, 2}
	y := make([]float64, 40)
	for t := range y {
		y[t] = 10 + pattern[t%4]
	}
	fc, _ := forecast.Predict(forecast.MSTLModel{}, y, forecast.FitConfig{Periods: []int{4}}, 4, 0.8)
	fmt.Printf("%.2f %.2f %.2f %.2f\n", fc.Mean[0], fc.Mean[1], fc.Mean[2], fc.Mean[3])
	fmt.Println(fc.Reason[:strings.Index(fc.Reason, " (")])
	// Output:
	// 13.00 9.00 6.00 12.00
	// periods [4]; adjusted series by ses
}

func ExampleTheta() {
	y := make([]float64, 40)
	for t := range y {
		y[t] = 50 * []float64{1.2, 0.9, 0.7, 1.2}[t%4]
	}
	fc, _ := forecast.Predict(forecast.Theta{Period: 4}, y, forecast.FitConfig{}, 4, 0.8)
	fmt.Printf("%.2f %.2f %.2f %.2f\n", fc.Mean[0], fc.Mean[1], fc.Mean[2], fc.Mean[3])
	// Output:
	// 60.00 45.00 35.00 60.00
}

func ExampleAuto() {
	// three weeks of hourly data with a daily cycle and quiet week-ends
	y := make([]float64, 24*21)
	for t := range y {
		week := 1.0
		if (t/24)%7 >= 5 {
			week = 0.6
		}
		y[t] = (100 + 20*math.Sin(2*math.Pi*float64(t)/24)) * week
	}
	fc, err := forecast.Auto(y, forecast.AutoOptions{Step: time.Hour, Horizon: 24})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("periods", fc.Periods)
	fmt.Printf("next hour %.1f, in 6 hours %.1f\n", fc.Mean[0], fc.Mean[5])
	// Output:
	// periods [24 168]
	// next hour 100.0, in 6 hours 119.3
}

func ExampleETA() {
	// free disk space falling by 10 GB an hour, ±20% uncertainty
	fc := &forecast.Forecast{Level: 0.8}
	for h := 1; h <= 12; h++ {
		m := 100 - 10*float64(h)
		fc.Mean = append(fc.Mean, m)
		fc.Lower = append(fc.Lower, m-2*float64(h))
		fc.Upper = append(fc.Upper, m+2*float64(h))
	}
	c := forecast.ETA(fc, 5, series.Down)
	p10, p50, p90 := c.Durations(time.Hour)
	fmt.Println("P10", p10.Round(time.Minute), "P50", p50.Round(time.Minute), "P90", p90.Round(time.Minute))
	// Output:
	// P10 7h55m0s P50 9h30m0s P90 11h53m0s
}

func ExampleImpute() {
	nan := math.NaN()
	y := []float64{1, 5, 2, 6, nan, 7, 4, 8}
	filled, k, _ := forecast.Impute(nil, y, 2)
	fmt.Println(filled, k)
	// Output:
	// [1 5 2 6 3 7 4 8] 1
}

func ExampleConformal() {
	// hourly values whose day-to-day noise the analytical interval of
	// seasonal naive would assume Gaussian; the conformal interval uses the
	// validation errors instead
	y := make([]float64, 24*10)
	for t := range y {
		y[t] = 50 + 10*math.Sin(2*math.Pi*float64(t)/24) + float64((t*7919)%5)
	}
	m := forecast.Conformal{Model: forecast.SeasonalNaive{Period: 24}, Horizon: 24}
	fc, _ := forecast.Predict(m, y, forecast.FitConfig{}, 24, 0.8)
	fmt.Printf("%s: %.2f [%.2f, %.2f]\n", fc.Model, fc.Mean[0], fc.Lower[0], fc.Upper[0])
	// Output:
	// snaive+conformal: 54.00 [50.00, 58.00]
}

func ExampleForStep() {
	// what `omen forecast --model snaive --horizon 1d` does with 5-minute data
	m, cfg, _ := forecast.ForStep("snaive", 5*time.Minute, 288)
	fmt.Println(m.Name(), cfg.Periods)
	// Output:
	// snaive [288 2016]
}

func ExampleETS() {
	// a line with a little alternating noise: AICc prefers a trend to SES
	y := make([]float64, 40)
	for t := range y {
		y[t] = 10 + 2*float64(t) + 0.1*float64(1-2*(t%2))
	}
	fc, _ := forecast.Predict(forecast.ETS{}, y, forecast.FitConfig{}, 2, 0.8)
	fmt.Printf("%s: %.1f %.1f\n", fc.Model, fc.Mean[0], fc.Mean[1])
	// Output:
	// holt: 90.0 92.0
}
