package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/omenhq/omen/internal/engine"
	"github.com/omenhq/omen/series"
)

// Outcome is what one run of the job produced.
type Outcome struct {
	// Report holds the predictions; nil when the job made none.
	Report *engine.Report
	// Detections are the anomaly detections, if the job ran any.
	Detections []engine.Detection
	// JSON is the results as omen run writes them with format json,
	// served by /api/v1/results.
	JSON json.RawMessage
	// Series are further series of the run shown on /metrics with their
	// last value until the next run (and kept through a restart), such as
	// the apply ledger's omen_apply_*: a name ending in _total is a
	// counter, any other a gauge.
	Series []series.Series
}

// Job is one run of the job of a config: what omen run does.
type Job interface {
	Run(ctx context.Context, cfg *engine.Config) (*Outcome, error)
}

// JobFunc adapts a function to Job.
type JobFunc func(ctx context.Context, cfg *engine.Config) (*Outcome, error)

// Run calls f.
func (f JobFunc) Run(ctx context.Context, cfg *engine.Config) (*Outcome, error) { return f(ctx, cfg) }

// Defaults of Options.
const (
	// DefaultListen is the default Options.Listen.
	DefaultListen = ":9477"
	// DefaultGrace is the default Options.Grace.
	DefaultGrace = 20 * time.Second
	// DefaultHistoryRetention is the default Options.HistoryRetention.
	DefaultHistoryRetention = 400 * 24 * time.Hour
	// DefaultDeadline bounds one run when the config sets no deadline.
	DefaultDeadline = time.Hour
	// maxAlertBody bounds one webhook notification.
	maxAlertBody = 16 << 20
)

