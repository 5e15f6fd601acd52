package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/internal/sink"
	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/internal/source/file"
	"github.com/omenhq/omen/internal/source/prom"
	"github.com/omenhq/omen/series"
)

// Environment variables that carry credentials, so that they never appear
// on a command line (and so in `ps` output or shell history).
const (
	envBearerToken       = "OMEN_BEARER_TOKEN"
	envBasicAuthPassword = "OMEN_BASIC_AUTH_PASSWORD"
)

// globalOptions are the flags every command shares.
type globalOptions struct {
	Prometheus string
	Input      string
	At         string
	Format     string
	LogLevel   string
	// Wide shows tables whole: every column, whole cells, one line a row.
	Wide bool

	Timeout               time.Duration
	Deadline              time.Duration
	MaxConcurrency        int
	MaxRequests           int
	MaxPoints             int
	BearerTokenFile       string
	BasicAuthUser         string
	BasicAuthPasswordFile string
	Headers               []string
	TLSCAFile             string
	TLSCertFile           string
	TLSKeyFile            string
	TLSServerName         string
	TLSInsecure           bool

	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// termOf describes an output stream; nil asks the operating system
	// (tests set it to pretend to be a terminal).
	termOf func(io.Writer) terminal
	// status is the status line shown, if any (see progress).
	status atomic.Pointer[progress]
	now    func() time.Time
	logger *slog.Logger
	// input is the file source once --input was opened.
	input *file.Source
	// perRow is set by commands that echo every row of an --input file in
	// file order (detect --format csv): the file's repeated timestamps are
	// then kept rather than dropped, and reported as such.
	perRow bool
	// stop releases the --deadline timer once the command returned; parent
	// is the command's context before any deadline.
	stop   context.CancelFunc
	parent context.Context
}

// DefaultDeadline is the default --deadline: how long one run may take in
// all, so that a hung server cannot keep a CronJob busy for ever.
const DefaultDeadline = time.Hour

// deadlineExceeded is the cancellation cause when --deadline passes.
type deadlineExceeded struct{ d time.Duration }

func (e deadlineExceeded) Error() string {
	return fmt.Sprintf("the run took longer than its deadline of %s (--deadline, or deadline: in omen.yaml)", e.d)
}

// clockSkew is how far ahead of this machine's clock --at may be: servers
// and the machine running omen rarely agree to the second.
const clockSkew = 5 * time.Minute

// formats accepted by --format for tabular output.
var tableFormats = []string{"table", "json", "yaml", "csv", "markdown"}

