package forecast

import (
	"errors"
	"fmt"
	"math"

	"github.com/omenhq/omen/stats"
)

// ErrBadPeriod is returned by STL and MSTL for a period below 2 or longer
// than half the series.
var ErrBadPeriod = errors.New("forecast: unusable seasonal period")

// STLOptions configures STL. The zero value (with Period set) gives the
// defaults of R's stl(x, s.window = 7): non-robust, seasonal degree 0,
// trend and low-pass degree 1, loess evaluated every ⌈window/10⌉ points.
type STLOptions struct {
	// Period is the number of samples per season (≥ 2).
	Period int
	// SeasonalWindow is the loess span, in seasons, of the cycle-subseries
	// smoother (odd, ≥ 3; default 7). Periodic forces a fixed seasonal
	// pattern instead.
	SeasonalWindow int
	// Periodic makes the seasonal component identical in every season, as
	// R's s.window = "periodic".
	Periodic bool
	// TrendWindow is the trend loess span in samples (odd); default the
	// smallest odd integer ≥ 1.5·Period/(1 − 1.5/SeasonalWindow).
	TrendWindow int
	// LowPassWindow is the low-pass loess span (odd); default the smallest
	// odd integer ≥ Period.
	LowPassWindow int
	// Inner is the number of inner iterations (default 2, or 1 when Robust).
	Inner int
	// Robust adds 15 outer iterations with bisquare robustness weights.
	Robust bool
}

// Decomposition is the additive split y = Trend + Σ Seasonal[i] + Remainder.
type Decomposition struct {
	// Periods are the seasonal periods, ascending; Seasonal[i] has period
	// Periods[i].
	Periods   []int
	Trend     []float64
	Seasonal  [][]float64
	Remainder []float64
}

// stlWork holds the buffers of one STL run so repeated decompositions do
// not allocate.
type stlWork struct {
	rw, season, trend      []float64
	w1, w2, w3, w4, w5     []float64 // n + 2·period
	sub1, sub2, sub3, sub4 []float64
}

func (w *stlWork) ensure(n, np int) {
	m := n + 2*np
	w.rw = stats.Grow(w.rw, n)
	w.season = stats.Grow(w.season, n)
	w.trend = stats.Grow(w.trend, n)
	w.w1 = stats.Grow(w.w1, m)
	w.w2 = stats.Grow(w.w2, m)
	w.w3 = stats.Grow(w.w3, m)
	w.w4 = stats.Grow(w.w4, m)
	w.w5 = stats.Grow(w.w5, m)
	k := n/np + 3
	w.sub1 = stats.Grow(w.sub1, k)
	w.sub2 = stats.Grow(w.sub2, k)
	w.sub3 = stats.Grow(w.sub3, k)
	w.sub4 = stats.Grow(w.sub4, k)
}

// stlParams are the resolved STL settings.
type stlParams struct {
	np, ns, nt, nl         int
	isdeg, itdeg, ildeg    int
	nsjump, ntjump, nljump int
	ni, no                 int
	periodic               bool
}

func nextOdd(x float64) int {
	k := int(math.Ceil(x))
	if k%2 == 0 {
		k++
	}
	return k
}

func resolveSTL(o STLOptions, n int) (stlParams, error) {
	if o.Period < 2 || 2*o.Period > n {
		return stlParams{}, fmt.Errorf("%w: period %d for %d values (need 2 ≤ period ≤ n/2)", ErrBadPeriod, o.Period, n)
	}
	p := stlParams{np: o.Period, isdeg: 0, itdeg: 1, ildeg: 1}
	ns := o.SeasonalWindow
	if o.Periodic {
		ns = 10*n + 1
		p.periodic = true
	} else if ns == 0 {
		ns = 7
	}
	if ns < 3 {
		ns = 3
	}
	if ns%2 == 0 {
		ns++
	}
	p.ns = ns
	p.nt = o.TrendWindow
	if p.nt <= 0 {
		p.nt = nextOdd(1.5 * float64(p.np) / (1 - 1.5/float64(ns)))
	}
	if p.nt%2 == 0 {
		p.nt++
	}
	p.nt = max(p.nt, 3)
	p.nl = o.LowPassWindow
	if p.nl <= 0 {
		p.nl = nextOdd(float64(p.np))
	}
	if p.nl%2 == 0 {
		p.nl++
	}
	p.nsjump = int(math.Ceil(float64(p.ns) / 10))
	p.ntjump = int(math.Ceil(float64(p.nt) / 10))
	p.nljump = int(math.Ceil(float64(p.nl) / 10))
	p.ni, p.no = 2, 0
	if o.Robust {
		p.ni, p.no = 1, 15
	}
	if o.Inner > 0 {
		p.ni = o.Inner
	}
	return p, nil
}

