package delivery

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/omenhq/omen/internal/gitops"
	"github.com/omenhq/omen/tuner/scale"
)

// ScaleBranchPrefix starts the branch of every manifest pull request:
// omen/scale-<hash of the objects and fields changed>.
const ScaleBranchPrefix = "omen/scale-"

// ScaleFile is the JSON `omen scale` writes: its proposals (HPA,
// schedule, resources) and the workloads left alone. Unknown fields are
// ignored.
type ScaleFile struct {
	Proposals []scale.Proposal `json:"proposals"`
	Skipped   []scale.Skipped  `json:"skipped"`
	AsOf      string           `json:"as_of,omitempty"`
	Range     string           `json:"range,omitempty"`
}

// IsScaleJSON reports whether data is the JSON of `omen scale` rather
// than of `omen tune`: its proposals name a workload and a kind, and no
// rule file.
func IsScaleJSON(data []byte) bool {
	var probe struct {
		Proposals []struct {
			Workload *string         `json:"workload"`
			Kind     *string         `json:"kind"`
			Object   json.RawMessage `json:"object"`
			File     *string         `json:"file"`
		} `json:"proposals"`
	}
	if json.Unmarshal(data, &probe) != nil || len(probe.Proposals) == 0 {
		return false
	}
	for _, p := range probe.Proposals {
		if p.Workload == nil || p.Kind == nil || len(p.Object) == 0 || p.File != nil {
			return false
		}
	}
	return true
}

// ReadScale reads the JSON of `omen scale`; name is what errors call it.
func ReadScale(r io.Reader, name string) (*ScaleFile, error) {
	var f ScaleFile
	dec := json.NewDecoder(r)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, name, err)
	}
	for i, p := range f.Proposals {
		switch {
		case p.Workload == "":
			return nil, fmt.Errorf("%w: %s: proposal %d: no workload", ErrInvalid, name, i+1)
		case p.Kind != scale.KindHPAProposal && p.Kind != scale.KindResourcesProposal && p.Kind != scale.KindScheduleProposal:
			return nil, fmt.Errorf("%w: %s: proposal %d (%s): kind %q: want hpa, resources or schedule", ErrInvalid, name, i+1, p.Workload, p.Kind)
		case p.Object.File == "" || p.Object.Kind == "":
			return nil, fmt.Errorf("%w: %s: proposal %d (%s): no object (file and kind)", ErrInvalid, name, i+1, p.Workload)
		}
	}
	return &f, nil
}

// ManifestOptions configures DeliverManifests; the fields are those of
// Options.
type ManifestOptions struct {
	Repo, Base, Token, GitUser string
	// Proposals are omen scale's proposals. Forecast-only ones and ones
	// without changes are never applied. Their object files are paths
	// relative to the repository root (as when omen scale runs at the root
	// of a checkout); an absolute path is taken relative to Repo when Repo
	// is a local directory holding it.
	Proposals *ScaleFile
	Forge     gitops.Forge
	MaxOpen   int
	Labels    []string
	DryRun    bool
	TempDir   string
	Logger    *slog.Logger
}

