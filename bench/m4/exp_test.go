//go:build exp

package m4

import (
	"flag"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/omenhq/omen/forecast"

	"github.com/omenhq/omen/internal/testrig"
)

var expSet = flag.String("set", "m4", "m4 or synth")

var expM = 24

type expFn func(y []float64, h int) []float64

type expData struct {
	train, test [][]float64
	m, h        int
	periods     []int
	n2s, n2m    float64
}

func loadExp(t *testing.T) *expData {
	d := &expData{}
	var tr, te string
	switch *expSet {
	case "synth":
		dir := testrig.SharedData(t, "synth-5min")
		tr, te = filepath.Join(dir, "train.csv"), filepath.Join(dir, "test.csv")
		d.m, d.h, d.periods = 288, 288, []int{288, 2016}
		expM = 288
	default:
		dir := dataDir(t)
		tr, te = filepath.Join(dir, "Hourly-train.csv"), filepath.Join(dir, "Hourly-test.csv")
		d.m, d.h, d.periods = 24, 48, []int{24, 168}
	}
	a, err := ReadFile(tr)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadFile(te)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		d.train = append(d.train, a[i].Values)
		d.test = append(d.test, b[i].Values[:d.h])
		n2 := Naive2(nil, a[i].Values, d.m, d.h)
		d.n2s += SMAPE(d.test[i], n2)
		d.n2m += MASE(a[i].Values, d.test[i], n2, d.m)
	}
	d.n2s /= float64(len(a))
	d.n2m /= float64(len(a))
	return d
}

func (d *expData) score(f expFn) (smape, mase, owa float64, per []float64) {
	n := len(d.train)
	sm := make([]float64, n)
	ms := make([]float64, n)
	var wg sync.WaitGroup
	ch := make(chan int)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ch {
				fc := f(d.train[i], d.h)
				sm[i] = SMAPE(d.test[i], fc)
				ms[i] = MASE(d.train[i], d.test[i], fc, d.m)
			}
		}()
	}
	for i := range n {
		ch <- i
	}
	close(ch)
	wg.Wait()
	for i := range n {
		smape += sm[i]
		mase += ms[i]
	}
	smape /= float64(n)
	mase /= float64(n)
	per = make([]float64, n)
	for i := range n {
		per[i] = OWA(sm[i], ms[i], d.n2s, d.n2m)
	}
	return smape, mase, OWA(smape, mase, d.n2s, d.n2m), per
}

func model(m forecast.Model, periods []int) expFn {
	return func(y []float64, h int) []float64 {
		fc, err := forecast.Predict(m, y, forecast.FitConfig{Periods: periods}, h, 0.8)
		if err != nil {
			panic(err)
		}
		return fc.Mean
	}
}

func snaive(p int) expFn {
	return func(y []float64, h int) []float64 {
		out := make([]float64, h)
		n := len(y)
		for i := range out {
			out[i] = y[n-p+i%p]
		}
		return out
	}
}

// seasonal mean of last k seasons, level adjusted by ratio of last day.
func smean(p, k int, adjust bool) expFn {
	return func(y []float64, h int) []float64 {
		n := len(y)
		k := min(k, n/p)
		out := make([]float64, h)
		for i := range out {
			s := 0.0
			for j := range k {
				s += y[n-p*(j+1)+i%p]
			}
			out[i] = s / float64(k)
		}
		if adjust && k > 1 {
			// level: mean of last p values vs mean of the k-season average
			a, b := 0.0, 0.0
			for i := range p {
				a += y[n-p+i]
				s := 0.0
				for j := range k {
					s += y[n-p*(j+1)+i]
				}
				b += s / float64(k)
			}
			for i := range out {
				out[i] += (a - b) / float64(p)
			}
		}
		return out
	}
}

func combine(med bool, fs ...expFn) expFn {
	return func(y []float64, h int) []float64 {
		all := make([][]float64, len(fs))
		for i, f := range fs {
			all[i] = f(y, h)
		}
		out := make([]float64, h)
		v := make([]float64, len(fs))
		for t := range h {
			for i := range fs {
				v[i] = all[i][t]
			}
			if med {
				sort.Float64s(v)
				k := len(v)
				if k%2 == 1 {
					out[t] = v[k/2]
				} else {
					out[t] = (v[k/2-1] + v[k/2]) / 2
				}
			} else {
				s := 0.0
				for _, x := range v {
					s += x
				}
				out[t] = s / float64(len(v))
			}
		}
		return out
	}
}