// STL decomposes y (finite values) into trend, seasonal and remainder by
// Seasonal-Trend decomposition using Loess (Cleveland, Cleveland, McRae &
// Terpenning, Journal of Official Statistics 6 (1990) 3-73), a port of the
// reference Fortran used by R's stl. NaN in y must be imputed first (see
// Impute); the function returns an error naming the first one.
func STL(y []float64, o STLOptions) (*Decomposition, error) {
	if i := firstNonFinite(y); i >= 0 {
		return nil, fmt.Errorf("forecast: STL: value %d is %v; impute missing values first", i, y[i])
	}
	p, err := resolveSTL(o, len(y))
	if err != nil {
		return nil, err
	}
	var w stlWork
	stlRun(&w, y, p)
	d := &Decomposition{
		Periods:   []int{p.np},
		Trend:     append([]float64(nil), w.trend[:len(y)]...),
		Seasonal:  [][]float64{append([]float64(nil), w.season[:len(y)]...)},
		Remainder: make([]float64, len(y)),
	}
	for i, v := range y {
		d.Remainder[i] = v - d.Trend[i] - d.Seasonal[0][i]
	}
	return d, nil
}

func firstNonFinite(y []float64) int {
	for i, v := range y {
		if !finite(v) {
			return i
		}
	}
	return -1
}

// stlRun runs STL on y leaving the seasonal and trend components in
// w.season and w.trend. It does not allocate once w is sized.
func stlRun(w *stlWork, y []float64, p stlParams) {
	n := len(y)
	w.ensure(n, p.np)
	trend := w.trend[:n]
	season := w.season[:n]
	rw := w.rw[:n]
	for i := range trend {
		trend[i] = 0
	}
	userw := false
	for k := 0; ; k++ {
		stlStep(w, y, p, userw)
		if k >= p.no {
			break
		}
		stlRobustWeights(y, trend, season, rw, w.w1[:n])
		userw = true
	}
	if p.periodic {
		// R: seasonal ← mean of the seasonal component per cycle position
		np := p.np
		for j := range np {
			s, c := 0.0, 0
			for i := j; i < n; i += np {
				s += season[i]
				c++
			}
			s /= float64(c)
			for i := j; i < n; i += np {
				season[i] = s
			}
		}
	}
}

// stlStep is the inner loop (stlstp in the Fortran).
func stlStep(w *stlWork, y []float64, p stlParams, userw bool) {
	n := len(y)
	np := p.np
	trend, season, rw := w.trend[:n], w.season[:n], w.rw[:n]
	for range p.ni {
		w1 := w.w1[:n]
		for i := range n {
			w1[i] = y[i] - trend[i]
		}
		c := w.w2[:n+2*np]
		stlSubseries(w, w1, np, p.ns, p.isdeg, p.nsjump, userw, rw, c)
		lp := w.w3[:n]
		stlLowPass(c, np, lp, w.w4[:n+2*np], w.w5[:n+2*np])
		l := w.w1[:n]
		loess(lp, p.nl, p.ildeg, p.nljump, false, nil, l, w.w4[:n])
		for i := range n {
			season[i] = c[np+i] - l[i]
		}
		ds := w.w1[:n]
		for i := range n {
			ds[i] = y[i] - season[i]
		}
		loess(ds, p.nt, p.itdeg, p.ntjump, userw, rw, trend, w.w3[:n])
	}
}

