package cli

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/internal/engine"
	"github.com/omenhq/omen/tuner/scale"
	"github.com/omenhq/omen/tuner/yamledit"
)

// scaleOptions are the flags of omen scale.
type scaleOptions struct {
	Manifests    []string
	Workloads    []string
	Namespace    string
	Range        time.Duration
	Step         time.Duration
	HoldOut      time.Duration
	StartupDelay time.Duration
	Saturation   float64
	Write        string
	Schedule     string
	KubectlImage string
	CPUQuery     string
	MemoryQuery  string
	RequestRate  string
}

func newScaleCmd(g *globalOptions) *cobra.Command {
	o := &scaleOptions{Range: 28 * 24 * time.Hour, Step: time.Minute, StartupDelay: time.Minute, Saturation: 100, Schedule: "forecast-only"}
	cmd := &cobra.Command{
		Use:   "scale --manifests PATH",
		Short: "Propose HPA policies and container requests from forecasts, proven on a replay of the HPA",
		Long: `scale reads Kubernetes manifests and Helm values (Deployment, StatefulSet,
HorizontalPodAutoscaler autoscaling/v2 and v1, KEDA ScaledObject; values in the common chart
convention), each decoded strictly into the Kubernetes types, and the workloads' history:
cAdvisor CPU and memory per pod, kube-state-metrics requests and limits, restarts, and an
optional request rate. It proposes:

  hpa        minReplicas, maxReplicas, the CPU target, the scale-down stabilisation
             window and a slow scale-up behaviour, from the hour-of-week P90 of the
             workload's total load, its forecast and its rise over the reaction time;
             every candidate replayed by a simulator of the HPA controller (15s sync, 10%
             tolerance, behaviour policies and windows, a 30s metrics delay, pods serving
             only after --startup-delay) and chosen by saturation first within a
             replica-hours budget, then cost;
  schedule   a minimum of replicas by hour of the week (KEDA cron triggers) for the
             recurring rises no HPA setting within the budget absorbs, replayed as the
             triggers written; forecast-only (reported, not written) unless --schedule
             write. A ScaledObject's own cron triggers are replayed as part of its policy;
  resources  requests and limits: krr's simple strategy (CPU p95, memory max + 15%) as the
             baseline beside omen's, scaled by the forecast's growth; a leaking container
             gets the OOM ETAs at its limit and at a bigger one, never a bigger limit alone.

Proposals are made on the --range history before the last --hold-out and their before/after
figures are the simulator's on the held-out window: saturated minutes (load per ready pod
above --saturation percent of its request), replica-hours, scale events, minutes pinned at
maxReplicas. Demand is the workload's total load (per-pod usage × replicas), so a replay
cannot feed back into its own input (krr#169).

--write DIR writes the edited manifests under DIR (paths as under --manifests) with the
minimal editor: only the changed values' bytes differ, and every file written is read back
and decoded strictly. With --schedule write it writes the schedules too: a ScaledObject gets
the cron triggers appended to spec.triggers (named omen-schedule-N); an HPA gets a file of its
own beside its manifest, NAME.omen-schedule.yaml: a ServiceAccount allowed to patch that HPA
and CronJobs (UTC) running kubectl patch on its minReplicas at each change of the schedule,
with comments saying what GitOps controllers must ignore and how to remove it.

JSON: {"proposals": [{"workload", "kind", "object", "changes": [{"field", "container", "from",
"to"}], "before", "after", "window", "why", …}], "skipped": [{"workload", "reason"}]}.`,
		Example: `  omen scale --prometheus http://prometheus:9090 --manifests deploy/ --range 28d
  omen scale --prometheus http://vm:8428 --manifests deploy/ --workload shop/web --write out/ --format json
  omen scale --input history.om --manifests deploy/ --at 2026-11-01T00:00:00Z --format markdown
  omen scale --prometheus http://vm:8428 --manifests deploy/ --schedule write --write out/`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runScale(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.Manifests, "manifests", nil, "manifest or values `PATH`s: files or directories (comma-separated or repeated)")
	f.StringSliceVar(&o.Workloads, "workload", nil, "only these workloads, `NS/NAME` (comma-separated or repeated)")
	f.StringVar(&o.Namespace, "namespace", "", "namespace of manifests that name none (default: found in the metrics)")
	f.Var(durationValue{d: &o.Range}, "range", "history read, ending at --at or now")
	f.Var(durationValue{d: &o.Step}, "step", "resolution fetched")
	f.Var(durationValue{d: &o.HoldOut}, "hold-out", "end of the history the proposals are judged on and not made on (default 7d; a third of a history under 21d)")
	f.Var(durationValue{d: &o.StartupDelay}, "startup-delay", "time from a pod's creation to its readiness")
	f.Float64Var(&o.Saturation, "saturation", o.Saturation, "percent of a pod's request above which it counts as saturated")
	f.StringVar(&o.Write, "write", "", "write the edited manifests under `DIR`")
	f.StringVar(&o.Schedule, "schedule", o.Schedule, "predictive schedules: forecast-only (reported) or write (written with --write)")
	f.StringVar(&o.KubectlImage, "kubectl-image", scale.DefaultKubectlImage, "`IMAGE` of the CronJobs of a written HPA schedule")
	f.StringVar(&o.CPUQuery, "cpu-query", "", "CPU per container as cores (a recording rule) instead of rating "+engine.ScalePreset().CPU)
	f.StringVar(&o.MemoryQuery, "memory-query", "", "memory per container instead of "+engine.ScalePreset().Memory)
	f.StringVar(&o.RequestRate, "request-rate", "", "the workload's request rate: a query in which $namespace and $name are replaced")
	_ = cmd.MarkFlagRequired("manifests")
	return cmd
}

// scaleReport is the JSON of omen scale.
type scaleReport struct {
	AsOf      time.Time        `json:"as_of"`
	Range     string           `json:"range"`
	Proposals []scale.Proposal `json:"proposals"`
	Skipped   []scale.Skipped  `json:"skipped"`
	// Written are the files --write wrote.
	Written []string `json:"written,omitempty"`
}

func runScale(ctx context.Context, g *globalOptions, o *scaleOptions) error {
	if err := g.checkFormat("table", "json", "yaml", "markdown"); err != nil {
		return err
	}
	if o.Schedule != "forecast-only" && o.Schedule != "write" {
		return usagef("invalid --schedule %q: want forecast-only or write", o.Schedule)
	}
	if o.Schedule == "write" && o.Write == "" {
		return usagef("--schedule write needs --write DIR")
	}
	if !(o.Saturation > 0) {
		return usagef("invalid --saturation %g: want a positive percentage", o.Saturation)
	}
	set, err := scale.Read(o.Manifests, scale.ReadOptions{Namespace: o.Namespace})
	if err != nil {
		return err
	}
	src, at, err := g.sourceAt()
	if err != nil {
		return err
	}
	q := engine.ScalePreset()
	if o.CPUQuery != "" {
		q.CPU, q.CPUCounter = o.CPUQuery, false
	}
	if o.MemoryQuery != "" {
		q.Memory = o.MemoryQuery
	}
	q.RequestRate = o.RequestRate
	workloads := set.Workloads
	if len(o.Workloads) > 0 {
		workloads = nil
		for _, id := range o.Workloads {
			w, err := set.Find(id)
			if err != nil {
				return usagef("--workload %s: %v", id, err)
			}
			workloads = append(workloads, w)
		}
	}
	end := at.Truncate(o.Step)
	start := end.Add(-o.Range)
	rep := scaleReport{AsOf: end, Range: fmtDuration(o.Range), Proposals: []scale.Proposal{}, Skipped: slices.Clone(set.Skipped)}
	if rep.Skipped == nil {
		rep.Skipped = []scale.Skipped{}
	}
	cfg := scale.Config{HoldOut: o.HoldOut, Sim: scale.SimConfig{StartupDelay: o.StartupDelay}, Saturation: o.Saturation / 100, Logger: g.logger}
	for _, w := range workloads {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, ns, warnings, err := engine.ScaleHistory(ctx, src, w, q, start, end, o.Step)
		for _, wr := range warnings {
			g.logger.Warn("source warning", "workload", w.ID(), "warning", wr)
		}
		if err != nil {
			rep.Skipped = append(rep.Skipped, scale.Skipped{Workload: w.ID(), Reason: err.Error()})
			continue
		}
		if w.Namespace == "" {
			w.Namespace = ns
		}
		r := scale.Propose(w, h, cfg)
		rep.Proposals = append(rep.Proposals, r.Proposals...)
		rep.Skipped = append(rep.Skipped, r.Skipped...)
	}
	if o.Write != "" {
		written, err := writeScaled(o.Manifests, o.Write, rep.Proposals, o.Schedule == "write", scale.ScheduleOptions{Image: o.KubectlImage}, g)
		if err != nil {
			return err
		}
		rep.Written = written
		for _, f := range written {
			g.logger.Info("wrote", "file", f)
		}
	}
	switch g.Format {
	case "json", "yaml":
		return writeData(g.stdout, g.Format, rep)
	case "markdown":
		return writeScaleMarkdown(g.stdout, rep)
	}
	return writeTable(g.stdout, "table", g.display(""), scaleTable(rep))
}

// writeScaled applies the proposals' changes to their files and writes
// them under dir, as each is under its --manifests root; with schedules,
// the schedule proposals too (a ScaledObject's triggers appended, an HPA's
// CronJob patch as a file of its own beside it), which are then no longer
// forecast-only. Every file is made and checked in memory first, and read
// back strictly once written; nothing is written when any fails.
func writeScaled(roots []string, dir string, ps []scale.Proposal, schedules bool, so scale.ScheduleOptions, g *globalOptions) ([]string, error) {
	byFile := map[string][]int{}
	var files []string
	type out struct {
		path     string
		data     []byte
		mode     os.FileMode
		schedule bool
	}
	var outs []out
	for i, p := range ps {
		isSchedule := p.Kind == scale.KindScheduleProposal
		switch {
		case isSchedule && !schedules, !isSchedule && (p.ForecastOnly || len(p.Changes) == 0):
			continue
		case isSchedule && p.Object.Kind == scale.KindHPA:
			data, err := scale.ScheduleManifest(p, so)
			if err != nil {
				return nil, fmt.Errorf("--write: %w", err)
			}
			rel, err := relativeTo(roots, p.Object.File)
			if err != nil {
				return nil, err
			}
			dst := filepath.Join(dir, scale.ScheduleFile(rel, p))
			if slices.ContainsFunc(outs, func(o out) bool { return o.path == dst }) {
				return nil, fmt.Errorf("--write: %s: two HPAs named %s beside each other have schedules: write them one --workload at a time", p.Workload, p.Object.Name)
			}
			outs = append(outs, out{dst, data, 0o644, true})
			ps[i].ForecastOnly = false
			if so.Image != scale.DefaultKubectlImage {
				ps[i].KubectlImage = so.Image
			}
			continue
		case isSchedule && p.Object.Kind != scale.KindScaledObject:
			g.logger.Warn("schedule not written", "workload", p.Workload, "reason", "the chart's templates make the HPA from "+p.Object.File+": add the triggers or a CronJob by hand")
			continue
		}
		if _, ok := byFile[p.Object.File]; !ok {
			files = append(files, p.Object.File)
		}
		byFile[p.Object.File] = append(byFile[p.Object.File], i)
	}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		fi, err := os.Stat(file)
		if err != nil {
			return nil, err
		}
		data := src
		for _, i := range byFile[file] {
			next, err := scale.ApplyProposal(data, ps[i])
			if err != nil {
				return nil, fmt.Errorf("--write: %s: %w", ps[i].Workload, err)
			}
			data = next
			if ps[i].Kind == scale.KindScheduleProposal {
				ps[i].ForecastOnly = false
			}
		}
		rel, err := relativeTo(roots, file)
		if err != nil {
			return nil, err
		}
		outs = append(outs, out{path: filepath.Join(dir, rel), data: data, mode: fi.Mode().Perm()})
	}
	var written []string
	for _, o := range outs {
		if err := os.MkdirAll(filepath.Dir(o.path), 0o755); err != nil {
			return written, err
		}
		if err := yamledit.WriteFile(o.path, o.data, o.mode); err != nil {
			return written, err
		}
		written = append(written, o.path)
	}
	var manifests []string
	for i, o := range outs {
		if !o.schedule {
			manifests = append(manifests, written[i])
			continue
		}
		back, err := os.ReadFile(o.path)
		if err == nil {
			err = scale.CheckScheduleManifest(back)
		}
		if err != nil {
			return written, fmt.Errorf("--write: %s does not read back: %w", o.path, err)
		}
	}
	if len(manifests) > 0 {
		if _, err := scale.Read(manifests, scale.ReadOptions{}); err != nil {
			return written, fmt.Errorf("--write: a written file does not read back: %w", err)
		}
	}
	return written, nil
}

