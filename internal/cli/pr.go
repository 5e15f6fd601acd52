package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/internal/delivery"
	"github.com/omenhq/omen/internal/gitops"
)

// prOptions are the flags of `omen pr`.
type prOptions struct {
	Repo         string
	Proposals    string
	Base         string
	Forge        string
	ForgeURL     string
	ForgeRepo    string
	TokenFile    string
	DryRun       bool
	MaxOpen      int
	Labels       []string
	IgnoreClosed bool
}

func newPRCmd(g *globalOptions) *cobra.Command {
	o := prOptions{Base: "main", MaxOpen: delivery.DefaultMaxOpen, Labels: []string{"omen"}}
	cmd := &cobra.Command{
		Use:   "pr --repo DIR|URL --proposals FILE",
		Short: "Open or update a pull request with the tuner's proposals",
		Long: `pr applies the proposals of omen tune (its JSON) to the rule files of a repository and
delivers them as one branch holding exactly one commit over --base, and, with --forge, one
pull request whose body shows the evidence: per rule a before/after table on training and
validation data (pages per week, incidents caught, lead time, precision), the incidents,
the windows replayed and a chart. Only the changed values' bytes differ in the files; every
edited file is read back and, when promtool is on PATH, checked with promtool check rules
before anything is pushed.

It is safe to run every night. The branch is omen/rules-<hash of which rules and fields
change>: when only the values move, the same branch and pull request are updated (force-
pushed with a lease, the body refreshed, a comment saying what changed); the same proposals
again change nothing. A pull request closed without merging rejects its proposals: they are
not proposed again until the change or its evidence moves materially (other fields, a value
more than 10% away, other incidents caught or named, or pages per week after the change
more than 25% and 0.5 a week away); --ignore-closed proposes them anyway. Never more than
--max-open of omen's pull requests are open; a new one for rules an open one already
changes supersedes it. When the forge fails after the push, the branch is deleted (or moved
back): nothing is left half-done.

The token (--token-file, or $` + gitops.EnvToken + `) authenticates the forge's API and git over
HTTPS; it is handed to git through a private credential helper, never on a command line,
in a URL, a log or an error. Without --forge, only the branch is pushed.

Output (JSON unless --format says otherwise): {"branch", "commit", "pull_request":
{"number", "url"} | null, "changed_files", "created", "updated"}; created and updated describe
the pull request, or the branch without --forge. --dry-run pushes nothing, writes nothing to
the forge and adds "diff". --format table prints a summary, --format markdown the pull
request's body.

The JSON of omen scale is delivered the same way (branch omen/scale-<hash of the objects and
fields>): each proposal's manifest or values file, its path relative to the repository root
(run omen scale at the root with relative --manifests), edited with the minimal editor and
read back strictly into the Kubernetes types; forecast-only proposals are never applied. A
schedule omen scale wrote (--schedule write) is delivered as it wrote it: a ScaledObject's
appended cron triggers, or an HPA's CronJob patch, NAME.omen-schedule.yaml beside it.`,
		Example: `  omen tune --prometheus http://prometheus:9090 --rules rules/ --incidents pirs/ --start -12w --end now > proposals.json
  omen pr --repo . --proposals proposals.json --dry-run
  omen pr --repo https://github.com/acme/rules.git --proposals proposals.json --forge github --token-file /run/secrets/github
  omen pr --repo https://gitlab.example.com/platform/rules.git --proposals proposals.json --forge gitlab
  omen pr --repo https://git.example.com/sre/rules.git --proposals proposals.json --forge gitea --max-open 3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format := "json"
			if cmd.Flags().Changed("format") {
				format = g.Format
			}
			if format != "json" && format != "yaml" && format != "table" && format != "markdown" {
				return usagef("invalid --format %q: want json, yaml, table or markdown", g.Format)
			}
			return runPR(cmd, g, o, format)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Repo, "repo", "", "the rules repository: a `DIR` or a URL (https, ssh, git)")
	f.StringVar(&o.Proposals, "proposals", "", "the proposals: the JSON `FILE` omen tune or omen scale wrote (- for stdin)")
	o.addDeliveryFlags(cmd)
	return cmd
}

// addDeliveryFlags adds the flags that say where and how proposals are
// delivered (all but --repo and --proposals): omen pr's, shared by omen
// tune --pr.
func (o *prOptions) addDeliveryFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.Base, "base", o.Base, "the `BRANCH` the pull request goes into")
	f.StringVar(&o.Forge, "forge", "", "open the pull request on this forge: github, gitlab or gitea")
	f.StringVar(&o.ForgeURL, "forge-url", "", "the forge's `URL` (GitHub Enterprise, self-hosted GitLab, Gitea); default from the repository URL")
	f.StringVar(&o.ForgeRepo, "forge-repo", "", "the repository on the forge as `OWNER/NAME`; default from the repository URL")
	f.StringVar(&o.TokenFile, "token-file", "", "read the forge token from `FILE` (or set $"+gitops.EnvToken+")")
	f.BoolVar(&o.DryRun, "dry-run", false, "push nothing and write nothing to the forge; print the diff")
	f.IntVar(&o.MaxOpen, "max-open", o.MaxOpen, "never more than `N` open omen pull requests in the repository")
	f.StringArrayVar(&o.Labels, "label", o.Labels, "label of the pull request (repeatable)")
	f.BoolVar(&o.IgnoreClosed, "ignore-closed", false, "propose changes again even if their pull request was closed without merging")
	_ = cmd.RegisterFlagCompletionFunc("forge", cobra.FixedCompletions([]string{"github", "gitlab", "gitea"}, cobra.ShellCompDirectiveNoFileComp))
}

func runPR(cmd *cobra.Command, g *globalOptions, o prOptions, format string) error {
	switch {
	case o.Repo == "":
		return usagef("--repo is required: the rules repository, a directory or a URL")
	case o.Proposals == "":
		return usagef("--proposals is required: the JSON file omen tune wrote")
	}
	if err := o.checkDelivery(); err != nil {
		return err
	}
	data, name, err := readProposalBytes(g, o.Proposals)
	if err != nil {
		return err
	}
	if delivery.IsScaleJSON(data) {
		return runPRManifests(cmd, g, o, format, data, name)
	}
	proposals, err := delivery.Decode(bytes.NewReader(data), name)
	if err != nil {
		return err
	}
	return deliverProposals(cmd, g, o, proposals, format)
}

// checkDelivery checks the delivery flags.
func (o prOptions) checkDelivery() error {
	switch {
	case o.Forge != "" && o.Forge != "github" && o.Forge != "gitlab" && o.Forge != "gitea":
		return usagef("invalid --forge %q: want github, gitlab or gitea", o.Forge)
	case o.Forge == "" && (o.ForgeURL != "" || o.ForgeRepo != ""):
		return usagef("--forge-url and --forge-repo need --forge github, gitlab or gitea")
	case o.MaxOpen < 1:
		return usagef("invalid --max-open %d: want at least 1", o.MaxOpen)
	}
	return nil
}

// deliverProposals delivers proposals as omen pr does (the branch, the
// pull request) and writes its outcome in format: omen pr's and omen tune
// --pr's last step.
func deliverProposals(cmd *cobra.Command, g *globalOptions, o prOptions, proposals *delivery.File, format string) error {
	return deliverWith(cmd, g, o, format, func(token string, forge gitops.Forge) (delivery.Outcome, error) {
		return delivery.Deliver(cmd.Context(), delivery.Options{
			Repo: o.Repo, Base: o.Base, Proposals: proposals, Token: token, Forge: forge,
			MaxOpen: o.MaxOpen, Labels: o.Labels, IgnoreClosed: o.IgnoreClosed, DryRun: o.DryRun,
			Logger: g.logger,
		})
	})
}

// deliverWith reads the forge token, builds the forge adapter when --forge
// is given, runs deliver with them and writes its outcome in format: the
// steps omen pr takes for rule proposals and for omen scale's manifests.
func deliverWith(cmd *cobra.Command, g *globalOptions, o prOptions, format string, deliver func(token string, forge gitops.Forge) (delivery.Outcome, error)) error {
	token, err := forgeToken(g, o.TokenFile)
	if err != nil {
		return err
	}
	var forge gitops.Forge
	if o.Forge != "" {
		if forge, err = newForge(g, o, token); err != nil {
			return err
		}
	}
	out, err := deliver(token, forge)
	if err != nil {
		return err
	}
	switch format {
	case "markdown":
		_, err = io.WriteString(g.stdout, out.Body)
		return err
	case "table":
		return writePRSummary(g.stdout, out, o.DryRun)
	}
	return writeData(g.stdout, format, out)
}

// forgeToken reads --token-file, else $OMEN_FORGE_TOKEN; "" when neither.
func forgeToken(g *globalOptions, file string) (string, error) {
	if file == "" {
		return strings.TrimSpace(g.getenv(gitops.EnvToken)), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("cannot read --token-file: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" || strings.ContainsAny(token, "\n\r") {
		return "", fmt.Errorf("--token-file %s: want one line holding the token", file)
	}
	return token, nil
}

// newForge builds the forge adapter, taking the URL and the repository
// from the remote's URL when not given.
func newForge(g *globalOptions, o prOptions, token string) (gitops.Forge, error) {
	if token == "" {
		return nil, usagef("--forge %s needs a token: give --token-file FILE or set $%s", o.Forge, gitops.EnvToken)
	}
	url, repo := o.ForgeURL, o.ForgeRepo
	if url == "" || repo == "" {
		remote, err := gitops.ParseRemote(o.Repo)
		if err != nil {
			return nil, err
		}
		defURL, defRepo, err := gitops.ForgeDefaults(o.Forge, remote)
		if err != nil {
			return nil, usageError{err}
		}
		if url == "" {
			url = defURL
		}
		if repo == "" {
			repo = defRepo
		}
	}
	return gitops.NewForge(gitops.ForgeConfig{Kind: o.Forge, URL: url, Repo: repo, Token: token, Logger: g.logger})
}

func writePRSummary(w io.Writer, out delivery.Outcome, dryRun bool) error {
	if out.Branch == "" {
		_, err := fmt.Fprintln(w, "nothing to propose: every proposal is applied, stale or rejected (see the log)")
		return err
	}
	state := "unchanged"
	switch {
	case out.Created && dryRun:
		state = "would be created"
	case out.Updated && dryRun:
		state = "would be updated"
	case out.Created:
		state = "created"
	case out.Updated:
		state = "updated"
	}
	fmt.Fprintf(w, "branch:        %s (%s)\n", out.Branch, state)
	fmt.Fprintf(w, "commit:        %s\n", out.Commit)
	if out.PullRequest != nil {
		fmt.Fprintf(w, "pull request:  #%d %s\n", out.PullRequest.Number, out.PullRequest.URL)
	}
	fmt.Fprintf(w, "changed files: %s\n", strings.Join(out.ChangedFiles, ", "))
	if out.Diff != "" {
		fmt.Fprintf(w, "\n%s", out.Diff)
	}
	return nil
}
