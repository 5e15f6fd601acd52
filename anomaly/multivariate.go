package anomaly

import (
	"fmt"
	"math"
	"sort"
	"sync"
)

// MachineConfig configures a Machine. The zero value uses the documented
// defaults.
type MachineConfig struct {
	// History is the number of past values kept per metric for its robust
	// location and scale; default 1024.
	History int
	// Every keeps one value in Every, so the history spans History·Every
	// samples (default 8: 8192 samples, 5.7 days of 1-minute data, 28 days
	// of 5-minute data) at the memory cost of History values.
	Every int
	// Top is the number of largest per-metric deviations averaged into the
	// machine's; default 2 (an incident rarely moves a single metric, a
	// noisy metric often does).
	Top int
	// Half is the averaged deviation, in robust σ, that scores 0.5
	// (score = d/(d+Half)); default 20.
	Half float64
	// Floor is the smallest scale, as a fraction of the 1%–99% range of
	// the metric's kept values; default 0.01. It keeps a metric that is
	// nearly constant (most of the time) from turning every small change
	// into a huge deviation.
	Floor float64
	// MinScale is an absolute floor on every metric's scale, in the
	// metrics' units; default 0 (none). Data scaled to [0, 1], like the
	// Server Machine Dataset, is well served by 1e−3.
	MinScale float64
	// Warmup is the number of first samples scored 0; default 256.
	Warmup int
	// Suppression configures how an event is reported once; Fire defaults
	// to Threshold.
	Suppression SuppressionConfig
}

func (c MachineConfig) withDefaults() MachineConfig {
	if c.History <= 0 {
		c.History = 1024
	}
	if c.Every <= 0 {
		c.Every = 8
	}
	if c.Top <= 0 {
		c.Top = 2
	}
	if c.Half <= 0 {
		c.Half = 20
	}
	if c.Warmup <= 0 {
		c.Warmup = 256
	}
	if c.Floor == 0 {
		c.Floor = 0.01
	}
	if c.Floor < 0 {
		c.Floor = 0
	}
	c.Suppression = c.Suppression.withDefaults()
	return c
}

// longScale keeps a robust location and scale over a long history by
// keeping every every-th value in a Rolling window of n values (so it
// spans n·every samples) and refreshing the median and scale every n/32
// values kept. Cost per sample O(1) amortised plus O(n) per refresh;
// memory 16·n bytes.
type longScale struct {
	win          *Rolling
	every, count int
	kept         int
	refresh      int
	med, scale   float64
	floor, rel   float64
	abs          float64
}

func newLongScale(n, every int, floor, minScale float64) *longScale {
	return &longScale{win: NewRolling(n), every: every, refresh: max(1, n/32), med: math.NaN(), rel: floor, abs: minScale}
}

// z returns |v − median|/scale (NaN until 32 values are kept, or for a
// missing v) and then learns v. The scale is floored at rel times the kept
// values' 1%–99% range (and 1e−9·max(1, |median|)), so a metric that was
// constant makes any change stand out without dividing by zero.
func (l *longScale) z(v float64) float64 {
	if !finite(v) {
		return math.NaN()
	}
	z := math.NaN()
	if l.win.Len() >= 32 {
		z = math.Abs(v-l.med) / math.Max(l.scale, l.floor)
	}
	if l.count%l.every == 0 {
		l.win.Push(v)
		l.kept++
		if l.kept%l.refresh == 0 || l.win.Len() <= 64 {
			l.med = l.win.Median()
			l.scale = robustScale(l.win)
			l.floor = math.Max(math.Max(l.rel*(l.win.Quantile(0.99)-l.win.Quantile(0.01)), 1e-9*math.Max(1, math.Abs(l.med))), l.abs)
		}
	}
	l.count++
	return z
}