// relativeTo returns file's path under the --manifests root it was found
// in (its base name when the root is the file itself).
func relativeTo(roots []string, file string) (string, error) {
	for _, r := range roots {
		fi, err := os.Stat(r)
		if err != nil {
			continue
		}
		if !fi.IsDir() {
			if filepath.Clean(r) == filepath.Clean(file) {
				return filepath.Base(file), nil
			}
			continue
		}
		rel, err := filepath.Rel(r, file)
		if err == nil && !strings.HasPrefix(rel, "..") {
			return rel, nil
		}
	}
	return filepath.Base(file), nil
}

func scaleTable(rep scaleReport) tableData {
	t := tableData{
		Title:  fmt.Sprintf("omen scale — as of %s, %s of history, %s", rep.AsOf.UTC().Format("2006-01-02 15:04 MST"), rep.Range, plural(len(rep.Proposals), "proposal")),
		Header: []string{"WORKLOAD", "KIND", "CHANGES", "SATURATED MIN", "REPLICA-HOURS", "WHY"},
		Detail: "WHY",
		Cut:    []string{"WORKLOAD", "CHANGES"},
	}
	for _, p := range rep.Proposals {
		sat, rh := "-", "-"
		if p.Before != nil && p.Before.Result != nil {
			sat = fmt.Sprintf("%s → %s", fmtMinutes(p.Before.SaturatedMinutes), fmtMinutes(p.After.SaturatedMinutes))
			rh = fmt.Sprintf("%.0f → %.0f", p.Before.ReplicaHours, p.After.ReplicaHours)
		}
		kind := p.Kind
		if p.ForecastOnly {
			kind += " (forecast-only)"
		}
		t.Rows = append(t.Rows, []string{p.Workload, kind, changesText(p.Changes), sat, rh, p.Why})
	}
	for _, s := range rep.Skipped {
		t.Rows = append(t.Rows, []string{s.Workload, "skipped", "-", "-", "-", s.Reason})
	}
	return t
}