var _ = math.Abs

func TestExp(t *testing.T) {
	d := loadExp(t)
	P := d.periods
	cands := []struct {
		name string
		f    expFn
	}{
		{"snaive-d", snaive(P[0])},
		{"snaive-w", snaive(P[1])},
		{"smean-d7", smean(P[0], 7, false)},
		{"smean-d7adj", smean(P[0], 7, true)},
		{"smean-d3adj", smean(P[0], 3, true)},
		{"smean-w2adj", smean(P[1], 2, true)},
		{"smean-w3adj", smean(P[1], 3, true)},
		{"smean-w4adj", smean(P[1], 4, true)},
		{"mstl-ets", model(forecast.MSTLModel{}, P)},
		{"mstl-ses", model(forecast.MSTLModel{Adjusted: forecast.SES{}}, P)},
		{"mstl-naive", model(forecast.MSTLModel{Adjusted: forecast.Naive{}}, P)},
		{"mstl-damped", model(forecast.MSTLModel{Adjusted: forecast.Holt{Damped: true}}, P)},
		{"med(sn-w,mstl,smean-w3)", combine(true, snaive(P[1]), model(forecast.MSTLModel{}, P), smean(P[1], 3, true))},
		{"mean(mstl,smean-w3)", combine(false, model(forecast.MSTLModel{}, P), smean(P[1], 3, true))},
		{"mean(mstl,smean-w2, sn-d)", combine(false, model(forecast.MSTLModel{}, P), smean(P[1], 2, true), snaive(P[0]))},
	}
	for _, c := range cands {
		s, m, o, _ := d.score(c.f)
		fmt.Printf("%-30s sMAPE %7.3f MASE %6.3f OWA %.3f\n", c.name, s, m, o)
	}
}

func TestExpDetail(t *testing.T) {
	d := loadExp(t)
	P := d.periods
	fs := map[string]expFn{
		"sn-d":  snaive(P[0]),
		"sn-w":  snaive(P[1]),
		"mstl":  model(forecast.MSTLModel{}, P),
		"sm-w2": smean(P[1], 2, true),
	}
	names := []string{"sn-d", "sn-w", "mstl", "sm-w2"}
	mase := map[string][]float64{}
	smape := map[string][]float64{}
	for _, nm := range names {
		for i := range d.train {
			fc := fs[nm](d.train[i], d.h)
			mase[nm] = append(mase[nm], MASE(d.train[i], d.test[i], fc, d.m))
			smape[nm] = append(smape[nm], SMAPE(d.test[i], fc))
		}
	}
	idx := make([]int, len(d.train))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool {
		return mase["mstl"][idx[a]]+mase["sn-w"][idx[a]] > mase["mstl"][idx[b]]+mase["sn-w"][idx[b]]
	})
	for _, i := range idx[:30] {
		fmt.Printf("H%-4d n=%4d", i+1, len(d.train[i]))
		for _, nm := range names {
			fmt.Printf("  %s %6.2f/%5.1f", nm, mase[nm][i], smape[nm][i])
		}
		fmt.Println()
	}
}

// valSelect chooses per series among fs by rolling-origin validation over k
// origins (each h back) using loss on the train part; mode "best" or "inv" (inverse-loss weights) or "top2".
func valSelect(k int, mode string, names []string, fs ...expFn) (expFn, map[string]int) {
	counts := map[string]int{}
	var mu sync.Mutex
	return func(y []float64, h int) []float64 {
		n := len(y)
		loss := make([]float64, len(fs))
		for o := 1; o <= k; o++ {
			cut := n - o*h
			if cut < 3*h {
				break
			}
			tr, te := y[:cut], y[cut:cut+h]
			sc := MASEScale(tr, expM)
			for i, f := range fs {
				fc := f(tr, h)
				e := 0.0
				for j := range te {
					e += math.Abs(te[j]-fc[j]) / sc
				}
				loss[i] += e/float64(h) + SMAPE(te, fc)/10
			}
		}
		out := make([]float64, h)
		switch mode {
		case "best":
			b := 0
			for i := range loss {
				if loss[i] < loss[b] {
					b = i
				}
			}
			mu.Lock()
			counts[names[b]]++
			mu.Unlock()
			return fs[b](y, h)
		case "inv":
			wsum := 0.0
			for i, f := range fs {
				w := 1 / (loss[i] * loss[i])
				fc := f(y, h)
				for j := range out {
					out[j] += w * fc[j]
				}
				wsum += w
			}
			for j := range out {
				out[j] /= wsum
			}
		case "top2":
			ord := make([]int, len(fs))
			for i := range ord {
				ord[i] = i
			}
			sort.Slice(ord, func(a, b int) bool { return loss[ord[a]] < loss[ord[b]] })
			for _, i := range ord[:2] {
				fc := fs[i](y, h)
				for j := range out {
					out[j] += fc[j] / 2
				}
			}
		}
		return out
	}, counts
}

