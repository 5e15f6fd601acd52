package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// progress is the status line of a step that may take a while, on stderr:
//
//	predicting  120/500 targets · 14/40 requests · 12s
//
// It is drawn only when stderr is a terminal and the output is not a
// machine format piped away (json, yaml, csv or openmetrics on a stdout
// that is not a terminal): never in a CronJob's log or a JSON pipeline.
// It is redrawn at most ten times a second, and every second so that the
// clock shows a hung server. Log records written meanwhile go above it
// (see statusWriter). Finish clears it and logs the one-line summary: at
// info level when no line was drawn, so that a CronJob's log says what
// was done, at debug level otherwise (the table says it).
//
// Library code feeds it through a plain callback, func(done, total int),
// from Counter: packages that never print need not know about it.
type progress struct {
	g     *globalOptions
	mu    sync.Mutex
	draw  bool
	what  string
	parts []*counter
	began time.Time
	last  time.Time
	shown bool // a line is on the screen
	ended bool // Finish was called
	stop  chan struct{}
	done  chan struct{}
	width int
}

// counter is one "done/total unit" of a status line; a total of 0 means
// not known yet.
type counter struct {
	unit        string
	done, total int
}

// startProgress begins a status line saying what is being done ("fetching",
// "predicting"). Finish must be called.
func (g *globalOptions) startProgress(what string) *progress {
	p := &progress{g: g, what: what, began: time.Now()}
	if old := g.status.Load(); old != nil {
		old.Finish("")
	}
	g.status.Store(p)
	t := g.terminalOf(g.stderr)
	machine := slices.Contains([]string{"json", "yaml", "csv", "openmetrics"}, g.Format)
	p.draw = t.TTY && (!machine || g.terminalOf(g.stdout).TTY)
	if !p.draw {
		return p
	}
	p.width = t.Width
	if p.width <= 0 {
		p.width = 80
	}
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
				p.mu.Lock()
				p.redraw(true)
				p.mu.Unlock()
			}
		}
	}()
	return p
}

// Stage names what is being done now, keeping the clock and the counters.
func (p *progress) Stage(what string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.what = what
	p.redraw(true)
}

// Counter returns the callback that sets the count of unit: pass it to a
// library's Progress option. It may be called from several goroutines.
func (p *progress) Counter(unit string) func(done, total int) {
	return func(done, total int) { p.set(unit, done, total) }
}

// set sets the count of unit, adding it to the line the first time.
func (p *progress) set(unit string, done, total int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	i := slices.IndexFunc(p.parts, func(c *counter) bool { return c.unit == unit })
	if i < 0 {
		p.parts = append(p.parts, &counter{unit: unit})
		i = len(p.parts) - 1
	}
	p.parts[i].done, p.parts[i].total = done, total
	p.redraw(false)
}

// requests is the prom client's Progress hook: it counts the requests on
// whatever status line is shown.
func (g *globalOptions) requests(done, planned int) {
	g.status.Load().set("requests", done, planned)
}

// line is the status text, cut to the terminal's width.
func (p *progress) line() string {
	parts := []string{p.what}
	for _, c := range p.parts {
		switch {
		case c.total > 0:
			parts = append(parts, fmt.Sprintf("%d/%d %s", c.done, c.total, c.unit))
		case c.done > 0:
			parts = append(parts, plural(c.done, strings.TrimSuffix(c.unit, "s")))
		}
	}
	parts = append(parts, fmtDuration(time.Since(p.began).Truncate(time.Second)))
	s := strings.Join(parts, " · ")
	if r := []rune(s); len(r) > p.width-1 {
		s = string(r[:p.width-2]) + "…"
	}
	return s
}

// redraw draws the line, at most ten times a second unless forced. The
// caller holds p.mu.
func (p *progress) redraw(force bool) {
	if !p.draw || p.stop == nil {
		return
	}
	if !force && time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	fmt.Fprint(p.g.stderr, "\r\x1b[K"+p.line())
	p.shown = true
}

// clear removes the line from the screen. The caller holds p.mu.
func (p *progress) clear() {
	if p.shown {
		fmt.Fprint(p.g.stderr, "\r\x1b[K")
		p.shown = false
	}
}

// Finish clears the line and logs msg (unless "") with args and the time
// taken: at info level when no line was drawn, debug otherwise. Only the
// first call counts, so a deferred Finish("") covers the error paths.
func (p *progress) Finish(msg string, args ...any) {
	if p == nil || p.ended {
		return
	}
	p.ended = true
	if p.stop != nil {
		close(p.stop)
		<-p.done
		p.stop = nil
	}
	p.mu.Lock()
	p.clear()
	p.mu.Unlock()
	p.g.status.CompareAndSwap(p, nil)
	if msg == "" || p.g.logger == nil {
		return
	}
	level := slog.LevelInfo
	if p.draw {
		level = slog.LevelDebug
	}
	p.g.logger.Log(context.Background(), level, msg, append(args, "took", time.Since(p.began).Round(time.Millisecond))...)
}

// statusWriter is stderr as the logger sees it: a record written while a
// status line is shown clears the line first and draws it again after.
type statusWriter struct{ g *globalOptions }

func (s statusWriter) Write(b []byte) (int, error) {
	p := s.g.status.Load()
	if p == nil {
		return s.g.stderr.Write(b)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	n, err := s.g.stderr.Write(b)
	p.redraw(true)
	return n, err
}

var _ io.Writer = statusWriter{}
