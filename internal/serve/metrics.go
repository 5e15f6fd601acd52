package serve

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/omenhq/omen/internal/apply"
	"github.com/omenhq/omen/internal/engine"
	"github.com/omenhq/omen/internal/sink"
	"github.com/omenhq/omen/series"
)

// Names of omen's own series on /metrics (the predictions keep the names
// of the write-back: omen_exhaustion_eta_seconds, omen_exhaustion_at_seconds,
// omen_exhaustion_risk, omen_anomaly_score).
const (
	MetricRuns               = "omen_runs_total"
	MetricRunsSkipped        = "omen_runs_skipped_total"
	MetricRunDuration        = "omen_run_duration_seconds"
	MetricLastRunDuration    = "omen_last_run_duration_seconds"
	MetricLastSuccess        = "omen_last_success_timestamp_seconds"
	MetricLastRun            = "omen_last_run_timestamp_seconds"
	MetricRunning            = "omen_run_in_progress"
	MetricSeriesAnalysed     = "omen_series_analysed"
	MetricSeriesSkipped      = "omen_series_skipped"
	MetricErrors             = "omen_errors_total"
	MetricReloads            = "omen_config_reloads_total"
	MetricReloadOK           = "omen_config_last_reload_successful"
	MetricHTTPRequests       = "omen_http_requests_total"
	MetricAlertNotifications = "omen_alert_notifications_total"
	MetricAlertsReceived     = "omen_alerts_received_total"
	MetricReady              = "omen_ready"
	MetricBuildInfo          = "omen_build_info"
	MetricCoverage           = "omen_prediction_interval_coverage"
	MetricChecks             = "omen_predictions_checked_total"
	MetricPending            = "omen_predictions_pending"
	MetricDropped            = "omen_predictions_dropped_total"
	MetricETAError           = "omen_prediction_eta_abs_error_seconds"
	MetricETAErrorMean       = "omen_prediction_eta_mean_abs_error_seconds"
)

// etaErrorBuckets are the histogram buckets of the absolute ETA error:
// an hour to four weeks.
var etaErrorBuckets = []float64{3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 3 * 86400, 7 * 86400, 14 * 86400, 28 * 86400}

// metrics are omen serve's own series.
type metrics struct {
	reg            *prometheus.Registry
	runs           *prometheus.CounterVec
	skipped        prometheus.Counter
	duration       prometheus.Histogram
	lastDuration   prometheus.Gauge
	lastSuccess    prometheus.Gauge
	lastRun        prometheus.Gauge
	running        prometheus.Gauge
	analysed       prometheus.Gauge
	seriesSkipped  prometheus.Gauge
	errors         *prometheus.CounterVec
	reloads        *prometheus.CounterVec
	reloadOK       prometheus.Gauge
	requests       *prometheus.CounterVec
	notifications  *prometheus.CounterVec
	alertsReceived prometheus.Counter
	ready          prometheus.Gauge
	state          *stateCollector
}

