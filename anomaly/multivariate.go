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
	// HalfLife is the half-life, in samples, of each metric's exponentially
	// weighted mean and variance; default 10080 (a week of 1-minute
	// samples, five weeks of 5-minute samples). Until a metric has seen
	// 1/α samples (α = 1 − 2^(−1/HalfLife), about 1.44·HalfLife) they are
	// the plain mean and variance of all its samples so far.
	HalfLife int
	// History is ignored.
	//
	// Deprecated: the Machine keeps no window of past values since it
	// standardises by exponentially weighted moments; see HalfLife.
	History int
	// Every is ignored.
	//
	// Deprecated: see HalfLife.
	Every int
	// Top caps the number k of largest per-metric deviations averaged into
	// the machine's; default 3. k is the number of metrics divided by 10
	// (rounded down), at least 1 and at most Top: with many metrics one
	// noisy metric often jumps while an incident rarely moves a single
	// one, with a handful of metrics a single one is evidence enough.
	Top int
	// Half is the averaged deviation d, in standard deviations, that scores
	// 0.5 (score = d/(d+Half)); default 20. For scale: on the two Server
	// Machine Dataset machines of bench/smd, 0.1% of training rows reach
	// d ≈ 15 and 21 (a score of 0.43 and 0.51).
	Half float64
	// Floor is ignored.
	//
	// Deprecated: a standard deviation already reflects how much a
	// metric usually moves, bursts included; see MinScale.
	Floor float64
	// MinScale is an absolute floor on every metric's standard deviation,
	// in the metrics' units; default 0 (none; the floor is then
	// 1e−9·max(1, |mean|), so that any change of a metric constant so far
	// stands out). Data scaled to [0, 1], like the Server Machine Dataset,
	// is well served by 1e−3.
	MinScale float64
	// Warmup: a row scores 0 until the Machine has learnt Warmup rows
	// (training rows count); default 256.
	Warmup int
	// Threshold, Rearm and Quiet define events as for Surprise: a row
	// scoring at least Threshold opens one, Quiet rows in a row below Rearm
	// end it, and within an event the reported score is capped at
	// Threshold/2 after its first row. Defaults Threshold, 0.3 and 12.
	Threshold, Rearm float64
	Quiet            int
}

func (c MachineConfig) withDefaults() MachineConfig {
	if c.HalfLife <= 0 {
		c.HalfLife = 10080
	}
	if c.Top <= 0 {
		c.Top = 3
	}
	if c.Half <= 0 {
		c.Half = 20
	}
	if c.Warmup <= 0 {
		c.Warmup = 256
	}
	if c.MinScale < 0 {
		c.MinScale = 0
	}
	if c.Threshold <= 0 {
		c.Threshold = Threshold
	}
	if c.Rearm <= 0 || c.Rearm > c.Threshold {
		c.Rearm = math.Min(0.3, c.Threshold)
	}
	if c.Quiet <= 0 {
		c.Quiet = 12
	}
	return c
}

// minMoments is the number of samples a metric needs before it is scored.
const minMoments = 32

// moments is one metric's exponentially weighted mean and variance
// (Finch 2009, "Incremental calculation of weighted mean and variance"):
//
//	w = max(1/n, α)    (n: samples learnt, this one included)
//	δ = x − μ
//	μ ← μ + w·δ
//	σ² ← (1 − w)·(σ² + w·δ²)
//
// so they are the plain (population) moments of all samples until n
// reaches 1/α, then forget with half-life HalfLife. O(1) per sample, 32
// bytes per metric.
type moments struct {
	n          int
	alpha      float64
	mean, vari float64
	abs        float64
}

func newMoments(halfLife int, minScale float64) moments {
	return moments{alpha: -math.Expm1(-math.Ln2 / float64(halfLife)), abs: minScale}
}

// z returns |v − μ|/σ with σ floored at max(MinScale, 1e−9·max(1, |μ|)):
// NaN for a missing (NaN or ±Inf) v or until minMoments samples are learnt.
func (m *moments) z(v float64) float64 {
	if m.n < minMoments || !finite(v) {
		return math.NaN()
	}
	sd := math.Max(math.Sqrt(m.vari), math.Max(m.abs, 1e-9*math.Max(1, math.Abs(m.mean))))
	return math.Abs(v-m.mean) / sd
}

// learn adds v to the moments; a missing v is skipped.
func (m *moments) learn(v float64) {
	if !finite(v) {
		return
	}
	m.n++
	w := math.Max(1/float64(m.n), m.alpha)
	d := v - m.mean
	m.mean += w * d
	m.vari = (1 - w) * (m.vari + w*d*d)
}