// Main runs omen with args (without the program name) and returns the
// process exit code. It is what cmd/omen calls.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globalOptions{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, now: time.Now}
	root := newRootCmd(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if g.stop != nil {
		g.stop()
	}
	if err == nil {
		return ExitOK
	}
	var in Interrupted
	if !errors.As(err, &in) && errors.As(context.Cause(ctx), &in) && errors.Is(err, context.Canceled) {
		// A loop that returned ctx.Err() rather than its cause.
		err = fmt.Errorf("%w: %w", in, err)
	}
	code := exitCode(err)
	var f findingsError
	if !errors.As(err, &f) {
		fmt.Fprintf(stderr, "omen: %v\n", err)
		if code == ExitUsage && cmd != nil {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
	}
	return code
}

func newRootCmd(g *globalOptions) *cobra.Command {
	root := &cobra.Command{
		Use:   "omen",
		Short: "Predict incidents before they happen and tune the alerts that catch them",
		Long: `omen reads metric history from Prometheus, VictoriaMetrics (or anything serving the
Prometheus query API: Thanos, Mimir, Cortex) or from files, forecasts it with seasonal
models, detects anomalies, tells when disks fill and which containers will be OOM-killed,
and tunes alert rules.

Every command reads from --prometheus URL or from --input FILE (CSV, the JSON body of a
Prometheus query_range response, or Prometheus/OpenMetrics text), and every analysis can
run as of a past instant with --at, using only the data known then.

Credentials never go on the command line: use --bearer-token-file or $OMEN_BEARER_TOKEN,
--basic-auth-user with --basic-auth-password-file or $OMEN_BASIC_AUTH_PASSWORD.

Exit codes: 0 success, 1 failure, 2 usage error, 3 findings at or above the configured risk.`,
		Example: `  omen demo
  omen fetch --prometheus http://localhost:9090 --query 'node_filesystem_avail_bytes' --range 7d
  omen fetch --input disk.csv --format table`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.setup(); err != nil {
				return err
			}
			if !cmd.Flags().Changed("deadline") {
				g.Deadline = DefaultDeadline
			}
			g.withDeadline(cmd, g.Deadline)
			return nil
		},
	}
	asGroup(root)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })

	pf := root.PersistentFlags()
	pf.StringVar(&g.Prometheus, "prometheus", "", "base URL of a server speaking the Prometheus query API (Prometheus, VictoriaMetrics, Thanos, Mimir)")
	pf.StringVarP(&g.Input, "input", "i", "", "read series from `FILE` instead of a server (.csv, .json, .om/.prom/.txt, optionally .gz; - for stdin)")
	pf.StringVar(&g.At, "at", "", "analyse as of this `TIME` (RFC3339, date, Unix seconds, now-2d): no sample after it is used; at most 5m in the future")
	pf.StringVarP(&g.Format, "format", "o", "table", "output format: table, json, yaml, csv or markdown (some commands add html or openmetrics)")
	pf.BoolVar(&g.Wide, "wide", false, "tables: every column and whole cells on one line a row, however wide the terminal")
	pf.StringVar(&g.LogLevel, "log-level", "info", "log level on stderr: debug, info, warn or error")
	pf.Var(durationValue{d: &g.Timeout}, "timeout", "timeout of one HTTP request to the server (default 2m)")
	pf.Var(durationValue{d: &g.Deadline, zeroOK: true}, "deadline", "stop the whole run after this long, e.g. 30m; 0 for none (default 1h)")
	pf.IntVar(&g.MaxConcurrency, "max-concurrency", 4, "maximum concurrent requests to the server")
	pf.IntVar(&g.MaxRequests, "max-requests", prom.DefaultMaxRequests, "query budget: the most requests one run sends to the server; a plan above it is refused (-1: no limit)")
	pf.IntVar(&g.MaxPoints, "max-points", prom.DefaultMaxPointsPerSeries, "query budget: the most points per series one query asks for; a larger one is refused (-1: no limit)")
	pf.StringVar(&g.BearerTokenFile, "bearer-token-file", "", "read the bearer token from `FILE` (or set $"+envBearerToken+")")
	pf.StringVar(&g.BasicAuthUser, "basic-auth-user", "", "basic auth user name")
	pf.StringVar(&g.BasicAuthPasswordFile, "basic-auth-password-file", "", "read the basic auth password from `FILE` (or set $"+envBasicAuthPassword+")")
	pf.StringArrayVarP(&g.Headers, "header", "H", nil, "extra HTTP header `NAME=VALUE` (repeatable), e.g. X-Scope-OrgID=tenant1")
	pf.StringVar(&g.TLSCAFile, "tls-ca-file", "", "CA certificate `FILE` to verify the server")
	pf.StringVar(&g.TLSCertFile, "tls-cert-file", "", "client certificate `FILE` for mutual TLS")
	pf.StringVar(&g.TLSKeyFile, "tls-key-file", "", "client key `FILE` for mutual TLS")
	pf.StringVar(&g.TLSServerName, "tls-server-name", "", "server name to verify in the server certificate")
	pf.BoolVar(&g.TLSInsecure, "tls-insecure-skip-verify", false, "do not verify the server certificate (insecure)")

	_ = root.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(tableFormats, cobra.ShellCompDirectiveNoFileComp))
	_ = root.RegisterFlagCompletionFunc("log-level", cobra.FixedCompletions([]string{"debug", "info", "warn", "error"}, cobra.ShellCompDirectiveNoFileComp))

	root.AddCommand(
		newVersionCmd(g),
		newFetchCmd(g),
		newDemoCmd(g),
		newForecastCmd(g),
		newBenchCmd(g),
		newRulesCmd(g),
		newPredictCmd(g),
		newRunCmd(g),
		newDetectCmd(g),
		newPRCmd(g),
		newApplyCmd(g),
		newReplayCmd(g),
		newWhatifCmd(g),
		newTuneCmd(g),
		newIncidentsCmd(g),
		newQualityCmd(g),
		newScaleCmd(g),
		newServeCmd(g),
	)
	return root
}