// DeliverManifests turns omen scale's proposals into one branch holding one
// commit over the base and, with a forge, one pull request, as Deliver
// does for rules: each proposal is applied to its manifest or values file
// with scale.Edit (only the changed values' bytes differ; it refuses an
// edit that would not decode strictly into the Kubernetes type), every
// changed file is read back with scale.Read before anything is pushed, and
// the branch (omen/scale-<hash of the objects and fields>) and the pull
// request are updated in place when only the values move; the same
// proposals again change nothing. A proposal already in the file is left
// out, as is one made for a value changed since (stale), with a log line.
// Rejections (closed pull requests) are not remembered for manifests.
func DeliverManifests(ctx context.Context, opt ManifestOptions) (Outcome, error) {
	out := Outcome{ChangedFiles: []string{}}
	if opt.Proposals == nil {
		return out, errors.New("delivery: no proposals")
	}
	if opt.Base == "" {
		opt.Base = "main"
	}
	if opt.MaxOpen <= 0 {
		opt.MaxOpen = DefaultMaxOpen
	}
	if opt.Labels == nil {
		opt.Labels = []string{"omen"}
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var ps []scale.Proposal
	for _, p := range opt.Proposals.Proposals {
		if p.ForecastOnly || len(p.Changes) == 0 && p.Kind != scale.KindScheduleProposal {
			log.Info("not applied", "workload", p.Workload, "kind", p.Kind, "reason", "forecast-only or no change")
			continue
		}
		rel, err := repoPath(opt.Repo, p.Object.File)
		if err != nil {
			return out, err
		}
		p.Object.File = rel
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		log.Info("nothing to propose", "proposals", len(opt.Proposals.Proposals))
		return out, nil
	}
	repo, err := cloneRepo(ctx, opt.Repo, opt.Token, opt.GitUser, opt.TempDir, opt.Forge, log)
	if err != nil {
		return out, err
	}
	defer repo.Close()
	red := repo.Redactor()

	changes, applied, err := applyManifests(ctx, repo, opt.Base, ps, log)
	if err != nil {
		return out, red.Error(err)
	}
	if len(applied) == 0 {
		log.Info("nothing to propose: every proposal is applied or stale", "proposals", len(ps))
		return out, nil
	}
	branch := ScaleBranch(applied)
	out.Branch = branch
	title := ScaleTitle(applied)
	body := ScaleBody(opt.Proposals, applied)
	out.Title, out.Body = title, body

	var existing *gitops.PullRequest
	if opt.Forge != nil {
		if existing, err = opt.Forge.FindOpen(ctx, branch); err != nil {
			return out, red.Error(err)
		}
		if existing == nil {
			open, err := opt.Forge.List(ctx, gitops.ListOptions{State: gitops.StateOpen, HeadPrefix: "omen/"})
			if err != nil {
				return out, red.Error(err)
			}
			if len(open) >= opt.MaxOpen {
				return out, fmt.Errorf("%w: %d are open and --max-open is %d: merge or close one (%s), nothing pushed", ErrMaxOpen, len(open), opt.MaxOpen, prList(open))
			}
		}
	}
	res, err := repo.Propose(ctx, gitops.ProposeRequest{Base: opt.Base, Branch: branch, Changes: changes, Message: title + "\n\n" + scaleMessage(applied), Validate: ValidateManifests, DryRun: opt.DryRun})
	if errors.Is(err, gitops.ErrNoChanges) {
		log.Info("the proposals are already on the base branch", "base", opt.Base)
		return Outcome{ChangedFiles: []string{}}, nil
	}
	if err != nil {
		return out, red.Error(err)
	}
	out.Commit, out.ChangedFiles = res.Commit, res.ChangedFiles
	if opt.DryRun {
		out.Diff = res.Diff
	}
	if opt.Forge == nil {
		out.Created, out.Updated = res.Created, res.Updated
		return out, nil
	}
	fail := func(err error) (Outcome, error) {
		if res.Pushed {
			if uerr := repo.Restore(context.WithoutCancel(ctx), res); uerr != nil {
				err = fmt.Errorf("%w; and undoing the push failed: %v", err, uerr)
			}
		}
		return Outcome{ChangedFiles: []string{}}, red.Error(err)
	}
	if existing == nil {
		if opt.DryRun {
			out.Created = true
			return out, nil
		}
		pr, err := createPullRequest(ctx, opt.Forge, gitops.NewPullRequest{Head: branch, Base: opt.Base, Title: title, Body: body, Labels: opt.Labels})
		if err != nil {
			return fail(err)
		}
		log.Info("pull request opened", "number", pr.Number, "url", pr.URL)
		out.PullRequest = &PullRequestRef{Number: pr.Number, URL: pr.URL}
		out.Created = true
		return out, nil
	}
	out.PullRequest = &PullRequestRef{Number: existing.Number, URL: existing.URL}
	needEdit := existing.Title != title || normalizeBody(existing.Body) != normalizeBody(body)
	out.Updated = res.Pushed || needEdit
	if opt.DryRun || !needEdit {
		return out, nil
	}
	if _, err := opt.Forge.Update(ctx, existing.Number, gitops.Edit{Title: &title, Body: &body, Labels: opt.Labels}); err != nil {
		return fail(err)
	}
	if res.Pushed {
		if err := opt.Forge.Comment(ctx, existing.Number, "omen updated the proposed values: "+scaleSummary(applied)+"."); err != nil {
			log.Warn("cannot comment on the pull request", "number", existing.Number, "err", red.Error(err))
		}
	}
	log.Info("pull request updated", "number", existing.Number, "url", existing.URL)
	return out, nil
}

// repoPath turns a proposal's object file into a path relative to the
// repository root, with slashes.
func repoPath(repo, file string) (string, error) {
	if filepath.IsAbs(file) {
		root, err := filepath.Abs(repo)
		if fi, serr := os.Stat(repo); err != nil || serr != nil || !fi.IsDir() {
			return "", fmt.Errorf("delivery: %s is an absolute path and the repository %s is not a local directory: run omen scale at the repository's root with relative --manifests paths", file, repo)
		}
		rel, err := filepath.Rel(root, file)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return "", fmt.Errorf("delivery: %s is not inside the repository %s", file, repo)
		}
		file = rel
	}
	p := path.Clean(filepath.ToSlash(file))
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", fmt.Errorf("delivery: %s is outside the repository (paths are relative to its root)", file)
	}
	return p, nil
}

