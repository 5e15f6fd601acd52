package autoscale

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/omenhq/omen/internal/cputime"
	"github.com/omenhq/omen/tuner/scale"
)

// Options configure Run. The zero value runs the default benchmark.
type Options struct {
	// Seed and N select the workloads: Generate(Seed, i) for i < N.
	// Defaults 1 and 20.
	Seed uint64
	N    int
	// Weeks of history per workload; default 5.
	Weeks int
	// HoldOut is the end of the history judged on and not proposed on;
	// default 14 days.
	HoldOut time.Duration
	// Workers handles workloads in parallel; 0 means GOMAXPROCS.
	Workers int
	// Only, when set, runs only these workload indexes (< N).
	Only []int
	// Independent runs the independent suite (GenerateIndependent: its own
	// seed space and kinds, never tuned on) instead of the suite the method
	// is developed on; its judge replays with a 15 s metrics delay, which
	// the tuned-on suite's judge does not.
	Independent bool
}

func (o Options) withDefaults() Options {
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.N <= 0 {
		o.N = 24
		if o.Independent {
			o.N = 18
		}
	}
	if o.Weeks <= 0 {
		o.Weeks = 5
	}
	if o.HoldOut <= 0 {
		o.HoldOut = 14 * 24 * time.Hour
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

// Row is one workload's outcome.
type Row struct {
	Workload string `json:"workload"`
	Kind     string `json:"kind"`
	// Current and Proposed are the policies, in one line each.
	Current  string `json:"current"`
	Proposed string `json:"proposed"`
	// Before and After are the judge's figures on the held-out weeks:
	// the current manifests and the manifests omen wrote.
	Before scale.Result `json:"before"`
	After  scale.Result `json:"after"`
	// Verdict is the acceptance: "halved" (saturated minutes at least
	// halved with at most 10% more replica-hours), "cheaper" (replica-hours
	// cut by at least 20% where the current policy never saturates),
	// "improved: …" (fewer replica-hours, by less than 20%, without
	// saturating), "kept" (no HPA change proposed), or "fail: …".
	Verdict string `json:"verdict"`
	// Schedule, when omen proposed a (forecast-only) predictive schedule,
	// is the judge's figures of the proposed HPA with it, and
	// ScheduleVerdict the acceptance of that against Before.
	Schedule        *scale.Result `json:"schedule,omitempty"`
	ScheduleVerdict string        `json:"schedule_verdict,omitempty"`
	// Sizing is the resources proposal, when there is one.
	Sizing *SizingRow `json:"sizing,omitempty"`
	// Written counts the manifests written and read back strictly.
	Written int `json:"written"`
	// Schedules counts the schedules written as CronJob patches
	// (scale.ScheduleManifest) and decoded strictly.
	Schedules int `json:"schedules"`
}

// SizingRow is krr's simple strategy beside omen's for one container.
type SizingRow struct {
	KrrCPU, KrrMemoryRequest, KrrMemoryLimit    string
	OmenCPU, OmenMemoryRequest, OmenMemoryLimit string
	// Leak is set when omen found a leak; BiggerLimitOnly when the
	// proposal's only memory change would be a bigger limit (a failure).
	Leak, BiggerLimitOnly bool
	Note                  string
}

// Report is the outcome of Run.
type Report struct {
	Options Options `json:"options"`
	Rows    []Row   `json:"rows"`
	// Totals over the workloads.
	Pass, Improved, Fail, Kept int
	LeakOK, Leaks              int
	// Written is the number of manifests written; all decoded strictly.
	Written int
	// Schedules is the number of schedules written as CronJob patches.
	Schedules int
	Elapsed   time.Duration
	// CPU is the process CPU time of the run.
	CPU time.Duration
}

// Run generates the suite, makes the proposals on the first weeks of each
// workload through the library path omen scale takes (manifests read
// strictly, history, Propose, Edit), reads the edited manifests back
// strictly, and judges the current and the written policies with the HPA
// simulator on the held-out weeks.
func Run(ctx context.Context, o Options) (*Report, error) {
	o = o.withDefaults()
	began := time.Now()
	cpu0 := cputime.Process()
	dir, err := os.MkdirTemp("", "omen-bench-scale-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	rows := make([]Row, o.N)
	errs := make([]error, o.N)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				rows[i], errs[i] = one(o, i, dir)
			}
		}()
	}
	todo := o.Only
	if len(todo) == 0 {
		for i := range o.N {
			todo = append(todo, i)
		}
	}
	done := make([]bool, o.N)
	for _, i := range todo {
		if ctx.Err() != nil {
			break
		}
		if i < 0 || i >= o.N {
			close(jobs)
			wg.Wait()
			return nil, fmt.Errorf("workload index %d: want 0 to %d", i, o.N-1)
		}
		done[i] = true
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep := &Report{Options: o}
	for i, r := range rows {
		if !done[i] {
			continue
		}
		if errs[i] != nil {
			return nil, fmt.Errorf("workload %d: %w", i, errs[i])
		}
		rep.Rows = append(rep.Rows, r)
		rep.Written += r.Written
		rep.Schedules += r.Schedules
		switch {
		case r.Verdict == "kept":
			rep.Kept++
		case strings.HasPrefix(r.Verdict, "fail"):
			rep.Fail++
		case strings.HasPrefix(r.Verdict, "improved"):
			rep.Improved++
		default:
			rep.Pass++
		}
		if r.Sizing != nil && r.Sizing.Leak {
			rep.Leaks++
			if !r.Sizing.BiggerLimitOnly {
				rep.LeakOK++
			}
		}
	}
	rep.Elapsed = time.Since(began)
	rep.CPU = cputime.Process() - cpu0
	return rep, nil
}

func one(o Options, i int, dir string) (Row, error) {
	gen := Generate
	if o.Independent {
		gen = GenerateIndependent
	}
	w, err := gen(o.Seed, i, o.Weeks)
	if err != nil {
		return Row{}, err
	}
	row := Row{Workload: "bench/" + w.Name, Kind: w.Kind}
	file := filepath.Join(dir, w.Name+".yaml")
	if err := os.WriteFile(file, w.Manifest, 0o644); err != nil {
		return row, err
	}
	set, err := scale.Read([]string{file}, scale.ReadOptions{})
	if err != nil {
		return row, err
	}
	wl, err := set.Find(row.Workload)
	if err != nil {
		return row, err
	}
	cfg := scale.Config{HoldOut: o.HoldOut, Sim: scale.SimConfig{StartupDelay: w.StartupDelay}}
	rep := scale.Propose(wl, w.History, cfg)
	// Write what omen proposes, then read it back strictly.
	src := w.Manifest
	for _, p := range rep.Proposals {
		if p.Kind == scale.KindScheduleProposal {
			// As omen scale --schedule write writes it: a CronJob patch of
			// the HPA's minReplicas, decoded strictly.
			data, err := scale.ScheduleManifest(p, scale.ScheduleOptions{})
			if err != nil {
				return row, fmt.Errorf("schedule: %w", err)
			}
			if err := os.WriteFile(filepath.Join(dir, scale.ScheduleFile(w.Name+".yaml", p)), data, 0o644); err != nil {
				return row, err
			}
			row.Schedules++
			continue
		}
		if p.ForecastOnly || len(p.Changes) == 0 {
			continue
		}
		out, err := scale.Edit(src, p.Object, p.Changes)
		if err != nil {
			return row, fmt.Errorf("%s: %w", p.Kind, err)
		}
		// The acceptance: only the changed values' bytes differ.
		if err := scale.CheckDiff(src, out, p.Changes); err != nil {
			return row, fmt.Errorf("%s: the written manifest differs in more than the changed values: %w", p.Kind, err)
		}
		src = out
		row.Written++
	}
	edited := filepath.Join(dir, w.Name+".edited.yaml")
	if err := os.WriteFile(edited, src, 0o644); err != nil {
		return row, err
	}
	set2, err := scale.Read([]string{edited}, scale.ReadOptions{})
	if err != nil {
		return row, fmt.Errorf("the written manifests do not read back: %w", err)
	}
	wl2, err := set2.Find(row.Workload)
	if err != nil {
		return row, err
	}
	// The judge: both policies on the held-out weeks.
	cur, next := policyOf(wl), policyOf(wl2)
	row.Current, row.Proposed = cur.String(), next.String()
	end := w.History.Demand.End()
	judge := scale.SimConfig{StartupDelay: w.StartupDelay, From: end.Add(-o.HoldOut), To: end}
	if o.Independent {
		judge.MetricsDelay = 15 * time.Second
	}
	d := scale.Demand{Start: Start, Step: step, Load: map[string][]float64{"cpu": w.Load}}
	if row.Before, err = scale.Simulate(cur, d, judge); err != nil {
		return row, err
	}
	if row.After, err = scale.Simulate(next, d, judge); err != nil {
		return row, err
	}
	row.Verdict = verdict(row.Before, row.After, cur.String() == next.String())
	for _, p := range rep.Proposals {
		if p.Kind != scale.KindScheduleProposal || len(p.Triggers) == 0 {
			continue
		}
		with := next
		with.Floor = scheduleOf(p)
		res, err := scale.Simulate(with, d, judge)
		if err != nil {
			return row, err
		}
		row.Schedule = &res
		row.ScheduleVerdict = verdict(row.Before, res, false)
	}
	for _, p := range rep.Proposals {
		if p.Kind != scale.KindResourcesProposal {
			continue
		}
		row.Sizing = sizingRow(p, wl2)
	}
	return row, nil
}

// scheduleOf reads a schedule proposal's KEDA cron triggers back into a
// minimum of replicas by hour of the week, as the judge applies them: each
// trigger's replicas over each of its spans (scale.TriggerSpans; minute
// resolution is rounded to the hours it covers, the start's hour
// included).
func scheduleOf(p scale.Proposal) *scale.Schedule {
	var s scale.Schedule
	for _, t := range p.Triggers {
		spans, err := scale.TriggerSpans(t)
		if err != nil {
			continue
		}
		var n int32
		fmt.Sscan(t.Metadata["desiredReplicas"], &n)
		for _, sp := range spans {
			from, to := sp[0], sp[1]
			lead := 0
			if from%60 != 0 {
				lead = 60 - from%60
			}
			s.Lead = max(s.Lead, time.Duration(lead)*time.Minute)
			for m := from + lead; m < to; m += 60 {
				h := (m / 60) % 168
				s.Min[h] = max(s.Min[h], n)
			}
		}
	}
	return &s
}

// policyOf is a workload's policy with its pods' request filled in.
func policyOf(w *scale.Workload) scale.Policy {
	p := w.Autoscaler.Policy
	req := w.Containers[0].Requests["cpu"]
	p.Metrics[0].Request = req.AsApproximateFloat64()
	return p
}

func verdict(before, after scale.Result, same bool) string {
	switch {
	case same:
		if before.SaturatedMinutes > 0 {
			return fmt.Sprintf("fail: no HPA change while the current policy saturates %.0f minutes", before.SaturatedMinutes)
		}
		return "kept"
	case before.SaturatedMinutes > 0:
		if after.SaturatedMinutes <= before.SaturatedMinutes/2 && after.ReplicaHours <= 1.1*before.ReplicaHours {
			return "halved"
		}
		return fmt.Sprintf("fail: saturation %.0f → %.0f min, replica-hours %+.0f%%", before.SaturatedMinutes, after.SaturatedMinutes, 100*(after.ReplicaHours/before.ReplicaHours-1))
	default:
		if after.ReplicaHours <= 0.8*before.ReplicaHours && after.SaturatedMinutes == 0 {
			return "cheaper"
		}
		if after.ReplicaHours < before.ReplicaHours && after.SaturatedMinutes == 0 {
			return fmt.Sprintf("improved: %+.0f%% replica-hours (the current policy was within 20%% of it)", 100*(after.ReplicaHours/before.ReplicaHours-1))
		}
		return fmt.Sprintf("fail: replica-hours %+.0f%%, saturation %.0f → %.0f min", 100*(after.ReplicaHours/before.ReplicaHours-1), before.SaturatedMinutes, after.SaturatedMinutes)
	}
}

func sizingRow(p scale.Proposal, edited *scale.Workload) *SizingRow {
	s := &SizingRow{Leak: len(p.Leaks) > 0}
	if len(p.Baseline) > 0 {
		b := p.Baseline[0]
		s.KrrCPU, s.KrrMemoryRequest, s.KrrMemoryLimit = b.RequestCPU, b.RequestMemory, b.LimitMemory
	}
	c := edited.Containers[0]
	if v, ok := c.Requests["cpu"]; ok {
		s.OmenCPU = v.String()
	}
	if v, ok := c.Requests["memory"]; ok {
		s.OmenMemoryRequest = v.String()
	}
	if v, ok := c.Limits["memory"]; ok {
		s.OmenMemoryLimit = v.String()
	}
	if s.Leak {
		only := true
		for _, ch := range p.Changes {
			if ch.Field != "limits.memory" {
				only = false
			}
		}
		s.BiggerLimitOnly = only && len(p.Changes) > 0
		l := p.Leaks[0]
		s.Note = fmt.Sprintf("leak: OOM kill at %s %s, at %s %s", l.Limit, eta(l.ETA), l.BiggerLimt, eta(l.BiggerETA))
	}
	return s
}

func eta(d *time.Duration) string {
	if d == nil {
		return "beyond 30d"
	}
	return "in " + d.Round(time.Hour).String()
}

// Markdown renders the report as the section of bench/RESULTS.md.
func (r *Report) Markdown() string {
	var b strings.Builder
	set := "the suite the method is developed on (pods ready 90 s after creation; judge without metrics delay)"
	if r.Options.Independent {
		set = "the independent suite (never tuned on; pods ready 30 s to 3 min after creation; judge with a 15 s metrics delay)"
	}
	fmt.Fprintf(&b, "Seed %d, %d workloads of %s, %d weeks each, the last %s held out.\n\n", r.Options.Seed, len(r.Rows), set, r.Options.Weeks, r.Options.HoldOut)
	fmt.Fprintf(&b, "| workload | current | proposed | saturated min before → after | replica-hours before → after | verdict | with the schedule (--schedule write) |\n|---|---|---|---|---|---|---|\n")
	var sb, sa, rb, ra float64
	for _, row := range r.Rows {
		sched := "–"
		if s := row.Schedule; s != nil {
			sched = fmt.Sprintf("%.0f min, %.0f (%+.0f%%): %s", s.SaturatedMinutes, s.ReplicaHours, 100*(s.ReplicaHours/math.Max(row.Before.ReplicaHours, 1e-9)-1), row.ScheduleVerdict)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %.0f → %.0f | %.0f → %.0f (%+.0f%%) | %s | %s |\n", row.Workload, row.Current, row.Proposed,
			row.Before.SaturatedMinutes, row.After.SaturatedMinutes, row.Before.ReplicaHours, row.After.ReplicaHours, 100*(row.After.ReplicaHours/math.Max(row.Before.ReplicaHours, 1e-9)-1), row.Verdict, sched)
		sb += row.Before.SaturatedMinutes
		sa += row.After.SaturatedMinutes
		rb += row.Before.ReplicaHours
		ra += row.After.ReplicaHours
	}
	fmt.Fprintf(&b, "| **total** | | | %.0f → %.0f | %.0f → %.0f (%+.1f%%) | %d pass, %d improved, %d fail, %d kept | |\n\n", sb, sa, rb, ra, 100*(ra/math.Max(rb, 1e-9)-1), r.Pass, r.Improved, r.Fail, r.Kept)
	fmt.Fprintf(&b, "| workload | krr simple: requests.cpu / requests.memory / limits.memory | omen | note |\n|---|---|---|---|\n")
	for _, row := range r.Rows {
		s := row.Sizing
		if s == nil {
			continue
		}
		fmt.Fprintf(&b, "| %s | %s / %s / %s | %s / %s / %s | %s |\n", row.Workload, s.KrrCPU, s.KrrMemoryRequest, s.KrrMemoryLimit, s.OmenCPU, s.OmenMemoryRequest, s.OmenMemoryLimit, s.Note)
	}
	fmt.Fprintf(&b, "\nLeaking containers: %d, of which %d got no proposal of a bigger memory limit alone. Manifests written: %d, every one read back and decoded strictly, and differing from the original only in the changed values' bytes (scale.CheckDiff); schedules written as CronJob patches of minReplicas (--schedule write): %d, every one decoded strictly. Wall %s, CPU %s.\n",
		r.Leaks, r.LeakOK, r.Written, r.Schedules, r.Elapsed.Round(time.Second), r.CPU.Round(time.Second))
	return b.String()
}
