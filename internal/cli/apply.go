package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/internal/apply"
	"github.com/omenhq/omen/internal/delivery"
	"github.com/omenhq/omen/internal/engine"
	"github.com/omenhq/omen/internal/gitops"
	"github.com/omenhq/omen/internal/source/prom"
	"github.com/omenhq/omen/pir"
)

// applyOptions are the flags of `omen apply`.
type applyOptions struct {
	Config    string
	Policy    string
	Proposals string
	Verify    bool
	DryRun    bool
	Incidents []string
	Output    string
	Forge     string
	ForgeURL  string
	ForgeRepo string
	TokenFile string
	MaxPoints int
}

var applyFormats = []string{"table", "json", "yaml", "markdown"}

func newApplyCmd(g *globalOptions) *cobra.Command {
	o := &applyOptions{}
	cmd := &cobra.Command{
		Use:   "apply (--config omen.yaml | --policy FILE) (--proposals FILE | --verify)",
		Short: "Apply the tuner's proposals under a policy, verify them later, roll back the ones that failed",
		Long: `apply puts the tuner's proposals (the JSON of omen tune) in effect itself — only under an
explicit policy: the apply: section of omen.yaml (--config) or a policy file (--policy).
Without one it refuses and prints an example.

The policy says which rules omen may change (files, groups, alerts, labels), which kinds of
change (threshold, for, keep_firing_for, labels), the largest step, the time windows, and
which rules need a person's approval (severity critical by default): those go to a pull
request instead (on the policy's repo: with --forge, else a branch), or are listed.

Two modes. direct: the rule file is written atomically and Prometheus (started with
--web.enable-lifecycle) reloaded with POST /-/reload; /api/v1/rules must then show the rule
as written, evaluated, with health ok. A rejected reload, a rule not loaded or not evaluated
in time (health_timeout), or health err undoes it at once: the original bytes are written
back, Prometheus reloaded, and the ledger records why. gitops: one commit on the deploy
branch holding the rule file and the ledger (Argo CD or Flux deploy it), pushed with a
lease.

The ledger (.omen/ledger.yaml) records what changed (file, group, alert, fields from → to),
when, why, the promise (pages per week and incidents caught, from the proposal's validation
evidence when it has some) and every state: applied, verified, rolled_back, superseded
(changed by someone since), failed (a rollback that could not be made).

Every run first verifies the changes whose verify_after has passed, over [applied, applied +
verify_after]: the rule as applied (replayed from --prometheus, or its ALERTS with
verify.history: alerts) and the old rule replayed over the same window are scored against
the incidents (--incidents, and verify.incidents) with omen quality's definitions, and the
rule's health is read from /api/v1/rules. A change fails when its health is err, when it
missed an incident the old rule would have caught, when its pages exceed the promise
(promised pages a week × window × (1 + pages_tolerance) + pages_slack), or when it caught a
smaller share of the window's incidents than promised by more than recall_tolerance. A failed
change is rolled back: a revert commit of the rule file (gitops) or the old bytes written and
reloaded (direct), the ledger updated with the reasons, and the pull request that proposed it,
when omen knows one (--forge), told why. --verify verifies only.

Output: the report (JSON unless --format says otherwise): applied, verified, rolled_back,
superseded, approval, skipped, pending (verifications that could not run now), failed, each
with the rule, the change and the reasons. Exit code 3 when something was rolled back, 1 when
a failed change could not be rolled back.

An example policy:

` + apply.ExamplePolicy,
		Example: `  omen apply --config omen.yaml --proposals proposals.json --incidents pirs/
  omen apply --policy apply.yaml --prometheus http://prometheus:9090 --verify --incidents pirs/
  omen apply --config omen.yaml --proposals proposals.json --dry-run --format table`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runApply(cmd, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Config, "config", "c", "", "job `FILE` (omen.yaml) whose apply: section is the policy and source: the history")
	f.StringVar(&o.Policy, "policy", "", "policy `FILE`: an apply: section (replaces the job file's)")
	f.StringVar(&o.Proposals, "proposals", "", "the proposals to apply: the JSON `FILE` omen tune wrote (- for stdin)")
	f.BoolVar(&o.Verify, "verify", false, "only verify the changes whose verify_after has passed (no proposals)")
	f.BoolVar(&o.DryRun, "dry-run", false, "change nothing: say what would be applied and rolled back")
	f.StringArrayVar(&o.Incidents, "incidents", nil, "incidents to verify against: a file or directory in any format omen reads (repeatable; adds to verify.incidents)")
	f.StringVar(&o.Output, "output", "", "write the report to `FILE` instead of stdout (atomically)")
	f.StringVar(&o.Forge, "forge", "", "github, gitlab or gitea: pull requests for changes that need approval, comments on applied ones")
	f.StringVar(&o.ForgeURL, "forge-url", "", "the forge's `URL`; default from the policy's repo URL")
	f.StringVar(&o.ForgeRepo, "forge-repo", "", "the repository on the forge as `OWNER/NAME`; default from the policy's repo URL")
	f.StringVar(&o.TokenFile, "token-file", "", "read the forge and git token from `FILE` (or set $"+gitops.EnvToken+")")
	f.IntVar(&o.MaxPoints, "max-points-per-query", 0, "most evaluation instants per query_range request of a verification replay (default 11000)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(applyFormats, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("forge", cobra.FixedCompletions([]string{"github", "gitlab", "gitea"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runApply(cmd *cobra.Command, g *globalOptions, o *applyOptions) error {
	ctx := cmd.Context()
	format := "json"
	if cmd.Flags().Changed("format") {
		format = g.Format
	}
	if !slices.Contains(applyFormats, format) {
		return usagef("invalid --format %q: want %s", g.Format, strings.Join(applyFormats, ", "))
	}
	switch {
	case o.Verify && o.Proposals != "":
		return usagef("--verify verifies only: leave out --proposals (an apply run verifies the due changes first anyway)")
	case !o.Verify && o.Proposals == "":
		return usagef("give --proposals FILE (the JSON of omen tune) to apply, or --verify to verify the changes already applied")
	case o.Forge != "" && o.Forge != "github" && o.Forge != "gitlab" && o.Forge != "gitea":
		return usagef("invalid --forge %q: want github, gitlab or gitea", o.Forge)
	}
	var policy *apply.Policy
	if o.Config != "" {
		cfg, err := engine.LoadConfig(o.Config)
		if err != nil {
			return err
		}
		if cfg.Deadline != 0 && !cmd.Flags().Changed("deadline") {
			g.withDeadline(cmd, time.Duration(cfg.Deadline))
			ctx = cmd.Context()
		}
		g.useJobSource(cfg)
		if g.At == "" {
			g.At = cfg.At
		}
		policy = cfg.Apply
	}
	if o.Policy != "" {
		p, err := apply.LoadPolicy(o.Policy)
		if err != nil {
			return usageError{err}
		}
		policy = p
	}
	if policy == nil {
		where := "no --config or --policy given"
		if o.Config != "" {
			where = o.Config + " has no apply: section"
		}
		return usageError{fmt.Errorf("%w (%s).\n%s", apply.ErrNoPolicy, where, apply.HowTo)}
	}

	if g.Prometheus == "" && g.Input == "" {
		// The server that evaluates the rules holds their history too.
		g.Prometheus = policy.Prometheus
	}
	now := g.now()
	at, err := g.asOf()
	if err != nil {
		return err
	}
	if !at.IsZero() {
		now = at
	}
	opt := apply.Options{Policy: policy, Now: now, Verify: true, DryRun: o.DryRun, Logger: g.logger,
		MaxPointsPerQuery: o.MaxPoints, Concurrency: g.MaxConcurrency}
	if o.Proposals != "" {
		if opt.Proposals, err = readProposals(g, o.Proposals); err != nil {
			return err
		}
	}
	if g.Prometheus != "" || g.Input != "" {
		src, err := g.source()
		if err != nil {
			return err
		}
		opt.Querier = querier{src: src, g: g}
	}
	if opt.Prometheus, err = g.lifecycle(policy); err != nil {
		return err
	}
	incidents := slices.Concat(policy.Verify.Incidents, o.Incidents)
	if len(incidents) > 0 {
		l, err := pir.Load(incidents...)
		if err != nil {
			return err
		}
		for _, s := range l.Skipped {
			g.logger.Info("skipped", "what", s)
		}
		opt.Incidents = l.Incidents
	} else {
		g.logger.Warn("no incidents to verify against (verify.incidents or --incidents): a verification judges pages and health only")
	}
	token, err := forgeToken(g, o.TokenFile)
	if err != nil {
		return err
	}
	opt.Token = token
	if o.Forge != "" {
		forge, err := newForge(g, prOptions{Repo: policy.Repo, Forge: o.Forge, ForgeURL: o.ForgeURL, ForgeRepo: o.ForgeRepo}, token)
		if err != nil {
			return err
		}
		opt.Forge = forge
		switch o.Forge {
		case "gitlab":
			opt.GitUser = "oauth2"
		case "gitea":
			opt.GitUser = "omen"
		}
	}

	rep, runErr := apply.Run(ctx, opt)
	if rep != nil {
		err := writeOutput(ctx, o.Output, g.stdout, func(w io.Writer) error {
			switch format {
			case "json", "yaml":
				return writeData(w, format, applyJSON(rep))
			case "markdown":
				return writeApplyMarkdown(w, rep)
			}
			return writeApplyTable(w, g.display(o.Output), rep)
		})
		if err != nil && runErr == nil {
			runErr = err
		}
	}
	switch {
	case errors.Is(runErr, apply.ErrPolicy):
		return usageError{runErr}
	case runErr != nil:
		return runErr
	case len(rep.Failed) > 0:
		return fmt.Errorf("%d failed changes could not be rolled back: a person must look (see the report)", len(rep.Failed))
	case len(rep.RolledBack) > 0 && !rep.DryRun:
		return findingsError{fmt.Sprintf("%d changes rolled back", len(rep.RolledBack))}
	}
	return nil
}

// readProposals reads the JSON of omen tune from a file or stdin.
func readProposals(g *globalOptions, file string) (*delivery.File, error) {
	var in io.Reader = g.stdin
	name := "<stdin>"
	if file != "-" {
		fh, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer fh.Close()
		in, name = fh, file
	}
	return delivery.Decode(in, name)
}

// lifecycle returns the server that evaluates the rules — the policy's
// prometheus:, else the source — with the source's credentials; nil when
// neither is a server.
func (g *globalOptions) lifecycle(p *apply.Policy) (*apply.Prometheus, error) {
	url := p.Prometheus
	if url == "" {
		url = g.Prometheus
	}
	if url == "" {
		return nil, nil
	}
	cfg, err := g.promConfig()
	if err != nil {
		return nil, err
	}
	cfg.URL = url
	c, err := prom.New(cfg)
	if err != nil {
		return nil, usageError{fmt.Errorf("the Prometheus that evaluates the rules: %w", err)}
	}
	return &apply.Prometheus{URL: c.BaseURL(), Client: c.HTTPClient()}, nil
}

// applyOut is the report's JSON: every list present, empty or not.
func applyJSON(r *apply.Report) *apply.Report {
	out := *r
	for _, l := range []*[]apply.Outcome{&out.Applied, &out.Verified, &out.RolledBack, &out.Superseded, &out.Approval, &out.Skipped, &out.Pending, &out.Failed} {
		if *l == nil {
			*l = []apply.Outcome{}
		}
	}
	return &out
}

type applySection struct {
	title string
	items []apply.Outcome
}

func applySections(r *apply.Report) []applySection {
	applied := "Applied"
	if r.DryRun {
		applied = "Would be applied"
	}
	return []applySection{
		{"Rolled back", r.RolledBack}, {"Failed (a person must look)", r.Failed}, {applied, r.Applied},
		{"Verified (kept)", r.Verified}, {"Superseded", r.Superseded}, {"Needs approval", r.Approval},
		{"Verification postponed", r.Pending}, {"Not applied", r.Skipped},
	}
}

func writeApplyTable(w io.Writer, d display, r *apply.Report) error {
	fmt.Fprintf(w, "mode %s, ledger %s\n", r.Mode, r.Ledger)
	empty := true
	for _, s := range applySections(r) {
		if len(s.items) == 0 {
			continue
		}
		empty = false
		t := tableData{Title: s.title, Header: []string{"ALERT", "FILE", "CHANGE", "WHY"}, Detail: "WHY", Cut: []string{"ALERT", "FILE", "CHANGE"}}
		for _, it := range s.items {
			t.Rows = append(t.Rows, []string{it.Alert, it.File, it.Changes, strings.Join(it.Reasons, "; ")})
		}
		fmt.Fprintln(w)
		if err := writeTable(w, "table", d, t); err != nil {
			return err
		}
	}
	if empty {
		fmt.Fprintln(w, "nothing to apply or verify")
	}
	return nil
}

// writeApplyMarkdown writes the report for people: a chat message or an
// issue saying what was done and why.
func writeApplyMarkdown(w io.Writer, r *apply.Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## omen apply (%s mode)\n\nLedger: `%s`\n", r.Mode, r.Ledger)
	if r.DryRun {
		b.WriteString("\nDry run: nothing was changed.\n")
	}
	empty := true
	for _, s := range applySections(r) {
		if len(s.items) == 0 {
			continue
		}
		empty = false
		fmt.Fprintf(&b, "\n### %s\n\n", s.title)
		for _, it := range s.items {
			fmt.Fprintf(&b, "- **%s** (`%s`, group %s): %s", it.Alert, it.File, it.Group, it.Changes)
			if it.Commit != "" {
				fmt.Fprintf(&b, " — commit %s", it.Commit)
			}
			b.WriteString("\n")
			for _, why := range it.Reasons {
				fmt.Fprintf(&b, "  - %s\n", why)
			}
			if v := it.Verification; v != nil {
				fmt.Fprintf(&b, "  - window %s – %s: %d pages (old rule %d), incidents %s, caught %s, old rule caught %s\n",
					v.Start.Format(time.RFC3339), v.End.Format(time.RFC3339), v.Pages, v.OldPages, idsOrNone(v.Incidents), idsOrNone(v.Caught), idsOrNone(v.OldCaught))
			}
		}
	}
	if r.PullRequest != nil {
		fmt.Fprintf(&b, "\nApproval pull request: #%d %s\n", r.PullRequest.Number, r.PullRequest.URL)
	}
	if empty {
		b.WriteString("\nNothing to apply or verify.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func idsOrNone(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}