// applyManifests edits the proposals' files at base, proposal by proposal.
func applyManifests(ctx context.Context, repo *gitops.Repo, base string, ps []scale.Proposal, log *slog.Logger) ([]gitops.Change, []scale.Proposal, error) {
	var files []string
	byFile := map[string][]scale.Proposal{}
	for _, p := range ps {
		if _, ok := byFile[p.Object.File]; !ok {
			files = append(files, p.Object.File)
		}
		byFile[p.Object.File] = append(byFile[p.Object.File], p)
	}
	var changes []gitops.Change
	var applied []scale.Proposal
	for _, file := range files {
		var edits []scale.Proposal
		for _, p := range byFile[file] {
			if p.Kind != scale.KindScheduleProposal || p.Object.Kind == scale.KindScaledObject {
				edits = append(edits, p)
				continue
			}
			// An HPA's schedule is a file of its own beside the HPA's,
			// which must be there to be patched.
			src, err := repo.ReadFile(ctx, base, file)
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil, fmt.Errorf("delivery: %s: the schedule patches the HPA of %s, which is not in the repository on %s (object paths are relative to the repository root)", p.Workload, file, base)
			}
			if err != nil {
				return nil, nil, err
			}
			if err := scale.HasObject(src, p.Object); err != nil {
				return nil, nil, fmt.Errorf("delivery: %s: the schedule patches an HPA that is no longer there on %s: %w", p.Workload, base, err)
			}
			data, err := scale.ScheduleManifest(p, scale.ScheduleOptions{})
			if err != nil {
				return nil, nil, fmt.Errorf("delivery: %s (%s): %w", p.Workload, p.Kind, err)
			}
			dst := filepath.ToSlash(scale.ScheduleFile(file, p))
			if slices.ContainsFunc(changes, func(c gitops.Change) bool { return c.Path == dst }) {
				return nil, nil, fmt.Errorf("delivery: %s: two HPAs named %s beside each other have schedules: deliver them one at a time", p.Workload, p.Object.Name)
			}
			if old, err := repo.ReadFile(ctx, base, dst); err == nil && bytes.Equal(old, data) {
				log.Info("already applied", "workload", p.Workload, "kind", p.Kind)
				continue
			}
			changes = append(changes, gitops.Change{Path: dst, Content: data})
			applied = append(applied, p)
		}
		byFile[file] = edits
		if len(edits) == 0 {
			continue
		}
		src, err := repo.ReadFile(ctx, base, file)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("delivery: %s is not in the repository on %s (object paths are relative to the repository root)", file, base)
		}
		if err != nil {
			return nil, nil, err
		}
		cur := src
		for _, p := range byFile[file] {
			next, err := scale.ApplyProposal(cur, p)
			switch {
			case errors.Is(err, scale.ErrApplied):
				log.Info("already applied", "workload", p.Workload, "kind", p.Kind)
				continue
			case errors.Is(err, scale.ErrStale):
				log.Warn("not applied", "workload", p.Workload, "kind", p.Kind, "reason", err)
				continue
			case err != nil:
				return nil, nil, fmt.Errorf("delivery: %s (%s): %w", p.Workload, p.Kind, err)
			}
			cur = next
			applied = append(applied, p)
		}
		if !bytes.Equal(cur, src) {
			changes = append(changes, gitops.Change{Path: file, Content: cur})
		}
	}
	return changes, applied, nil
}