func fmtMinutes(m float64) string {
	if m > 0 && m < 10 {
		return fmt.Sprintf("%.1f", m)
	}
	return fmt.Sprintf("%.0f", math.Round(m))
}

func changesText(cs []scale.Change) string {
	if len(cs) == 0 {
		return "-"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		f := c.Field
		if c.Container != "" {
			f = c.Container + " " + f
		}
		parts[i] = fmt.Sprintf("%s %s → %s", f, valueText(c.From), valueText(c.To))
	}
	return strings.Join(parts, ", ")
}

func valueText(v any) string {
	if v == nil {
		return "unset"
	}
	return fmt.Sprint(v)
}

func writeScaleMarkdown(w io.Writer, rep scaleReport) error {
	fmt.Fprintf(w, "## omen scale — as of %s\n\n", rep.AsOf.UTC().Format("2006-01-02 15:04 MST"))
	for _, p := range rep.Proposals {
		fmt.Fprintf(w, "### %s — %s (%s)\n\n", p.Workload, p.Kind, p.Object.File)
		if len(p.Changes) > 0 {
			fmt.Fprintf(w, "| field | from | to |\n|---|---|---|\n")
			for _, c := range p.Changes {
				f := c.Field
				if c.Container != "" {
					f = c.Container + ": " + f
				}
				fmt.Fprintf(w, "| `%s` | %s | %s |\n", f, valueText(c.From), valueText(c.To))
			}
			fmt.Fprintln(w)
		}
		if p.Before != nil && p.Before.Result != nil && p.Window != nil {
			b, a := p.Before.Result, p.After.Result
			fmt.Fprintf(w, "Held out %s – %s, replayed by the HPA simulator:\n\n| | saturated minutes | replica-hours | scale events | minutes at max |\n|---|---|---|---|---|\n", p.Window.Start.Format("2006-01-02"), p.Window.End.Format("2006-01-02"))
			fmt.Fprintf(w, "| before | %s | %.0f | %d | %s |\n| after | %s | %.0f | %d | %s |\n\n", fmtMinutes(b.SaturatedMinutes), b.ReplicaHours, b.ScaleEvents, fmtMinutes(b.MinutesAtMax), fmtMinutes(a.SaturatedMinutes), a.ReplicaHours, a.ScaleEvents, fmtMinutes(a.MinutesAtMax))
		}
		for _, b := range p.Baseline {
			fmt.Fprintf(w, "krr simple for `%s`: requests.cpu %s, requests.memory %s, limits.memory %s.\n\n", b.Container, b.RequestCPU, b.RequestMemory, b.LimitMemory)
		}
		fmt.Fprintf(w, "%s\n\n", p.Why)
	}
	if len(rep.Skipped) > 0 {
		fmt.Fprintf(w, "Skipped:\n\n")
		for _, s := range rep.Skipped {
			fmt.Fprintf(w, "- %s: %s\n", s.Workload, s.Reason)
		}
	}
	return nil
}