// withDeadline bounds the context of cmd to d from now (none when d ≤ 0),
// replacing an earlier deadline.
func (g *globalOptions) withDeadline(cmd *cobra.Command, d time.Duration) {
	if g.stop != nil {
		g.stop()
		g.stop = nil
	}
	if g.parent == nil {
		g.parent = cmd.Context()
	}
	cmd.SetContext(g.parent)
	if d <= 0 {
		return
	}
	ctx, cancel := context.WithTimeoutCause(g.parent, d, deadlineExceeded{d})
	cmd.SetContext(ctx)
	g.stop = cancel
}

// setup validates global flags and builds the logger.
func (g *globalOptions) setup() error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.LogLevel)); err != nil {
		return usagef("invalid --log-level %q: want debug, info, warn or error", g.LogLevel)
	}
	g.logger = slog.New(slog.NewTextHandler(statusWriter{g}, &slog.HandlerOptions{Level: level}))
	if g.Prometheus != "" && g.Input != "" {
		return usagef("--prometheus and --input are alternatives: give one")
	}
	return nil
}

// checkFormat returns a usage error unless --format is one of allowed.
func (g *globalOptions) checkFormat(allowed ...string) error {
	for _, f := range allowed {
		if g.Format == f {
			return nil
		}
	}
	return usagef("invalid --format %q: want %s", g.Format, strings.Join(allowed, ", "))
}

// asOf returns the --at instant, or the zero time when it was not given.
func (g *globalOptions) asOf() (time.Time, error) {
	if g.At == "" {
		return time.Time{}, nil
	}
	now := g.now()
	t, err := parseTime(g.At, now)
	if err != nil {
		return time.Time{}, usagef("invalid --at: %v", err)
	}
	if t.After(now.Add(clockSkew)) {
		return time.Time{}, usagef("invalid --at %q: %s is %s in the future (now is %s); omen analyses what was known at an instant, so --at may be at most %s ahead of this machine's clock",
			g.At, t.UTC().Format(time.RFC3339), fmtDuration(t.Sub(now).Round(time.Second)), now.UTC().Format(time.RFC3339), fmtDuration(clockSkew))
	}
	return t, nil
}

// source opens the data source named by --prometheus or --input, limited
// to --at when given.
func (g *globalOptions) source() (source.Source, error) {
	at, err := g.asOf()
	if err != nil {
		return nil, err
	}
	var src source.Source
	switch {
	case g.Input != "":
		f, err := g.openInput()
		if err != nil {
			return nil, err
		}
		if err := checkAtInFile(f, g.At, at); err != nil {
			return nil, err
		}
		g.input, src = f, f
	case g.Prometheus != "":
		cfg, err := g.promConfig()
		if err != nil {
			return nil, err
		}
		c, err := prom.New(cfg)
		if err != nil {
			// Every error here is about a flag or the job file's source
			// section: the URL, credentials, TLS files, headers.
			return nil, usageError{err}
		}
		src = c
	default:
		return nil, usagef("no data source: give --prometheus URL or --input FILE")
	}
	return source.AsOf(src, at), nil
}

// sourceAt opens the data source and returns it with the instant to
// analyse as of: --at, else the last sample of an --input file, else now.
func (g *globalOptions) sourceAt() (source.Source, time.Time, error) {
	src, err := g.source()
	if err != nil {
		return nil, time.Time{}, err
	}
	at, err := g.asOf()
	if err != nil {
		return nil, time.Time{}, err
	}
	if at.IsZero() {
		at = g.now()
		if end, ok := g.inputEnd(); ok {
			at = end // a file is analysed as of its last sample
		}
	}
	return src, at, nil
}

// push writes ss back to url with the headers and token of the source
// flags, and logs what it did.
func (g *globalOptions) push(ctx context.Context, url string, ss []series.Series) error {
	// One connection config for reading and writing: the source flags'
	// credentials, headers and TLS settings apply to the write-back too.
	cfg, err := g.promConfig()
	if err != nil {
		return err
	}
	cfg.URL = url
	c, err := prom.New(cfg)
	if err != nil {
		return usagef("invalid --push-to: %v", err)
	}
	defer c.Close()
	if err := sink.Push(ctx, sink.PushConfig{URL: url, Client: c.HTTPClient(), Logger: g.logger}, ss); err != nil {
		return err
	}
	g.logger.Info("written back", "url", sink.RedactURL(url), "series", len(ss))
	return nil
}