// Machine scores many metrics of one machine together.
//
// Each metric's deviation is measured in standard deviations against its
// own past:
//
//	z_j = |x_j − μ_j| / σ_j
//
// with μ_j, σ_j the metric's exponentially weighted mean and standard
// deviation over the samples before this one (half-life HalfLife; the
// plain moments until the memory fills). Rows learnt first with Learn (a
// training period) set them up, the way a z-score fitted on training data
// would, and the Machine keeps learning from every row it scores unless
// frozen. The machine's deviation d is the mean of the k largest z_j (a
// concordance rule, see Top) and its score is d/(d+Half) in [0, 1). Event
// suppression then applies, so one incident touching ten metrics is
// reported once; Contributions names the metrics behind a score.
//
// It assumes each metric is stationary over the memory. The standard
// deviation, not a robust scale, is deliberate: it includes a metric's
// usual bursts, so a metric that often spikes needs a bigger spike to
// count, while a robust scale (median/MAD) lets such a metric dominate
// every row (measured on the Server Machine Dataset, bench/ANOMALY-NOTES.md).
// Unlike Ensemble it does not learn daily patterns, so a daily spike that is
// large against the metric's spread stays anomalous (the Server Machine
// Dataset labels some such spikes anomalous). NaN or ±Inf values are
// missing: not learnt, and left out of the combination.
//
// Cost per row: O(metrics·k), no allocation; memory 32 bytes per metric.
type Machine struct {
	cfg    MachineConfig
	names  []string
	scales []moments
	z      []float64 // per-metric deviations of the last sample
	top    []float64
	k      int
	ev     events
	anom   bool
	learnt int // rows learnt
	frozen bool
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
		cfg:    cfg,
		names:  append([]string(nil), metrics...),
		scales: make([]moments, len(metrics)),
		z:      make([]float64, len(metrics)),
		k:      topK(len(metrics), cfg.Top),
		ev:     events{open: cfg.Rearm, fire: cfg.Threshold, settle: 1, quiet: cfg.Quiet},
	}
	m.top = make([]float64, 0, m.k)
	for j := range m.scales {
		m.scales[j] = newMoments(cfg.HalfLife, cfg.MinScale)
	}
	return m
}

// topK returns the number of deviations averaged for a machine of m
// metrics: ⌊m/10⌋, at least 1 and at most top.
func topK(m, top int) int {
	return max(1, min(top, m/10))
}

// Metrics returns the metric names, in column order.
func (m *Machine) Metrics() []string { return m.names }

// Learn learns one row (values in column order; NaN for a missing one)
// without scoring it: a row of a training period or of history. It learns
// even when the Machine is frozen. It panics if len(values) differs from
// the number of metrics.
func (m *Machine) Learn(values []float64) {
	m.checkWidth("Learn", values)
	for j, v := range values {
		m.scales[j].learn(v)
	}
	m.learnt++
}

// Freeze stops the Machine learning from the rows it scores: later Updates
// score against the moments learnt so far (a fixed reference period, as a
// train/test split does). Learn still learns.
func (m *Machine) Freeze() { m.frozen = true }

func (m *Machine) checkWidth(op string, values []float64) {
	if len(values) != len(m.scales) {
		panic(fmt.Sprintf("anomaly: Machine.%s got %d values for %d metrics", op, len(values), len(m.scales)))
	}
}

// Update scores one row of every metric (values in column order; NaN for
// a missing one), learns it unless the Machine is frozen, and returns the
// machine score in [0, 1). It panics if len(values) differs from the
// number of metrics.
func (m *Machine) Update(t int64, values []float64) float64 {
	m.checkWidth("Update", values)
	for j, v := range values {
		m.z[j] = m.scales[j].z(v)
		if !m.frozen {
			m.scales[j].learn(v)
		}
	}
	s := m.combine()
	if m.learnt < m.cfg.Warmup {
		s = 0
	}
	if !m.frozen {
		m.learnt++
	}
	m.unsup = s
	m.out, m.anom = m.ev.step(s)
	return m.out
}