func TestExpVal(t *testing.T) {
	d := loadExp(t)
	P := d.periods
	names := []string{"sn-d", "mstl", "mstl-damped", "sm-d7adj", "theta", "sm-w2"}
	fs := []expFn{snaive(P[0]), model(forecast.MSTLModel{}, P), model(forecast.MSTLModel{Adjusted: forecast.Holt{Damped: true}}, P), smean(P[0], 7, true), model(forecast.Theta{}, P), smean(P[1], 2, true)}
	for _, k := range []int{1, 2, 3} {
		for _, mode := range []string{"best", "inv", "top2"} {
			f, counts := valSelect(k, mode, names, fs...)
			s, m, o, _ := d.score(f)
			fmt.Printf("k=%d %-5s sMAPE %7.3f MASE %6.3f OWA %.3f %v\n", k, mode, s, m, o, counts)
		}
	}
}

func TestExpAblate(t *testing.T) {
	d := loadExp(t)
	P := d.periods
	all := map[string]expFn{
		"sn-d":        snaive(P[0]),
		"mstl":        model(forecast.MSTLModel{}, P),
		"mstl-ses":    model(forecast.MSTLModel{Adjusted: forecast.SES{}}, P),
		"mstl-damped": model(forecast.MSTLModel{Adjusted: forecast.Holt{Damped: true}}, P),
		"sm-d7adj":    smean(P[0], 7, true),
		"theta":       model(forecast.Theta{}, P),
		"sm-w2":       smean(P[1], 2, true),
		"sn-w":        snaive(P[1]),
		"hw":          model(forecast.HoltWinters{Damped: true}, P),
	}
	sets := [][]string{
		{"sn-d", "mstl", "mstl-damped", "sm-d7adj", "theta", "sm-w2"},
		{"mstl", "mstl-damped", "sm-d7adj", "theta", "sm-w2"},
		{"sn-d", "mstl-damped", "sm-d7adj", "theta", "sm-w2"},
		{"sn-d", "mstl", "sm-d7adj", "theta", "sm-w2"},
		{"sn-d", "mstl", "mstl-damped", "theta", "sm-w2"},
		{"sn-d", "mstl", "mstl-damped", "sm-d7adj", "sm-w2"},
		{"sn-d", "mstl", "mstl-damped", "sm-d7adj", "theta"},
		{"sn-d", "mstl-ses", "sm-d7adj", "theta", "sm-w2"},
		{"sn-d", "mstl-ses", "mstl-damped", "sm-d7adj", "theta", "sm-w2"},
		{"sn-d", "mstl", "mstl-damped", "sm-d7adj", "theta", "sm-w2", "hw"},
		{"sn-d", "mstl", "mstl-damped", "sm-d7adj", "theta", "sn-w"},
	}
	for _, set := range sets {
		var fs []expFn
		for _, nm := range set {
			fs = append(fs, all[nm])
		}
		f, _ := valSelect(2, "inv", set, fs...)
		s, m, o, _ := d.score(f)
		fmt.Printf("%-60v sMAPE %7.3f MASE %6.3f OWA %.3f\n", set, s, m, o)
	}
}

// weekly-lag copy with the level shifted by the change between the last p
// values and the same values one season earlier (additive or ratio).
func snAdj(p, w int, mult bool) expFn {
	return func(y []float64, h int) []float64 {
		n := len(y)
		a, b := 0.0, 0.0
		for i := n - w; i < n; i++ {
			a += y[i]
			b += y[i-p]
		}
		out := make([]float64, h)
		for i := range out {
			v := y[n-p+i%p]
			if mult {
				out[i] = v * a / b
			} else {
				out[i] = v + (a-b)/float64(w)
			}
		}
		return out
	}
}

