package cli

import (
	"bytes"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/internal/delivery"
)

// readProposalBytes reads `omen pr --proposals` (a file, or - for stdin)
// whole, so that its kind (omen tune's or omen scale's JSON) can be told.
func readProposalBytes(g *globalOptions, file string) ([]byte, string, error) {
	if file == "-" {
		b, err := io.ReadAll(g.stdin)
		return b, "<stdin>", err
	}
	b, err := os.ReadFile(file)
	return b, file, err
}

// runPRManifests is `omen pr` for the JSON of omen scale: the manifests'
// changes delivered as one branch and pull request (delivery.DeliverManifests).
func runPRManifests(cmd *cobra.Command, g *globalOptions, o prOptions, format string, data []byte, name string) error {
	f, err := delivery.ReadScale(bytes.NewReader(data), name)
	if err != nil {
		return err
	}
	token, err := forgeToken(g, o.TokenFile)
	if err != nil {
		return err
	}
	opt := delivery.ManifestOptions{
		Repo: o.Repo, Base: o.Base, Proposals: f, Token: token,
		MaxOpen: o.MaxOpen, Labels: o.Labels, DryRun: o.DryRun, Logger: g.logger,
	}
	if o.Forge != "" {
		forge, err := newForge(g, o, token)
		if err != nil {
			return err
		}
		opt.Forge = forge
	}
	out, err := delivery.DeliverManifests(cmd.Context(), opt)
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
