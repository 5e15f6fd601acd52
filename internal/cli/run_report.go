package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/omenhq/omen/internal/sink"
)

// report writes the run's summary — every stage so far and what they
// found — as HTML (the predictions page with its charts, the stages
// first), Markdown and JSON, to the paths of report:. The report stage's
// own outcome is in the log and the exit code, not in the files.
func (j *job) report(ctx context.Context) (string, string, error) {
	rc := j.cfg.Report
	if rc.HTML == "" && rc.Markdown == "" && rc.JSON == "" {
		return stageNotConfigured, "no report: paths", nil
	}
	var written []string
	var errs []error
	for _, f := range []struct {
		format, path string
		write        func(io.Writer) error
	}{
		{"json", rc.JSON, func(w io.Writer) error { return writeJSON(w, j.sum) }},
		{"markdown", rc.Markdown, func(w io.Writer) error { return writeJobMarkdown(w, &j.sum) }},
		{"html", rc.HTML, func(w io.Writer) error { return sink.WriteHTML(w, j.htmlSummary()) }},
	} {
		if f.path == "" {
			continue
		}
		path := j.outputPath(f.path)
		if err := writeOutput(ctx, path, j.g.stdout, f.write); err != nil {
			errs = append(errs, fmt.Errorf("report %s %s: %w", f.format, path, err))
			continue
		}
		written = append(written, path)
	}
	summary := "written: " + strings.Join(written, ", ")
	if len(errs) > 0 {
		return "", summary, errors.Join(errs...)
	}
	return stageOK, summary, nil
}

// stageLines are the stages as sentences: "predictions — findings: …".
func stageLines(sum *jobSummary) []string {
	var out []string
	for _, s := range sum.Stages {
		line := fmt.Sprintf("%s — %s", s.Name, s.Status)
		if s.Summary != "" {
			line += ": " + s.Summary
		}
		if s.Error != "" {
			line += " — error: " + s.Error
		}
		out = append(out, line)
	}
	return out
}

// htmlSummary is the predictions page (charts of the riskiest targets,
// the table of the others) with the stages and their findings on top.
func (j *job) htmlSummary() sink.Report {
	var hr sink.Report
	if j.rep != nil {
		hr = htmlReport(j.shown)
	} else {
		hr = sink.Report{AsOf: j.at, Headline: "No capacity predictions in this run."}
	}
	hr.Title = "omen run — " + j.sum.Status
	if j.shard.Active() {
		hr.Title += " (shard " + j.shard.String() + ")"
	}
	var notes []string
	for _, l := range stageLines(&j.sum) {
		notes = append(notes, "Stage "+l+".")
	}
	if a := j.sum.Anomalies; a != nil {
		for _, t := range a.Top {
			notes = append(notes, fmt.Sprintf("Anomaly: %s, %s – %s, peak score %.2f.", labelsText(t.Labels), t.Start.Format(time.RFC3339), t.End.Format(time.RFC3339), t.Peak))
		}
	}
	if q := j.sum.Quality; q != nil {
		notes = append(notes, fmt.Sprintf("Alert quality: %d of %d incidents caught, %d pages, %s.", q.Caught, q.Incidents, q.Pages, verdictList(j.sum.Verdicts)))
	}
	if t := j.sum.Tuning; t != nil {
		for _, c := range t.Changes {
			notes = append(notes, fmt.Sprintf("Proposed: %s (%s): %s — %s", c.Alert, c.File, c.Changes, c.Why))
		}
	}
	hr.Notes = append(notes, hr.Notes...)
	return hr
}

func labelsText(m map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+m[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	return keys
}

// writeJobMarkdown writes the run's summary for chat: the stages in a
// table, the riskiest targets, the strongest anomalies, alert quality.
func writeJobMarkdown(w io.Writer, sum *jobSummary) error {
	var b strings.Builder
	title := "omen run"
	if sum.Shard != "" {
		title += " (shard " + sum.Shard + ")"
	}
	fmt.Fprintf(&b, "## %s — %s, as of %s\n\n", title, sum.Status, sum.AsOf)
	b.WriteString("| stage | status | summary |\n|---|---|---|\n")
	for _, s := range sum.Stages {
		text := s.Summary
		if s.Error != "" {
			text = strings.TrimSpace(text + " error: " + s.Error)
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", s.Name, s.Status, mdCell(text))
	}
	if p := sum.Predictions; p != nil && len(p.AtRisk) > 0 {
		b.WriteString("\n**At risk** (most urgent first)\n\n| risk | target | series | full in (P50) | pattern |\n|---|---|---|---|---|\n")
		for _, r := range p.AtRisk[:min(len(p.AtRisk), 10)] {
			eta := "-"
			if r.ETASeconds != nil && r.ETASeconds.P50 != nil {
				eta = fmtDuration(time.Duration(*r.ETASeconds.P50 * float64(time.Second)).Round(time.Minute))
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.Risk, r.Target, mdCell(labelsText(r.Labels)), eta, r.Pattern)
		}
	}
	if a := sum.Anomalies; a != nil && len(a.Top) > 0 {
		b.WriteString("\n**Strongest anomalies**\n\n| series | from | to | peak |\n|---|---|---|---|\n")
		for _, t := range a.Top[:min(len(a.Top), 5)] {
			fmt.Fprintf(&b, "| %s | %s | %s | %.2f |\n", mdCell(labelsText(t.Labels)), t.Start.Format(time.RFC3339), t.End.Format(time.RFC3339), t.Peak)
		}
	}
	if t := sum.Tuning; t != nil && len(t.Changes) > 0 {
		b.WriteString("\n**Proposed alert changes**\n\n| alert | file | change | why |\n|---|---|---|---|\n")
		for _, c := range t.Changes {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdCell(c.Alert), mdCell(c.File), mdCell(c.Changes), mdCell(c.Why))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdCell escapes a Markdown table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

func sortStrings(s []string) { slices.Sort(s) }