// Machine scores many metrics of one machine together.
//
// Each metric's deviation is measured against its own long history:
//
//	z_j = |x_j − median_j| / (1.4826·MAD_j)
//
// with the median and MAD of the metric's last History kept values (one in
// Every samples, so days to weeks). The machine's deviation d is the mean
// of the Top largest z_j (a concordance rule: an incident rarely moves one
// metric only, while one noisy metric often jumps), and its score is
// d/(d+Half) in [0, 1). Event suppression then applies, so one incident
// touching ten metrics is reported once; Contributions names the metrics
// behind a score. It assumes each metric is stationary over the history
// span; unlike Ensemble it does not learn daily patterns, so a daily spike
// bigger than anything else in the history stays anomalous (the Server
// Machine Dataset labels such spikes anomalous).
//
// Cost per sample: O(metrics·Top) plus, per metric, an O(History) refresh
// every History/32 kept values; memory 16·History bytes per metric.
type Machine struct {
	cfg    MachineConfig
	names  []string
	scales []*longScale
	z      []float64 // per-metric deviations of the last sample
	top    []float64
	sup    suppressor
	n      int
	out    float64
	unsup  float64
}

// NewMachine returns a Machine for the named metrics (columns). It panics if
// metrics is empty.
func NewMachine(metrics []string, cfg MachineConfig) *Machine {
	if len(metrics) == 0 {
		panic("anomaly: NewMachine needs at least one metric")
	}
	cfg = cfg.withDefaults()
	m := &Machine{
		cfg:   cfg,
		names: append([]string(nil), metrics...),
		z:     make([]float64, len(metrics)),
		top:   make([]float64, 0, cfg.Top),
		sup:   newSuppressor(cfg.Suppression),
	}
	for range metrics {
		m.scales = append(m.scales, newLongScale(cfg.History, cfg.Every, cfg.Floor, cfg.MinScale))
	}
	return m
}

// Metrics returns the metric names, in column order.
func (m *Machine) Metrics() []string { return m.names }

// Update scores one sample of every metric (values in column order; NaN for
// a missing one) and returns the machine score in [0, 1). It panics if
// len(values) differs from the number of metrics.
func (m *Machine) Update(t int64, values []float64) float64 {
	if len(values) != len(m.scales) {
		panic(fmt.Sprintf("anomaly: Machine.Update got %d values for %d metrics", len(values), len(m.scales)))
	}
	for j, v := range values {
		m.z[j] = m.scales[j].z(v)
	}
	m.n++
	s := m.combine()
	if m.n <= m.cfg.Warmup {
		s = 0
	}
	m.unsup = s
	m.out = m.sup.apply(s)
	return m.out
}

// combine returns d/(d+Half) with d the mean of the Top largest finite z.
func (m *Machine) combine() float64 {
	top := m.top[:0]
	for _, z := range m.z {
		if math.IsNaN(z) {
			continue
		}
		if len(top) < m.cfg.Top {
			top = append(top, z)
			for k := len(top) - 1; k > 0 && top[k] > top[k-1]; k-- {
				top[k], top[k-1] = top[k-1], top[k]
			}
			continue
		}
		if z > top[len(top)-1] {
			top[len(top)-1] = z
			for k := len(top) - 1; k > 0 && top[k] > top[k-1]; k-- {
				top[k], top[k-1] = top[k-1], top[k]
			}
		}
	}
	m.top = top
	if len(top) == 0 {
		return 0
	}
	d := 0.0
	for _, z := range top {
		d += z
	}
	d /= float64(len(top))
	if math.IsInf(d, 1) {
		return 1
	}
	return d / (d + m.cfg.Half)
}

// Deviations returns each metric's robust deviation z_j for the last sample
// (NaN while a metric is still learning; shared, valid until the next
// Update).
func (m *Machine) Deviations() []float64 { return m.z }

// Unsuppressed returns the machine score of the last sample before event
// suppression.
func (m *Machine) Unsuppressed() float64 { return m.unsup }

// Contributions appends to dst the metrics of the last sample whose own
// score z_j/(z_j+Half) is at least minScore, strongest first.
func (m *Machine) Contributions(dst []Contribution, minScore float64) []Contribution {
	start := len(dst)
	for j, z := range m.z {
		if s := metricScore(z, m.cfg.Half); s >= minScore {
			dst = append(dst, Contribution{Metric: m.names[j], Index: j, Score: s})
		}
	}
	tail := dst[start:]
	sort.SliceStable(tail, func(a, b int) bool { return tail[a].Score > tail[b].Score })
	return dst
}