// stlSubseries smooths each cycle-subseries of x with loess and extends it
// by one value at each end, writing the n+2·np result to c (stlss).
func stlSubseries(w *stlWork, x []float64, np, ns, deg, jump int, userw bool, rw, c []float64) {
	n := len(x)
	for j := range np {
		k := (n-j-1)/np + 1
		sub := w.sub1[:k]
		var srw []float64
		for i := range k {
			sub[i] = x[i*np+j]
		}
		if userw {
			srw = w.sub3[:k]
			for i := range k {
				srw[i] = rw[i*np+j]
			}
		}
		out := w.sub2[:k+2]
		loess(sub, ns, deg, jump, userw, srw, out[1:k+1], w.sub4[:k])
		nright := min(ns, k)
		v, ok := loessAt(sub, ns, deg, 0, 1, nright, nil, userw, srw)
		if !ok {
			v = out[1]
		}
		out[0] = v
		nleft := max(1, k-ns+1)
		v, ok = loessAt(sub, ns, deg, float64(k+1), nleft, k, nil, userw, srw)
		if !ok {
			v = out[k]
		}
		out[k+1] = v
		for m := range k + 2 {
			c[m*np+j] = out[m]
		}
	}
}

// stlLowPass applies moving averages of lengths np, np and 3 to x
// (len n+2np), writing n values to out (stlfts).
func stlLowPass(x []float64, np int, out, t1, t2 []float64) {
	m := len(x)
	movingAverage(x, np, t1[:m-np+1])
	movingAverage(t1[:m-np+1], np, t2[:m-2*np+2])
	movingAverage(t2[:m-2*np+2], 3, out[:m-2*np])
}

// movingAverage writes the len(x)−k+1 means of k consecutive values to out.
func movingAverage(x []float64, k int, out []float64) {
	s := 0.0
	for i := range k {
		s += x[i]
	}
	inv := 1 / float64(k)
	out[0] = s * inv
	for i := 1; i < len(out); i++ {
		s += x[i+k-1] - x[i-1]
		out[i] = s * inv
	}
}

// stlRobustWeights sets the bisquare weights of the residuals
// r = y − trend − season: w = (1 − (|r|/6·median|r|)²)² (stlrwt).
func stlRobustWeights(y, trend, season, rw, work []float64) {
	for i := range y {
		work[i] = math.Abs(y[i] - trend[i] - season[i])
	}
	copy(rw, work)
	cmad := 6 * median(work)
	c9, c1 := 0.999*cmad, 0.001*cmad
	for i, r := range rw {
		switch {
		case r <= c1:
			rw[i] = 1
		case r <= c9:
			u := r / cmad
			rw[i] = (1 - u*u) * (1 - u*u)
		default:
			rw[i] = 0
		}
	}
}

// loess smooths y with span q (odd), local degree deg (0 or 1), evaluating
// every jump points and interpolating linearly between them (stless).
// Positions are 1-based as in the reference. res is scratch of len(y).
func loess(y []float64, q, deg, jump int, userw bool, rw, ys, res []float64) {
	n := len(y)
	if n < 2 {
		ys[0] = y[0]
		return
	}
	nj := min(jump, n-1)
	nleft, nright := 1, n
	// Interior windows are symmetric about the evaluation point, so their
	// tricube weights are the same everywhere and, the weighted mean offset
	// being zero, the local line reduces to the weighted mean: precompute the
	// weights once (res[:q]) and let loessAt use a dot product there.
	var kern []float64
	if q < n && !userw {
		kern = symmetricKernel(res[:q])
	}
	switch {
	case q >= n:
		for i := 1; i <= n; i += nj {
			v, ok := loessAt(y, q, deg, float64(i), 1, n, nil, userw, rw)
			if !ok {
				v = y[i-1]
			}
			ys[i-1] = v
		}
	case nj == 1:
		nsh := (q + 1) / 2
		nleft, nright = 1, q
		for i := 1; i <= n; i++ {
			if i > nsh && nright != n {
				nleft++
				nright++
			}
			v, ok := loessAt(y, q, deg, float64(i), nleft, nright, kern, userw, rw)
			if !ok {
				v = y[i-1]
			}
			ys[i-1] = v
		}
	default:
		nsh := (q + 1) / 2
		for i := 1; i <= n; i += nj {
			switch {
			case i < nsh:
				nleft, nright = 1, q
			case i >= n-nsh+1:
				nleft, nright = n-q+1, n
			default:
				nleft, nright = i-nsh+1, q+i-nsh
			}
			v, ok := loessAt(y, q, deg, float64(i), nleft, nright, kern, userw, rw)
			if !ok {
				v = y[i-1]
			}
			ys[i-1] = v
		}
	}
	if nj == 1 {
		return
	}
	for i := 1; i <= n-nj; i += nj {
		delta := (ys[i+nj-1] - ys[i-1]) / float64(nj)
		for j := i + 1; j <= i+nj-1; j++ {
			ys[j-1] = ys[i-1] + delta*float64(j-i)
		}
	}
	k := ((n-1)/nj)*nj + 1
	if k != n {
		v, ok := loessAt(y, q, deg, float64(n), nleft, nright, kern, userw, rw)
		if !ok {
			v = y[n-1]
		}
		ys[n-1] = v
		if k != n-1 {
			delta := (ys[n-1] - ys[k-1]) / float64(n-k)
			for j := k + 1; j <= n-1; j++ {
				ys[j-1] = ys[k-1] + delta*float64(j-k)
			}
		}
	}
}

