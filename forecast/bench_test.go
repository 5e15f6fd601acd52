package forecast

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchHourly is an M4-length hourly series (960 values, 40 days): level
// with drift, daily and weekly patterns, AR(1) noise.
func benchHourly(seed uint64) []float64 {
	return benchSeries(960, 24, 168, seed)
}

// bench5m is a 14-day 5-minute series (4,032 values) with daily (288) and
// weekly (2016) patterns.
func bench5m(seed uint64) []float64 {
	return benchSeries(4032, 288, 2016, seed)
}

func benchSeries(n, day, week int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	y := make([]float64, n)
	phase := r.IntN(7)
	e := 0.0
	for t := range y {
		d := 1 + 0.3*math.Sin(2*math.Pi*float64(t)/float64(day)) + 0.1*math.Sin(4*math.Pi*float64(t)/float64(day))
		w := 1.0
		if (t/day+phase)%7 >= 5 {
			w = 0.7
		}
		e = 0.8*e + r.NormFloat64()*0.03
		y[t] = 100 * (1 + 0.2*float64(t)/float64(n)) * d * w * (1 + e)
	}
	_ = week
	return y
}

func benchModel(b *testing.B, m Model, y []float64, periods []int, h int) {
	b.Helper()
	var fc Forecast
	cfg := FitConfig{Periods: periods}
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		f, err := m.Fit(y, cfg)
		if err != nil {
			b.Fatal(err)
		}
		f.Forecast(&fc, h, 0.8)
	}
	b.ReportMetric(float64(processCPU()-cpu0)/1e6/float64(b.N), "cpu-ms/op")
}

// BenchmarkModels fits and forecasts each model once per iteration on an
// M4-length hourly series (h = 48) and a 14-day 5-minute series (h = 288).
func BenchmarkModels(b *testing.B) {
	hourly, fiveMin := benchHourly(1), bench5m(1)
	models := []Model{Naive{}, SeasonalNaive{}, Drift{}, Linear{}, TheilSen{}, SES{}, Holt{Damped: true},
		HoltWinters{Damped: true}, HoltWinters{Damped: true, Multiplicative: true}, STLModel{}, MSTLModel{}, Theta{}}
	for _, m := range models {
		b.Run(m.Name()+"/hourly-960", func(b *testing.B) { benchModel(b, m, hourly, []int{24, 168}, 48) })
		b.Run(m.Name()+"/5min-4032", func(b *testing.B) { benchModel(b, m, fiveMin, []int{288, 2016}, 288) })
	}
}

// BenchmarkAuto is Auto's fit and forecast: one M4-length hourly series
// (candidates 24 and 168, h = 48) and one 14-day 5-minute series
// (candidates 288 and 2016, h = 288).
func BenchmarkAuto(b *testing.B) {
	b.Run("hourly-960", func(b *testing.B) {
		benchModel(b, AutoModel{Options: AutoOptions{Step: time.Hour, Horizon: 48}}, benchHourly(1), nil, 48)
	})
	b.Run("5min-4032", func(b *testing.B) {
		benchModel(b, AutoModel{Options: AutoOptions{Step: 5 * time.Minute, Horizon: 288}}, bench5m(1), nil, 288)
	})
}

// BenchmarkFleet forecasts 10,000 distinct 14-day 5-minute series one day
// ahead with Auto on all cores (GOMAXPROCS workers); one iteration is the
// whole fleet. Run with -benchtime 1x.
func BenchmarkFleet(b *testing.B) {
	const fleet = 10000
	workers := runtime.GOMAXPROCS(0)
	m := AutoModel{Options: AutoOptions{Step: 5 * time.Minute, Horizon: 288}}
	// series are generated per worker (seeded by index) outside the timing
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		var next atomic.Int64
		var wg sync.WaitGroup
		var elapsed atomic.Int64
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var fc Forecast
				for {
					i := next.Add(1) - 1
					if i >= fleet {
						return
					}
					y := bench5m(uint64(i))
					t0 := time.Now()
					f, err := m.Fit(y, FitConfig{})
					if err != nil {
						panic(err)
					}
					f.Forecast(&fc, 288, 0.8)
					elapsed.Add(int64(time.Since(t0)))
				}
			}()
		}
		wg.Wait()
		b.ReportMetric(float64(elapsed.Load())/1e6/fleet, "wall-ms/series")
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/fleet")
	b.ReportMetric(float64(processCPU()-cpu0)/1e9/float64(b.N), "cpu-s/fleet")
}

// BenchmarkKernels measures the inner loops that must not allocate.
func BenchmarkKernels(b *testing.B) {
	y := benchHourly(2)
	b.Run("etsSSE-hw-960", func(b *testing.B) {
		f := etsForm{trend: true, damped: true, season: addSeason, m: 24}
		s0, ring := make([]float64, 24), make([]float64, 24)
		l0, b0 := etsInit(y, f, s0)
		p := etsParams{alpha: 0.2, beta: 0.01, gamma: 0.05, phi: 0.95}
		b.ReportAllocs()
		for b.Loop() {
			etsSSE(y, f, p, l0, b0, s0, ring)
		}
	})
	b.Run("mstl-24-168-960", func(b *testing.B) {
		var ws mstlWork
		var d Decomposition
		b.ReportAllocs()
		for b.Loop() {
			mstlRun(&ws, y, []int{24, 168}, MSTLOptions{}, &d)
		}
	})
	y5 := bench5m(2)
	b.Run("mstl-288-4032", func(b *testing.B) {
		var ws mstlWork
		var d Decomposition
		b.ReportAllocs()
		for b.Loop() {
			mstlRun(&ws, y5, []int{288, 2016}, MSTLOptions{}, &d)
		}
	})
}