// combine returns d/(d+Half) with d the mean of the k largest finite z.
func (m *Machine) combine() float64 {
	top := m.top[:0]
	for _, z := range m.z {
		if math.IsNaN(z) {
			continue
		}
		if len(top) < m.k {
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
// handling (the row's own score).
func (m *Machine) Unsuppressed() float64 { return m.unsup }

// Anomalous reports whether the last row belongs to an event.
func (m *Machine) Anomalous() bool { return m.anom }

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
	// Scores are the detector's reported scores, one per sample (what
	// Surprise.Update returns: capped within an event after its first
	// sample); Anomalous flags the samples of events.
	Scores    []float64
	Anomalous []bool
	// Unsuppressed are the samples' own scores and Evidence the strongest
	// evidence behind each.
	Unsuppressed []float64
	Evidence     []Evidence
	// Intervals are the runs of Anomalous, each with its peak in Scores.
	Intervals []Interval
}

// Detect scores one series with a Surprise detector and derives the
// anomalous intervals from its flags: one pass, one threshold, so the
// per-sample scores and flags and the intervals always agree. It panics if
// ts and vs differ in length.
func Detect(ts []int64, vs []float64, cfg Config) *Result {
	if len(ts) != len(vs) {
		panic("anomaly: Detect needs as many timestamps as values")
	}
	d := NewSurprise(cfg)
	n := len(vs)
	r := &Result{Scores: make([]float64, n), Anomalous: make([]bool, n), Unsuppressed: make([]float64, n), Evidence: make([]Evidence, n)}
	for i := range vs {
		r.Scores[i] = d.Update(ts[i], vs[i])
		r.Anomalous[i] = d.Anomalous()
		x := d.Explain()
		r.Unsuppressed[i], r.Evidence[i] = x.Unsuppressed, x.Evidence
	}
	r.Intervals = Intervals(ts, r.Scores, r.Anomalous)
	return r
}

// MachineResult is the outcome of DetectMachine.
type MachineResult struct {
	// Metrics are the metric names, in column order.
	Metrics []string
	// Scores are the reported machine scores per row (capped within an
	// event after its first row), Unsuppressed the rows' own scores, and
	// Anomalous flags the rows of events.
	Scores, Unsuppressed []float64
	Anomalous            []bool
	// MetricScores[j][i] is metric j's own score z/(z+Half) at sample i.
	MetricScores [][]float64
	// Intervals are the machine's anomalous intervals (the runs of
	// Anomalous, peaks from Scores), each with the metrics that
	// contributed.
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
	// Train holds rows that precede the scored ones in time (a training
	// period or history), in the same columns: the Machine learns them
	// first (Machine.Learn) and scores none of them. Scores stay causal:
	// row i's depends on Train and rows ≤ i only.
	Train [][]float64
	// Freeze scores the rows against what was learnt from Train only
	// (Machine.Freeze): no row is learnt from. With Train set to the
	// scored rows themselves it gives in-sample training scores, the way a
	// z-score fitted on its training rows scores them.
	Freeze bool
}

// DetectMachine scores a machine: rows[i][j] is metric j at ts[i]. It gives
// the same scores as a Machine that learns opts.Train, is frozen if
// opts.Freeze, and then updates with the rows one by one, but measures the
// metrics' deviations in parallel. It panics if the shapes disagree.
func DetectMachine(ts []int64, rows [][]float64, metrics []string, opts MachineOptions) *MachineResult {
	if len(ts) != len(rows) {
		panic("anomaly: DetectMachine needs one row per timestamp")
	}
	for i, row := range rows {
		if len(row) != len(metrics) {
			panic(fmt.Sprintf("anomaly: DetectMachine row %d has %d values for %d metrics", i, len(row), len(metrics)))
		}
	}
	for i, row := range opts.Train {
		if len(row) != len(metrics) {
			panic(fmt.Sprintf("anomaly: DetectMachine training row %d has %d values for %d metrics", i, len(row), len(metrics)))
		}
	}
	m := NewMachine(metrics, opts.Config)
	n := len(rows)
	r := &MachineResult{
		Metrics:      m.Metrics(),
		Scores:       make([]float64, n),
		Unsuppressed: make([]float64, n),
		Anomalous:    make([]bool, n),
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
				ls := &m.scales[j]
				for _, row := range opts.Train {
					ls.learn(row[j])
				}
				for i, row := range rows {
					z[i] = ls.z(row[j])
					if !opts.Freeze {
						ls.learn(row[j])
					}
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
	m.learnt = len(opts.Train)
	m.frozen = opts.Freeze
	for i := range rows {
		for j := range m.z {
			m.z[j] = zs[j][i]
		}
		s := m.combine()
		if m.learnt < m.cfg.Warmup {
			s = 0
		}
		if !m.frozen {
			m.learnt++
		}
		m.unsup = s
		r.Unsuppressed[i] = s
		r.Scores[i], r.Anomalous[i] = m.ev.step(s)
		m.out, m.anom = r.Scores[i], r.Anomalous[i]
	}
	r.Intervals = Intervals(ts, r.Scores, r.Anomalous)
	attachMetrics(r.Intervals, r.MetricScores, r.Metrics, opts.Intervals)
	return r
}
