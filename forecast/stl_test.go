package forecast

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// refLoessAt is a line-by-line port of stlest from the reference Fortran
// (netlib stl.f, used by R's stl), kept here to check the one-pass moments
// and the symmetric-kernel shortcut of loessAt.
func refLoessAt(y []float64, q, deg int, xs float64, nleft, nright int, w []float64, userw bool, rw []float64) (float64, bool) {
	n := len(y)
	rng := float64(n) - 1
	h := math.Max(xs-float64(nleft), float64(nright)-xs)
	if q > n {
		h += float64((q - n) / 2)
	}
	h9, h1 := 0.999*h, 0.001*h
	a := 0.0
	for j := nleft; j <= nright; j++ {
		w[j-1] = 0
		r := math.Abs(float64(j) - xs)
		if r <= h9 {
			if r <= h1 {
				w[j-1] = 1
			} else {
				w[j-1] = math.Pow(1-math.Pow(r/h, 3), 3)
			}
			if userw {
				w[j-1] *= rw[j-1]
			}
			a += w[j-1]
		}
	}
	if a <= 0 {
		return 0, false
	}
	for j := nleft; j <= nright; j++ {
		w[j-1] /= a
	}
	if h > 0 && deg > 0 {
		a = 0
		for j := nleft; j <= nright; j++ {
			a += w[j-1] * float64(j)
		}
		b := xs - a
		c := 0.0
		for j := nleft; j <= nright; j++ {
			c += w[j-1] * (float64(j) - a) * (float64(j) - a)
		}
		if math.Sqrt(c) > 0.001*rng {
			b /= c
			for j := nleft; j <= nright; j++ {
				w[j-1] *= b*(float64(j)-a) + 1
			}
		}
	}
	ys := 0.0
	for j := nleft; j <= nright; j++ {
		ys += w[j-1] * y[j-1]
	}
	return ys, true
}

func TestLoessAgreesWithTheReferenceFortranPort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	y := make([]float64, 200)
	rw := make([]float64, 200)
	for i := range y {
		y[i] = math.Sin(float64(i)/7)*10 + r.NormFloat64()
		rw[i] = r.Float64()
	}
	work := make([]float64, 200)
	for _, q := range []int{3, 7, 25, 51, 301} {
		kern := symmetricKernel(make([]float64, q))
		for _, deg := range []int{0, 1} {
			for _, userw := range []bool{false, true} {
				for xs := 1; xs <= 200; xs += 7 {
					nl := max(1, xs-(q-1)/2)
					nr := min(200, nl+q-1)
					nl = max(1, nr-q+1)
					k := kern
					if q > 200 {
						k = nil
					}
					got, ok1 := loessAt(y, q, deg, float64(xs), nl, nr, k, userw, rw)
					want, ok2 := refLoessAt(y, q, deg, float64(xs), nl, nr, work, userw, rw)
					require.Equal(t, ok2, ok1)
					require.InDelta(t, want, got, 1e-9*(1+math.Abs(want)), "q=%d deg=%d userw=%v xs=%d", q, deg, userw, xs)
				}
			}
		}
	}
}

func TestSTLRecoversAConstantPlusSeasonExactly(t *testing.T) {
	y := periodic(60, 10, 0, pattern4)
	for _, o := range []STLOptions{{Period: 4}, {Period: 4, SeasonalWindow: 11}, {Period: 4, Periodic: true}, {Period: 4, Robust: true}} {
		d, err := STL(y, o)
		require.NoError(t, err)
		for i := range y {
			require.InDelta(t, 10, d.Trend[i], 1e-9)
			require.InDelta(t, pattern4[i%4], d.Seasonal[0][i], 1e-9)
			require.InDelta(t, 0, d.Remainder[i], 1e-9)
		}
	}
}

func TestSTLAndMSTLComponentsAddUpToTheSeries(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	y := make([]float64, 24*7*3)
	for i := range y {
		y[i] = 100 + 0.1*float64(i) + 10*math.Sin(2*math.Pi*float64(i)/24) + 5*math.Cos(2*math.Pi*float64(i)/168) + r.NormFloat64()
	}
	d, err := MSTL(y, []int{168, 24, 24}, MSTLOptions{})
	require.NoError(t, err)
	require.Equal(t, []int{24, 168}, d.Periods)
	var rmsDaily float64
	for i, v := range y {
		require.InDelta(t, v, d.Trend[i]+d.Seasonal[0][i]+d.Seasonal[1][i]+d.Remainder[i], 1e-9)
		e := d.Seasonal[0][i] - 10*math.Sin(2*math.Pi*float64(i)/24)
		rmsDaily += e * e
	}
	require.Less(t, math.Sqrt(rmsDaily/float64(len(y))), 1.0, "daily component recovered within the noise")
}

func TestMSTLDropsPeriodsWithoutTwoSeasons(t *testing.T) {
	y := periodic(100, 5, 0, pattern4)
	d, err := MSTL(y, []int{4, 60}, MSTLOptions{})
	require.NoError(t, err)
	require.Equal(t, []int{4}, d.Periods)
	fc, err := Predict(MSTLModel{}, y, FitConfig{Periods: []int{4, 60}}, 4, 0.8)
	require.NoError(t, err)
	require.Contains(t, joinWarnings(fc.Warnings), "period 60 dropped")
}

func TestSTLRejectsBadInput(t *testing.T) {
	_, err := STL([]float64{1, 2, 3}, STLOptions{Period: 2})
	require.ErrorIs(t, err, ErrBadPeriod)
	_, err = STL([]float64{1, math.NaN(), 3, 4, 5}, STLOptions{Period: 2})
	require.ErrorContains(t, err, "impute")
}