func newMetrics(version string, acc *Accuracy) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricRuns,
			Help: "Runs of the job by result: success, failure, or abandoned (stopped by shutdown or its deadline)."}, []string{"result"}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{Name: MetricRunsSkipped,
			Help: "Runs not started because the previous run was still going when they were due."}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: MetricRunDuration,
			Help:    "Duration of the job's runs.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600}}),
		lastDuration: prometheus.NewGauge(prometheus.GaugeOpts{Name: MetricLastRunDuration, Help: "Duration of the last run, whatever its result."}),
		lastSuccess:  prometheus.NewGauge(prometheus.GaugeOpts{Name: MetricLastSuccess, Help: "When the last successful run finished (Unix seconds); 0 before the first."}),
		lastRun:      prometheus.NewGauge(prometheus.GaugeOpts{Name: MetricLastRun, Help: "When the last run finished (Unix seconds), whatever its result."}),
		running:      prometheus.NewGauge(prometheus.GaugeOpts{Name: MetricRunning, Help: "1 while a run is going."}),
		analysed:     prometheus.NewGauge(prometheus.GaugeOpts{Name: MetricSeriesAnalysed, Help: "Targets (usage series) predicted in the last successful run."}),
		seriesSkipped: prometheus.NewGauge(prometheus.GaugeOpts{Name: MetricSeriesSkipped,
			Help: "Usage series left out of the last successful run (no limit, read-only, too little data)."}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricErrors,
			Help: "Errors by kind: run, reload, alert_history, prediction_store, results_store."}, []string{"kind"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricReloads,
			Help: "Config reloads (SIGHUP) by result; a failed one keeps the config in force."}, []string{"result"}),
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{Name: MetricReloadOK, Help: "1 when the last config reload succeeded (or none was asked), 0 when it failed."}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricHTTPRequests,
			Help: "HTTP requests to omen serve by handler and status code."}, []string{"handler", "code"}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricAlertNotifications,
			Help: "Alertmanager webhook notifications received, by result: stored, invalid, failed."}, []string{"result"}),
		alertsReceived: prometheus.NewCounter(prometheus.CounterOpts{Name: MetricAlertsReceived, Help: "Alerts in the stored webhook notifications."}),
		ready:          prometheus.NewGauge(prometheus.GaugeOpts{Name: MetricReady, Help: "1 once results are available (a run finished, or the last results were loaded)."}),
		state:          &stateCollector{acc: acc},
	}
	m.reloadOK.Set(1)
	for _, r := range []string{"success", "failure", "abandoned"} {
		m.runs.WithLabelValues(r)
	}
	for _, k := range []string{"run", "reload", "alert_history", "prediction_store", "results_store"} {
		m.errors.WithLabelValues(k)
	}
	for _, r := range []string{"success", "failure"} {
		m.reloads.WithLabelValues(r)
	}
	for _, r := range []string{"stored", "invalid", "failed"} {
		m.notifications.WithLabelValues(r)
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{Name: MetricBuildInfo, Help: "omen's version, as a label; always 1.",
		ConstLabels: prometheus.Labels{"version": version}})
	build.Set(1)
	m.reg.MustRegister(m.runs, m.skipped, m.duration, m.lastDuration, m.lastSuccess, m.lastRun, m.running,
		m.analysed, m.seriesSkipped, m.errors, m.reloads, m.reloadOK, m.requests, m.notifications, m.alertsReceived,
		m.ready, build, m.state,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// sample is one series of the last results on /metrics.
type sample struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels"`
	Value  float64           `json:"value"`
}

// resultSamples turns an outcome into the prediction series shown on
// /metrics: the write-back series (their one value each) and the last
// anomaly score of each detection.
func resultSamples(out *Outcome) []sample {
	var ss []series.Series
	if out.Report != nil {
		ss = engine.WriteBackSeries(out.Report)
	}
	ss = append(ss, engine.AnomalyWriteBackSeries(out.Detections)...)
	ss = append(ss, out.Series...)
	res := make([]sample, 0, len(ss))
	for _, s := range ss {
		n := s.Len()
		for n > 0 && math.IsNaN(s.Values[n-1]) {
			n--
		}
		if n == 0 {
			continue
		}
		res = append(res, sample{Name: s.Labels.Name(), Labels: s.Labels.Without(series.MetricName).Map(), Value: s.Values[n-1]})
	}
	return res
}

var sampleHelp = map[string]string{
	sink.MetricETA:            "Predicted time to exhaustion as of the last run, by quantile (absent: not within the horizon); a prediction, not observations: _count and _sum are 0.",
	sink.MetricAt:             "Predicted instant of exhaustion (Unix seconds), by quantile (absent: not within the horizon); a prediction, not observations: _count and _sum are 0.",
	sink.MetricRisk:           "Risk of the target in the last run: 0 ok, 1 info, 2 warning, 3 critical.",
	engine.MetricAnomalyScore: "Last anomaly score of the series in the last run, in [0, 1].",
	apply.MetricChanges:       "Changes in the apply ledger by state, as the last run left it.",
	apply.MetricRollbacks:     "Changes the apply policy has rolled back (verification failed, reload rejected, health err), as the ledger keeps them.",
	apply.MetricVerifications: "Verifications of applied changes by result, passed or failed, as the ledger keeps them.",
	apply.MetricChange:        "1 for each change in the apply ledger, with its rule and state.",
	apply.MetricVerifyDue:     "When an applied change's verification is due (Unix seconds).",
}

// stateCollector emits the last results' prediction series and the
// realised accuracy of earlier predictions, as they are at scrape time.
type stateCollector struct {
	mu      sync.RWMutex
	samples []sample
	acc     *Accuracy
}

func (c *stateCollector) set(s []sample) {
	c.mu.Lock()
	c.samples = s
	c.mu.Unlock()
}

// Describe sends nothing: the series' labels vary with the targets, so
// the collector is unchecked.
func (c *stateCollector) Describe(chan<- *prometheus.Desc) {}