// loessAt is the local fit at position xs (1-based) over y[nleft..nright]
// with tricube weights (stlest in the reference Fortran). It reports false
// when all weights vanish. The weighted local line is computed in one pass
// from the weighted moments, which is algebraically the reference's
// two-pass weight adjustment: with normalised weights w, a = Σw·j,
// c = Σw·(j−a)², the fit is Σw·y + (xs−a)/c · Σw·(j−a)·y when
// sqrt(c) > 0.001·(n−1), else Σw·y.
func loessAt(y []float64, q, deg int, xs float64, nleft, nright int, kern []float64, userw bool, rw []float64) (float64, bool) {
	n := len(y)
	if kern != nil && !userw {
		half := float64(q-1) / 2
		if xs-float64(nleft) == half && float64(nright)-xs == half {
			s := 0.0
			yy := y[nleft-1 : nright]
			kk := kern[1 : len(kern)-1] // the end weights are zero
			yy = yy[1 : len(yy)-1]
			for j, w := range kk {
				s += w * yy[j]
			}
			return s, true
		}
	}
	rng := float64(n) - 1
	h := math.Max(xs-float64(nleft), float64(nright)-xs)
	if q > n {
		h += float64((q - n) / 2)
	}
	h9, h1 := 0.999*h, 0.001*h
	invh := 0.0
	if h > 0 {
		invh = 1 / h
	}
	var s0, s1, s2, sy, sdy float64
	for j := nleft; j <= nright; j++ {
		d := float64(j) - xs
		r := math.Abs(d)
		if r > h9 {
			continue
		}
		w := 1.0
		if r > h1 {
			u := r * invh
			u = 1 - u*u*u
			w = u * u * u
		}
		if userw {
			w *= rw[j-1]
		}
		v := y[j-1]
		s0 += w
		s1 += w * d
		s2 += w * d * d
		sy += w * v
		sdy += w * d * v
	}
	if s0 <= 0 {
		return 0, false
	}
	inv := 1 / s0
	ys := sy * inv
	if h > 0 && deg > 0 {
		a := s1 * inv     // weighted mean of j − xs
		c := s2*inv - a*a // weighted variance of j
		if c > 0 && math.Sqrt(c) > 0.001*rng {
			ys += -a / c * (sdy*inv - a*ys)
		}
	}
	return ys, true
}

// symmetricKernel fills k (odd length q) with the normalised tricube
// weights of loessAt for a window centred on the evaluation point, h =
// (q−1)/2: the end weights are zero (|d| = h > 0.999h).
func symmetricKernel(k []float64) []float64 {
	q := len(k)
	h := float64(q-1) / 2
	h9, h1 := 0.999*h, 0.001*h
	s := 0.0
	for j := range k {
		r := math.Abs(float64(j) - h)
		w := 0.0
		switch {
		case r <= h1:
			w = 1
		case r <= h9:
			u := r / h
			u = 1 - u*u*u
			w = u * u * u
		}
		k[j] = w
		s += w
	}
	for j := range k {
		k[j] /= s
	}
	return k
}