// metricScore maps a metric's deviation to [0, 1] like the machine score.
func metricScore(z, half float64) float64 {
	switch {
	case math.IsNaN(z):
		return 0
	case math.IsInf(z, 1):
		return 1
	}
	return z / (z + half)
}

// Result is the outcome of Detect on one series.
type Result struct {
	// Scores are the detector's scores, one per sample; Unsuppressed the
	// scores before event suppression.
	Scores, Unsuppressed []float64
	// Evidence is the strongest evidence behind each score.
	Evidence []Evidence
	// Intervals are the anomalous intervals built from Unsuppressed.
	Intervals []Interval
}

// Detect scores one series with an Ensemble and groups the result into
// intervals. It panics if ts and vs differ in length.
func Detect(ts []int64, vs []float64, cfg Config, icfg IntervalConfig) *Result {
	if len(ts) != len(vs) {
		panic("anomaly: Detect needs as many timestamps as values")
	}
	e := NewEnsemble(cfg)
	r := &Result{Scores: make([]float64, len(vs)), Unsuppressed: make([]float64, len(vs)), Evidence: make([]Evidence, len(vs))}
	for i := range vs {
		r.Scores[i] = e.Update(ts[i], vs[i])
		r.Unsuppressed[i] = e.ev.score
		r.Evidence[i] = e.ev.kind
	}
	r.Intervals = Intervals(ts, r.Unsuppressed, icfg)
	return r
}

// MachineResult is the outcome of DetectMachine.
type MachineResult struct {
	// Metrics are the metric names, in column order.
	Metrics []string
	// Scores and Unsuppressed are the machine scores per sample.
	Scores, Unsuppressed []float64
	// MetricScores[j][i] is metric j's own score z/(z+Half) at sample i.
	MetricScores [][]float64
	// Intervals are the machine's anomalous intervals, each with the
	// metrics that contributed.
	Intervals []Interval
}

// MachineOptions configures DetectMachine. The zero value uses defaults.
type MachineOptions struct {
	// Config configures the Machine.
	Config MachineConfig
	// Intervals configures the intervals.
	Intervals IntervalConfig
	// Workers is the number of metrics scored in parallel; default 1.
	// The result does not depend on it.
	Workers int
}

// DetectMachine scores a machine: rows[i][j] is metric j at ts[i]. It gives
// the same scores as feeding the rows one by one to a Machine, but measures
// the metrics' deviations in parallel. It panics if the shapes disagree.
func DetectMachine(ts []int64, rows [][]float64, metrics []string, opts MachineOptions) *MachineResult {
	if len(ts) != len(rows) {
		panic("anomaly: DetectMachine needs one row per timestamp")
	}
	for i, row := range rows {
		if len(row) != len(metrics) {
			panic(fmt.Sprintf("anomaly: DetectMachine row %d has %d values for %d metrics", i, len(row), len(metrics)))
		}
	}
	m := NewMachine(metrics, opts.Config)
	n := len(rows)
	r := &MachineResult{
		Metrics:      m.Metrics(),
		Scores:       make([]float64, n),
		Unsuppressed: make([]float64, n),
		MetricScores: make([][]float64, len(metrics)),
	}
	zs := make([][]float64, len(metrics))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < max(1, opts.Workers); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				z, sc := make([]float64, n), make([]float64, n)
				ls := m.scales[j]
				for i, row := range rows {
					z[i] = ls.z(row[j])
					sc[i] = metricScore(z[i], m.cfg.Half)
				}
				zs[j], r.MetricScores[j] = z, sc
			}
		}()
	}
	for j := range metrics {
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	for i := range rows {
		for j := range m.z {
			m.z[j] = zs[j][i]
		}
		m.n++
		s := m.combine()
		if m.n <= m.cfg.Warmup {
			s = 0
		}
		r.Unsuppressed[i] = s
		r.Scores[i] = m.sup.apply(s)
	}
	r.Intervals = Intervals(ts, r.Unsuppressed, opts.Intervals)
	attachMetrics(r.Intervals, r.MetricScores, r.Metrics, opts.Intervals)
	return r
}