// Collect sends the prediction series and the accuracy series.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.RLock()
	// Series with a quantile label (the ETA and instant of exhaustion) are
	// one summary per target, as Prometheus exposes quantiles: the
	// selectors of the write-back, {quantile="0.5"}, work on both.
	type group struct {
		s         sample
		quantiles map[float64]float64
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, s := range c.samples {
		q, ok := s.Labels["quantile"]
		if !ok {
			groups = append(groups, &group{s: s})
			continue
		}
		qv, err := strconv.ParseFloat(q, 64)
		if err != nil {
			continue
		}
		ls := series.FromMap(s.Labels).Without("quantile")
		key := s.Name + ls.String()
		g := byKey[key]
		if g == nil {
			g = &group{s: sample{Name: s.Name, Labels: ls.Map()}, quantiles: map[float64]float64{}}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.quantiles[qv] = s.Value
	}
	for _, g := range groups {
		names := make([]string, 0, len(g.s.Labels))
		for k := range g.s.Labels {
			names = append(names, k)
		}
		slices.Sort(names)
		values := make([]string, len(names))
		for i, k := range names {
			values[i] = g.s.Labels[k]
		}
		help := sampleHelp[g.s.Name]
		if help == "" {
			help = "omen prediction series."
		}
		desc := prometheus.NewDesc(g.s.Name, help, names, nil)
		var m prometheus.Metric
		var err error
		if g.quantiles != nil {
			m, err = prometheus.NewConstSummary(desc, 0, 0, g.quantiles, values...)
		} else {
			kind := prometheus.GaugeValue
			if strings.HasSuffix(g.s.Name, "_total") {
				kind = prometheus.CounterValue
			}
			m, err = prometheus.NewConstMetric(desc, kind, g.s.Value, values...)
		}
		if err == nil {
			ch <- m
		}
	}
	c.mu.RUnlock()
	if c.acc == nil {
		return
	}
	pending, checks, dropped := c.acc.Stats()
	ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(MetricPending, "Stored predictions awaiting their horizon, when they are checked against the data.", nil, nil), prometheus.GaugeValue, float64(pending))
	ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(MetricDropped, "Stored predictions that could not be checked (target gone or history not covering the horizon).", nil, nil), prometheus.CounterValue, float64(dropped))
	type agg struct {
		covered, missed int
		errCount        uint64
		errSum          float64
		buckets         map[float64]uint64
	}
	byTarget := map[string]*agg{}
	var targets []string
	for _, ck := range checks {
		a := byTarget[ck.Target]
		if a == nil {
			a = &agg{buckets: map[float64]uint64{}}
			byTarget[ck.Target] = a
			targets = append(targets, ck.Target)
		}
		if ck.Covered {
			a.covered++
		} else {
			a.missed++
		}
		if ck.AbsError != nil {
			e := float64(*ck.AbsError)
			a.errCount++
			a.errSum += e
			for _, b := range etaErrorBuckets {
				if e <= b {
					a.buckets[b]++
				}
			}
		}
	}
	slices.Sort(targets)
	coverage := prometheus.NewDesc(MetricCoverage, "Share of checked predictions whose P10–P90 interval held the outcome (exhaustion time, or none within the horizon); nominal 0.8.", []string{"target"}, nil)
	checked := prometheus.NewDesc(MetricChecks, "Predictions checked against the data at their horizon, by outcome: covered or missed by the P10–P90 interval.", []string{"target", "outcome"}, nil)
	errHist := prometheus.NewDesc(MetricETAError, "Absolute error of the P50 time to exhaustion, for checked predictions whose target was exhausted within the horizon.", []string{"target"}, nil)
	errMean := prometheus.NewDesc(MetricETAErrorMean, "Mean absolute error of the P50 time to exhaustion over the checked predictions exhausted within the horizon.", []string{"target"}, nil)
	for _, t := range targets {
		a := byTarget[t]
		ch <- prometheus.MustNewConstMetric(coverage, prometheus.GaugeValue, float64(a.covered)/float64(a.covered+a.missed), t)
		ch <- prometheus.MustNewConstMetric(checked, prometheus.CounterValue, float64(a.covered), t, "covered")
		ch <- prometheus.MustNewConstMetric(checked, prometheus.CounterValue, float64(a.missed), t, "missed")
		ch <- prometheus.MustNewConstHistogram(errHist, a.errCount, a.errSum, a.buckets, t)
		if a.errCount > 0 {
			ch <- prometheus.MustNewConstMetric(errMean, prometheus.GaugeValue, a.errSum/float64(a.errCount), t)
		}
	}
}