// Options configure a Server. The zero value of every field but
// LoadConfig, Job and StateDir is a documented default.
type Options struct {
	// Listen is the address served; default :9477.
	Listen string
	// StateDir holds what survives a restart: the alert history
	// (alerts.jsonl), the predictions awaiting their check
	// (predictions.jsonl) and the last results (last-results.json).
	// Created when missing. Required.
	StateDir string
	// LoadConfig reads and validates the job's config; it is called at
	// start and on every Reload. Required.
	LoadConfig func() (*engine.Config, error)
	// Job runs the job. Required.
	Job Job
	// Logger receives the server's records; nil discards them.
	Logger *slog.Logger
	// Version is shown as omen_build_info{version}.
	Version string
	// Grace is how long shutdown waits for a run in progress to finish
	// before abandoning it (its context is cancelled with the shutdown's
	// cause); default 20s, under Kubernetes' default 30s grace period.
	Grace time.Duration
	// PredictionSpacing is the least time between two predictions of one
	// target stored for checking; default 24h.
	PredictionSpacing time.Duration
	// HistoryRetention is how long the alert history keeps a notification
	// about alerts that are over (see AlertLog.Compact): compacted at start
	// and after a run, at most once a day. Default 400 days (a year and a
	// quarter, for the yearly review); negative keeps everything.
	HistoryRetention time.Duration
	// NoInitialRun waits for the schedule's first instant instead of
	// running the job at start.
	NoInitialRun bool
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Server runs the job on its schedule and serves /metrics, the results,
// the health checks and the Alertmanager webhook receiver.
type Server struct {
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	ln      net.Listener
	http    *http.Server
	m       *metrics
	alerts  *AlertLog
	acc     *Accuracy
	origin  time.Time
	started time.Time

	mu    sync.Mutex // guards cfg, sched
	cfg   *engine.Config
	sched Schedule

	reloaded chan struct{}
	running  atomic.Bool
	runWG    sync.WaitGroup
	runMu    sync.Mutex // guards cancelRun
	cancel   context.CancelCauseFunc
	ready    atomic.Bool
	// compacted is when the alert history was last compacted (by the run
	// goroutine only: never two at once).
	compacted time.Time

	lastMu sync.RWMutex
	last   *lastResults
}

// lastResults is the last successful run, as served and stored.
type lastResults struct {
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt time.Time       `json:"finished_at"`
	Duration   float64         `json:"duration_seconds"`
	Schedule   string          `json:"schedule"`
	Results    json.RawMessage `json:"results"`
	Samples    []sample        `json:"samples,omitempty"`
}

// New loads the config, opens the state (recovering a torn alert history
// line), binds the listen address and returns the server, not yet running.
func New(opts Options) (*Server, error) {
	if opts.LoadConfig == nil || opts.Job == nil || opts.StateDir == "" {
		panic("serve.New: LoadConfig, Job and StateDir are required")
	}
	if opts.Listen == "" {
		opts.Listen = DefaultListen
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	if opts.HistoryRetention == 0 {
		opts.HistoryRetention = DefaultHistoryRetention
	}
	s := &Server{opts: opts, log: opts.Logger, now: opts.Now, reloaded: make(chan struct{}, 1)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.origin = s.now()
	cfg, err := opts.LoadConfig()
	if err != nil {
		return nil, err
	}
	sched, err := ParseSchedule(cfg.Schedule, s.origin)
	if err != nil {
		return nil, fmt.Errorf("schedule: %w", err)
	}
	s.cfg, s.sched = cfg, sched
	if err := os.MkdirAll(opts.StateDir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the state directory: %w", err)
	}
	alerts, rec, err := OpenAlertLog(filepath.Join(opts.StateDir, "alerts.jsonl"))
	if err != nil {
		return nil, err
	}
	if rec.DroppedBytes > 0 {
		s.log.Warn("alert history: a torn last line (an interrupted write) was cut off", "path", alerts.Path(), "bytes", rec.DroppedBytes, "notifications", rec.Lines)
	}
	s.alerts = alerts
	acc, err := OpenAccuracy(filepath.Join(opts.StateDir, "predictions.jsonl"), opts.PredictionSpacing)
	if err != nil {
		alerts.Close()
		return nil, err
	}
	s.acc = acc
	s.m = newMetrics(opts.Version, acc)
	s.compactHistory()
	if err := s.loadLast(); err != nil {
		s.log.Warn("the last results could not be loaded; ready after the first run", "error", err)
		s.m.errors.WithLabelValues("results_store").Inc()
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		alerts.Close()
		return nil, fmt.Errorf("cannot listen on %s: %w", opts.Listen, err)
	}
	s.ln = ln
	s.http = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

func (s *Server) lastPath() string { return filepath.Join(s.opts.StateDir, "last-results.json") }

func (s *Server) loadLast() error {
	b, err := os.ReadFile(s.lastPath())
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var l lastResults
	if err := json.Unmarshal(b, &l); err != nil {
		return fmt.Errorf("%s: %w", s.lastPath(), err)
	}
	s.setLast(&l)
	s.m.lastSuccess.Set(float64(l.FinishedAt.UnixMilli()) / 1e3)
	s.log.Info("last results loaded", "path", s.lastPath(), "finished_at", l.FinishedAt.UTC().Format(time.RFC3339))
	return nil
}

func (s *Server) setLast(l *lastResults) {
	s.lastMu.Lock()
	s.last = l
	s.lastMu.Unlock()
	s.m.state.set(l.Samples)
	s.ready.Store(true)
	s.m.ready.Set(1)
}

// Config returns the config in force.
func (s *Server) Config() *engine.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// Reload reads the config again. A config that does not load or whose
// schedule does not parse is refused: the old one stays in force, the
// error is logged and counted, and returned.
func (s *Server) Reload() error {
	cfg, err := s.opts.LoadConfig()
	var sched Schedule
	if err == nil {
		sched, err = ParseSchedule(cfg.Schedule, s.origin)
		if err != nil {
			err = fmt.Errorf("schedule: %w", err)
		}
	}
	if err != nil {
		s.m.reloads.WithLabelValues("failure").Inc()
		s.m.errors.WithLabelValues("reload").Inc()
		s.m.reloadOK.Set(0)
		s.log.Error("config reload failed; the config in force is kept", "error", err)
		return err
	}
	s.mu.Lock()
	s.cfg, s.sched = cfg, sched
	s.mu.Unlock()
	s.m.reloads.WithLabelValues("success").Inc()
	s.m.reloadOK.Set(1)
	s.log.Info("config reloaded", "schedule", sched.String())
	select {
	case s.reloaded <- struct{}{}:
	default:
	}
	return nil
}

// Run serves and runs the job on its schedule until ctx is done. Then it
// stops starting runs, waits up to Options.Grace for a run in progress,
// abandons it after that (cancelling it with ctx's cause), stops serving
// and closes the state. It returns nil after a clean shutdown.
func (s *Server) Run(ctx context.Context) error {
	s.started = s.now()
	serveErr := make(chan error, 1)
	go func() { serveErr <- s.http.Serve(s.ln) }()
	s.log.Info("serving", "addr", s.ln.Addr().String(), "schedule", s.schedule().String(), "state", s.opts.StateDir)
	// Runs get a context of their own, so that shutdown can let one
	// finish; Shutdown cancels it with ctx's cause when the grace is over.
	base := context.WithoutCancel(ctx)
	next := s.now()
	if s.opts.NoInitialRun {
		next = s.schedule().Next(s.now())
	}
	var err error
loop:
	for {
		var wait <-chan time.Time
		var timer *time.Timer
		if !next.IsZero() {
			timer = time.NewTimer(max(0, next.Sub(s.now())))
			wait = timer.C
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			break loop
		case err = <-serveErr:
			if timer != nil {
				timer.Stop()
			}
			err = fmt.Errorf("serving %s: %w", s.ln.Addr(), err)
			break loop
		case <-s.reloaded:
			if timer != nil {
				timer.Stop()
			}
			next = s.schedule().Next(s.now())
		case <-wait:
			s.trigger(base)
			next = s.schedule().Next(s.now())
		}
	}
	s.shutdown(context.Cause(ctx))
	return err
}

func (s *Server) schedule() Schedule {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sched
}

// trigger starts a run unless one is going, which it counts as skipped.
func (s *Server) trigger(base context.Context) {
	if !s.running.CompareAndSwap(false, true) {
		s.m.skipped.Inc()
		s.log.Warn("run skipped: the previous run is still going", "schedule", s.schedule().String())
		return
	}
	cfg := s.Config()
	deadline := time.Duration(cfg.Deadline)
	if deadline <= 0 {
		deadline = DefaultDeadline
	}
	ctx, cancel := context.WithCancelCause(base)
	ctx, stop := context.WithTimeoutCause(ctx, deadline, fmt.Errorf("the run took longer than its deadline of %s (deadline: in omen.yaml)", deadline))
	s.runMu.Lock()
	s.cancel = cancel
	s.runMu.Unlock()
	s.runWG.Add(1)
	s.m.running.Set(1)
	go func() {
		defer s.runWG.Done()
		defer s.running.Store(false)
		defer s.m.running.Set(0)
		defer stop()
		defer cancel(nil)
		s.runOnce(ctx, cfg)
		if s.now().Sub(s.compacted) >= 24*time.Hour {
			s.compactHistory()
		}
	}()
}

// compactHistory drops the alert history's notifications about alerts
// over for longer than the retention.
func (s *Server) compactHistory() {
	if s.opts.HistoryRetention < 0 {
		return
	}
	s.compacted = s.now()
	kept, dropped, err := s.alerts.Compact(s.compacted.Add(-s.opts.HistoryRetention))
	if err != nil {
		s.m.errors.WithLabelValues("alert_history").Inc()
		s.log.Error("cannot compact the alert history", "error", err)
		return
	}
	if dropped > 0 {
		s.log.Info("alert history compacted", "retention", s.opts.HistoryRetention, "kept", kept, "dropped", dropped)
	}
}

// runOnce runs the job once and records its outcome.
func (s *Server) runOnce(ctx context.Context, cfg *engine.Config) {
	began := s.now()
	s.log.Info("run started")
	out, err := s.opts.Job.Run(ctx, cfg)
	finished := s.now()
	d := finished.Sub(began)
	s.m.duration.Observe(d.Seconds())
	s.m.lastDuration.Set(d.Seconds())
	s.m.lastRun.Set(float64(finished.UnixMilli()) / 1e3)
	if err == nil && out == nil {
		err = errors.New("the job returned no outcome")
	}
	if err != nil {
		if ctx.Err() != nil {
			s.m.runs.WithLabelValues("abandoned").Inc()
			s.log.Warn("run abandoned", "after", d.Round(time.Millisecond), "error", err, "cause", context.Cause(ctx))
			return
		}
		s.m.runs.WithLabelValues("failure").Inc()
		s.m.errors.WithLabelValues("run").Inc()
		s.log.Error("run failed", "after", d.Round(time.Millisecond), "error", err)
		return
	}
	s.m.runs.WithLabelValues("success").Inc()
	s.m.lastSuccess.Set(float64(finished.UnixMilli()) / 1e3)
	analysed := 0
	if out.Report != nil {
		analysed = len(out.Report.Results)
		s.m.analysed.Set(float64(analysed))
		s.m.seriesSkipped.Set(float64(len(out.Report.Skipped)))
	}
	results := out.JSON
	if len(results) == 0 {
		results = json.RawMessage("{}")
	}
	l := &lastResults{StartedAt: began.UTC(), FinishedAt: finished.UTC(), Duration: d.Seconds(),
		Schedule: s.schedule().String(), Results: results, Samples: resultSamples(out)}
	s.setLast(l)
	if b, err := json.Marshal(l); err == nil {
		if err := writeFileAtomic(s.lastPath(), b); err != nil {
			s.m.errors.WithLabelValues("results_store").Inc()
			s.log.Error("cannot store the last results", "error", err)
		}
	}
	if out.Report != nil {
		// Due is judged on the data's clock: a prediction is checked once
		// a run's as-of passes its horizon (with at: in the config, never).
		checks, err := s.acc.Update(out.Report, time.Duration(cfg.Horizon), out.Report.AsOf)
		if err != nil {
			s.m.errors.WithLabelValues("prediction_store").Inc()
			s.log.Error("cannot update the prediction store", "error", err)
		}
		if len(checks) > 0 {
			covered := 0
			for _, c := range checks {
				if c.Covered {
					covered++
				}
			}
			s.log.Info("earlier predictions checked", "checked", len(checks), "covered", covered)
		}
	}
	s.log.Info("run finished", "after", d.Round(time.Millisecond), "targets", analysed)
}

// shutdown waits for the run in progress up to the grace period, then
// abandons it with cause, and stops serving.
func (s *Server) shutdown(cause error) {
	done := make(chan struct{})
	go func() { s.runWG.Wait(); close(done) }()
	if s.running.Load() {
		s.log.Info("shutting down: waiting for the run in progress", "grace", s.opts.Grace)
	}
	select {
	case <-done:
	case <-time.After(s.opts.Grace):
		if cause == nil {
			cause = errors.New("shutdown")
		}
		s.log.Warn("shutting down: abandoning the run in progress", "grace", s.opts.Grace, "cause", cause)
		s.runMu.Lock()
		if s.cancel != nil {
			s.cancel(cause)
		}
		s.runMu.Unlock()
		<-done
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.http.Shutdown(ctx)
	if err := s.alerts.Close(); err != nil {
		s.log.Error("closing the alert history", "error", err)
	}
	s.log.Info("stopped")
}

// Handler returns the server's HTTP handler: /metrics, /api/v1/results,
// /api/v1/alerts (POST), /healthz and /readyz.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern, name string, h http.HandlerFunc) {
		mux.Handle(pattern, promhttp.InstrumentHandlerCounter(s.m.requests.MustCurryWith(prometheus.Labels{"handler": name}), h))
	}
	handle("GET /metrics", "/metrics", promhttp.HandlerFor(s.m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, ErrorLog: slogPrinter{s.log}}).ServeHTTP)
	handle("GET /api/v1/results", "/api/v1/results", s.serveResults)
	handle("POST /api/v1/alerts", "/api/v1/alerts", s.serveAlerts)
	handle("GET /healthz", "/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	handle("GET /readyz", "/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "not ready: no run has finished and no earlier results were loaded", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	return mux
}

func (s *Server) serveResults(w http.ResponseWriter, _ *http.Request) {
	s.lastMu.RLock()
	l := s.last
	s.lastMu.RUnlock()
	w.Header().Set("Content-Type", "application/json")
	if l == nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(map[string]string{"status": "error", "error": "no run has finished yet"})
		return
	}
	json.NewEncoder(w).Encode(struct {
		Status     string          `json:"status"`
		StartedAt  time.Time       `json:"started_at"`
		FinishedAt time.Time       `json:"finished_at"`
		Duration   float64         `json:"duration_seconds"`
		Schedule   string          `json:"schedule"`
		Results    json.RawMessage `json:"results"`
	}{"success", l.StartedAt, l.FinishedAt, l.Duration, l.Schedule, l.Results})
}

func (s *Server) serveAlerts(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAlertBody))
	if err != nil {
		s.m.notifications.WithLabelValues("invalid").Inc()
		http.Error(w, "cannot read the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	n, err := s.alerts.Append(body)
	switch {
	case errors.Is(err, ErrPayload):
		s.m.notifications.WithLabelValues("invalid").Inc()
		s.log.Warn("webhook notification refused", "error", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	case err != nil:
		// 5xx: Alertmanager retries the notification.
		s.m.notifications.WithLabelValues("failed").Inc()
		s.m.errors.WithLabelValues("alert_history").Inc()
		s.log.Error("webhook notification not stored", "error", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.m.notifications.WithLabelValues("stored").Inc()
	s.m.alertsReceived.Add(float64(n))
	w.WriteHeader(http.StatusOK)
}

// slogPrinter adapts a logger to promhttp's ErrorLog.
type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.l.Error(fmt.Sprint(v...)) }