// sn-d times the ratio of the next day to the last day one long season earlier.
func snDW(pd, pw int) expFn {
	return func(y []float64, h int) []float64 {
		n := len(y)
		a, b := 0.0, 0.0
		for i := 0; i < pd; i++ {
			a += y[n-pw+i]
			b += y[n-pw-pd+i]
		}
		out := make([]float64, h)
		for i := range out {
			out[i] = y[n-pd+i%pd] * a / b
		}
		return out
	}
}

func TestExpSynth(t *testing.T) {
	d := loadExp(t)
	P := d.periods
	all := map[string]expFn{
		"sn-d":     snaive(P[0]),
		"sn-w":     snaive(P[1]),
		"snw-add":  snAdj(P[1], P[0], false),
		"snw-mul":  snAdj(P[1], P[0], true),
		"snw-add2": snAdj(P[1], 2*P[0], false),
		"mstl":     model(forecast.MSTLModel{}, P),
		"sm-d7adj": smean(P[0], 7, true),
		"theta":    model(forecast.Theta{}, P),
		"sn-dw":    snDW(P[0], P[1]),
	}
	all["mean(snw-mul,sn-dw)"] = combine(false, all["snw-mul"], all["sn-dw"])
	for _, nm := range []string{"snw-add", "snw-mul", "snw-add2", "sn-dw", "mean(snw-mul,sn-dw)"} {
		s, m, o, _ := d.score(all[nm])
		fmt.Printf("%-60v sMAPE %7.3f MASE %6.3f OWA %.3f\n", nm, s, m, o)
	}
	sets := [][]string{
		{"sn-d", "sn-w", "mstl", "theta", "sm-d7adj"},
		{"sn-d", "sn-w", "snw-add", "mstl", "theta", "sm-d7adj"},
		{"sn-w", "snw-add"},
		{"sn-d", "snw-mul", "sn-dw", "mstl", "theta"},
	}
	for _, set := range sets {
		var fs []expFn
		for _, nm := range set {
			fs = append(fs, all[nm])
		}
		for _, mode := range []string{"best", "inv"} {
			for _, k := range []int{2, 4} {
				f, _ := valSelect(k, mode, set, fs...)
				s, m, o, _ := d.score(f)
				fmt.Printf("%-5s k=%d %-50s sMAPE %7.3f MASE %6.3f OWA %.3f\n", mode, k, fmt.Sprint(set), s, m, o)
			}
		}
	}
}

func TestExpBoth(t *testing.T) {
	d := loadExp(t)
	P := d.periods
	all := map[string]expFn{
		"sn-d":     snaive(P[0]),
		"snw-mul":  snAdj(P[1], P[0], true),
		"sn-dw":    snDW(P[0], P[1]),
		"mstl":     model(forecast.MSTLModel{}, P),
		"theta":    model(forecast.Theta{}, P),
		"sm-w2":    smean(P[1], 2, true),
		"sm-d7adj": smean(P[0], 7, true),
	}
	for _, nm := range []string{"snw-mul", "sn-dw"} {
		s, m, o, _ := d.score(all[nm])
		fmt.Printf("%-60v sMAPE %7.3f MASE %6.3f OWA %.3f\n", nm, s, m, o)
	}
	sets := [][]string{
		{"sn-d", "mstl", "theta", "sm-w2", "sm-d7adj"},
		{"sn-d", "snw-mul", "sn-dw", "mstl", "theta"},
		{"sn-d", "snw-mul", "sn-dw", "mstl", "theta", "sm-w2"},
		{"sn-d", "snw-mul", "sn-dw", "mstl", "theta", "sm-w2", "sm-d7adj"},
	}
	for _, set := range sets {
		var fs []expFn
		for _, nm := range set {
			fs = append(fs, all[nm])
		}
		for _, mode := range []string{"best", "inv", "top2"} {
			for _, k := range []int{2, 4} {
				f, _ := valSelect(k, mode, set, fs...)
				s, m, o, _ := d.score(f)
				fmt.Printf("%-5s k=%d %-50s sMAPE %7.3f MASE %6.3f OWA %.3f\n", mode, k, fmt.Sprint(set), s, m, o)
			}
		}
	}
}