// MSTLOptions configures MSTL. The zero value gives R's forecast::mstl
// defaults: two iterations, seasonal windows 11, 15, 19, … for the periods
// in ascending order.
type MSTLOptions struct {
	// Iterations of the back-fitting loop over the periods (default 2).
	Iterations int
	// SeasonalWindows overrides the seasonal window of each period, in the
	// ascending order of the periods (missing entries take the default).
	SeasonalWindows []int
	// Robust uses robust STL for each period.
	Robust bool
	// Inner overrides the inner iterations of each STL (default 2, 1 when
	// Robust).
	Inner int
}

// MSTL decomposes y by Multiple Seasonal-Trend decomposition using Loess
// (Bandara, Hyndman & Bergmeir, 2021, arXiv:2107.13462), as R's
// forecast::mstl: the periods, ascending, are extracted in turn by STL from
// the series with the other seasonal components removed, repeated
// Iterations times; the trend is that of the last STL. Periods with fewer
// than two full seasons in y are dropped (they cannot be estimated), as in
// R; with none left the trend is a loess smooth and there is no seasonal
// component.
func MSTL(y []float64, periods []int, o MSTLOptions) (*Decomposition, error) {
	if i := firstNonFinite(y); i >= 0 {
		return nil, fmt.Errorf("forecast: MSTL: value %d is %v; impute missing values first", i, y[i])
	}
	var ws mstlWork
	d := &Decomposition{}
	mstlRun(&ws, y, periods, o, d)
	return d, nil
}

// mstlWork holds the buffers of MSTL.
type mstlWork struct {
	stl    stlWork
	deseas []float64
}

// usablePeriods returns the periods p (ascending, unique) with 2p < n.
func usablePeriods(dst []int, periods []int, n int) []int {
	dst = dst[:0]
	for _, p := range periods {
		if p >= 2 && 2*p < n {
			dst = append(dst, p)
		}
	}
	// insertion sort, tiny
	for i := 1; i < len(dst); i++ {
		for j := i; j > 0 && dst[j] < dst[j-1]; j-- {
			dst[j], dst[j-1] = dst[j-1], dst[j]
		}
	}
	k := 0
	for i, p := range dst {
		if i == 0 || p != dst[k-1] {
			dst[k] = p
			k++
		}
	}
	return dst[:k]
}

// mstlRun fills d (reusing its slices) with the MSTL of y.
func mstlRun(ws *mstlWork, y []float64, periods []int, o MSTLOptions, d *Decomposition) {
	n := len(y)
	d.Periods = usablePeriods(d.Periods, periods, n)
	iters := o.Iterations
	if iters <= 0 {
		iters = 2
	}
	ws.deseas = stats.Grow(ws.deseas, n)
	deseas := ws.deseas
	copy(deseas, y)
	for len(d.Seasonal) < len(d.Periods) {
		d.Seasonal = append(d.Seasonal, nil)
	}
	d.Seasonal = d.Seasonal[:len(d.Periods)]
	for i := range d.Seasonal {
		d.Seasonal[i] = stats.Grow(d.Seasonal[i], n)
		for t := range n {
			d.Seasonal[i][t] = 0
		}
	}
	d.Trend = stats.Grow(d.Trend, n)
	d.Remainder = stats.Grow(d.Remainder, n)
	if len(d.Periods) == 0 {
		// no seasonality: trend by loess with a span of about a tenth of the series
		q := max(nextOdd(float64(n)/10), 3)
		ws.stl.ensure(n, 1)
		loess(y, q, 1, int(math.Ceil(float64(q)/10)), false, nil, d.Trend, ws.stl.w1[:n])
		for t := range n {
			d.Remainder[t] = y[t] - d.Trend[t]
		}
		return
	}
	for range iters {
		for i, p := range d.Periods {
			s := d.Seasonal[i]
			for t := range n {
				deseas[t] += s[t]
			}
			sw := 7 + 4*(i+1)
			if i < len(o.SeasonalWindows) && o.SeasonalWindows[i] > 0 {
				sw = o.SeasonalWindows[i]
			}
			par, _ := resolveSTL(STLOptions{Period: p, SeasonalWindow: sw, Robust: o.Robust, Inner: o.Inner}, n)
			stlRun(&ws.stl, deseas, par)
			copy(s, ws.stl.season[:n])
			for t := range n {
				deseas[t] -= s[t]
			}
		}
	}
	copy(d.Trend, ws.stl.trend[:n])
	for t := range n {
		d.Remainder[t] = deseas[t] - d.Trend[t]
	}
}