// inputEnd returns the instant of the last sample of the --input file: a
// file's "now", where a range without --end or --at ends.
func (g *globalOptions) inputEnd() (time.Time, bool) {
	if g.input == nil {
		return time.Time{}, false
	}
	last, ok := g.input.Last()
	return time.UnixMilli(last).UTC(), ok
}

// openInput reads the --input file, refuses one without samples and logs
// what reading it repaired or assumed, once (see seriesio.Repairs).
func (g *globalOptions) openInput() (*file.Source, error) {
	if g.input != nil {
		return g.input, nil
	}
	var f *file.Source
	var err error
	if g.Input == "-" {
		f, err = file.ReadSource(g.stdin, "<stdin>")
	} else {
		f, err = file.Open(g.Input)
	}
	if err != nil {
		return nil, err
	}
	if _, ok := f.Last(); !ok {
		return nil, fmt.Errorf("%s holds no samples: expected at least one row of data (a header, comments or an empty result are not history)", f.Name())
	}
	rep := f.Repairs()
	if g.perRow {
		if rep.Unordered > 0 {
			g.logger.Warn(fmt.Sprintf("%s: %s out of time order (the first at %s): scored and echoed in file order", f.Name(), plural(rep.Unordered, "row"), rep.UnorderedAt))
		}
		if rep.Duplicates > 0 {
			g.logger.Info(fmt.Sprintf("%s: %s the timestamp of a later row of the same series (the first at %s): each is scored and echoed", f.Name(), plural(rep.Duplicates, "row")+map[bool]string{true: " repeats", false: " repeat"}[rep.Duplicates == 1], rep.DuplicateAt))
		}
	} else {
		for _, w := range []string{rep.SortWarning(f.Name()), rep.DuplicateWarning(f.Name())} {
			if w != "" {
				g.logger.Warn(w)
			}
		}
	}
	for _, w := range rep.Warnings {
		g.logger.Warn(w)
	}
	for _, a := range rep.Assumed {
		g.logger.Info(a)
	}
	return f, nil
}

// checkAtInFile refuses an --at later than the file's last sample by more
// than file.Lookback: nothing is known then, and every series would be
// missing or stale.
func checkAtInFile(f *file.Source, flag string, at time.Time) error {
	last, ok := f.Last()
	if at.IsZero() || !ok {
		return nil
	}
	end := time.UnixMilli(last).UTC()
	if at.Sub(end) <= file.Lookback {
		return nil
	}
	return usagef("invalid --at %q: %s is after the end of the data: the last sample of %s is at %s, %s earlier; give an --at within the data, or leave --at out to analyse as of the last sample",
		flag, at.UTC().Format(time.RFC3339), f.Name(), end.Format(time.RFC3339), fmtDuration(at.Sub(end).Round(time.Second)))
}

// promConfig maps the global flags onto the adapter's configuration.
func (g *globalOptions) promConfig() (prom.Config, error) {
	cfg := prom.Config{
		URL:                   g.Prometheus,
		Timeout:               g.Timeout,
		MaxConcurrency:        g.MaxConcurrency,
		MaxRequests:           g.MaxRequests,
		MaxPointsPerSeries:    g.MaxPoints,
		BearerToken:           g.getenv(envBearerToken),
		BearerTokenFile:       g.BearerTokenFile,
		BasicAuthUser:         g.BasicAuthUser,
		BasicAuthPassword:     g.getenv(envBasicAuthPassword),
		BasicAuthPasswordFile: g.BasicAuthPasswordFile,
		TLS: prom.TLSConfig{
			CAFile:             g.TLSCAFile,
			CertFile:           g.TLSCertFile,
			KeyFile:            g.TLSKeyFile,
			ServerName:         g.TLSServerName,
			InsecureSkipVerify: g.TLSInsecure,
		},
		Logger:   g.logger,
		Progress: g.requests,
	}
	if len(g.Headers) > 0 {
		cfg.Headers = make(map[string]string, len(g.Headers))
		for _, h := range g.Headers {
			name, value, ok := strings.Cut(h, "=")
			if !ok || strings.TrimSpace(name) == "" {
				return cfg, usagef("invalid --header %q: want NAME=VALUE", h)
			}
			cfg.Headers[strings.TrimSpace(name)] = value
		}
	}
	return cfg, nil
}