// ValidateManifests is the check of edited manifests and values files:
// each reads back with scale.Read, every object decoded strictly into its
// Kubernetes type.
func ValidateManifests(_ context.Context, dir string, paths []string) error {
	var files []string
	for _, p := range paths {
		if ext := strings.ToLower(path.Ext(p)); ext != ".yml" && ext != ".yaml" {
			continue
		}
		f := filepath.Join(dir, filepath.FromSlash(p))
		if _, err := os.Stat(f); errors.Is(err, os.ErrNotExist) {
			continue
		}
		if strings.HasSuffix(p, ".omen-schedule.yaml") {
			data, err := os.ReadFile(f)
			if err == nil {
				err = scale.CheckScheduleManifest(data)
			}
			if err != nil {
				return fmt.Errorf("delivery: %s: %w", p, err)
			}
			continue
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil
	}
	if _, err := scale.Read(files, scale.ReadOptions{}); err != nil {
		return fmt.Errorf("the edited manifests do not read back: %w", err)
	}
	return nil
}

// scaleKey names what a proposal changes, not the values: the object and
// the fields.
func scaleKey(p scale.Proposal) string {
	fields := make([]string, len(p.Changes))
	for i, c := range p.Changes {
		fields[i] = c.Container + "/" + c.Field
	}
	slices.Sort(fields)
	o := p.Object
	return fmt.Sprintf("%s|%d|%s|%s|%s|%s", o.File, o.Doc, o.Kind, o.Name, p.Kind, strings.Join(fields, ","))
}

// ScaleBranch is the branch of a set of manifest proposals:
// omen/scale-<hash of the objects and fields they change>.
func ScaleBranch(ps []scale.Proposal) string {
	keys := make([]string, len(ps))
	for i, p := range ps {
		keys[i] = scaleKey(p)
	}
	slices.Sort(keys)
	h := sha256.Sum256([]byte(strings.Join(keys, "\n")))
	return ScaleBranchPrefix + hex.EncodeToString(h[:])[:12]
}

// ScaleTitle is the pull request's title and the commit's subject.
func ScaleTitle(ps []scale.Proposal) string {
	var ws []string
	for _, p := range ps {
		if !slices.Contains(ws, p.Workload) {
			ws = append(ws, p.Workload)
		}
	}
	if len(ws) == 1 {
		return fmt.Sprintf("omen: scaling and sizing of %s", ws[0])
	}
	return fmt.Sprintf("omen: scaling and sizing of %d workloads", len(ws))
}

func scaleSummary(ps []scale.Proposal) string {
	var parts []string
	for _, p := range ps {
		for _, c := range p.Changes {
			parts = append(parts, fmt.Sprintf("%s %s%s %v → %v", p.Workload, containerOf(c), c.Field, shownValue(c.From), shownValue(c.To)))
		}
	}
	return strings.Join(parts, "; ")
}

func scaleMessage(ps []scale.Proposal) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "%s (%s, %s %s in %s):\n", p.Workload, p.Kind, p.Object.Kind, p.Object.Name, p.Object.File)
		for _, c := range p.Changes {
			fmt.Fprintf(&b, "  %s%s: %v → %v\n", containerOf(c), c.Field, shownValue(c.From), shownValue(c.To))
		}
		for _, t := range p.Triggers {
			fmt.Fprintf(&b, "  minimum %s replicas from %q to %q (UTC)\n", t.Metadata["desiredReplicas"], t.Metadata["start"], t.Metadata["end"])
		}
	}
	b.WriteString("\nOmen-Proposal: " + ScaleBranch(ps) + "\n")
	return b.String()
}

// scheduleTable lists a schedule proposal's minimum of replicas: where it
// is written and each trigger's times and replicas.
func scheduleTable(p scale.Proposal) string {
	var b strings.Builder
	if p.Object.Kind == scale.KindHPA {
		fmt.Fprintf(&b, "A CronJob patch of the HPA's `minReplicas` (`%s`), %d outside the times below:\n\n", filepath.ToSlash(scale.ScheduleFile(p.Object.File, p)), p.MinReplicas)
	} else {
		b.WriteString("Cron triggers appended to the ScaledObject's `spec.triggers`:\n\n")
	}
	b.WriteString("| from (cron, UTC) | to (cron, UTC) | minimum replicas |\n|---|---|---|\n")
	for _, t := range p.Triggers {
		fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", t.Metadata["start"], t.Metadata["end"], t.Metadata["desiredReplicas"])
	}
	return b.String()
}

func containerOf(c scale.Change) string {
	if c.Container == "" {
		return ""
	}
	return c.Container + " "
}

func shownValue(v any) string {
	if v == nil {
		return "none"
	}
	if f, ok := v.(float64); ok && f == math.Trunc(f) {
		return fmt.Sprint(int64(f))
	}
	return fmt.Sprint(v)
}

// ScaleBody is the pull request's body: per proposal, the changes, the
// HPA simulator's figures before and after on the held-out window, and
// the reason; the forecast-only proposals are listed, not applied.
func ScaleBody(f *ScaleFile, applied []scale.Proposal) string {
	var b strings.Builder
	b.WriteString("omen proposes these changes of scaling policies and container sizes. Each was made on the history before a held-out window and is judged on that window by a replay of the HPA controller (15 s sync, 10% tolerance, behaviour, stabilisation windows, pod start-up) over the workload's total load.\n\n")
	for _, p := range applied {
		fmt.Fprintf(&b, "### %s — %s\n\n`%s` %s/%s\n\n", p.Workload, p.Kind, p.Object.File, p.Object.Kind, p.Object.Name)
		if p.Kind == scale.KindScheduleProposal {
			b.WriteString(scheduleTable(p))
		} else {
			b.WriteString("| field | from | to |\n|---|---|---|\n")
			for _, c := range p.Changes {
				fmt.Fprintf(&b, "| %s`%s` | %s | %s |\n", containerOf(c), c.Field, shownValue(c.From), shownValue(c.To))
			}
		}
		if p.Before != nil && p.After != nil && p.Before.Result != nil && p.After.Result != nil {
			bf, af := p.Before.Result, p.After.Result
			window := ""
			if p.Window != nil {
				window = fmt.Sprintf(" (%s – %s)", p.Window.Start.UTC().Format("2006-01-02 15:04"), p.Window.End.UTC().Format("2006-01-02 15:04 UTC"))
			}
			fmt.Fprintf(&b, "\nHeld-out window%s, replayed:\n\n| | before | after |\n|---|---|---|\n", window)
			fmt.Fprintf(&b, "| saturated minutes | %.0f | %.0f |\n| replica-hours | %.0f | %.0f |\n| scale events | %d | %d |\n| minutes at maxReplicas | %.0f | %.0f |\n| peak replicas | %d | %d |\n",
				bf.SaturatedMinutes, af.SaturatedMinutes, bf.ReplicaHours, af.ReplicaHours, bf.ScaleEvents, af.ScaleEvents, bf.MinutesAtMax, af.MinutesAtMax, bf.PeakReplicas, af.PeakReplicas)
		}
		for _, l := range p.Leaks {
			fmt.Fprintf(&b, "\nLeak in container %s: a bigger limit only moves the OOM kill (at %s %s, at %s %s).\n", l.Container, l.Limit, etaText(l.ETA), l.BiggerLimt, etaText(l.BiggerETA))
		}
		if p.Why != "" {
			fmt.Fprintf(&b, "\n%s\n", p.Why)
		}
		b.WriteString("\n")
	}
	var fo []string
	for _, p := range f.Proposals {
		if p.ForecastOnly {
			fo = append(fo, fmt.Sprintf("- %s (%s): %s", p.Workload, p.Kind, p.Why))
		}
	}
	if len(fo) > 0 {
		b.WriteString("### Forecast-only, not applied\n\n" + strings.Join(fo, "\n") + "\n")
	}
	return b.String()
}

func etaText(d *time.Duration) string {
	if d == nil {
		return "beyond 30 days"
	}
	return "in " + d.Round(time.Hour).String()
}
