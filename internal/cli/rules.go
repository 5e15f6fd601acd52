package cli

import (
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/tuner"
)

func newRulesCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List, edit and write Prometheus alerting rules",
		Args:  noArgs,
		Example: `  omen rules list --rules rules/
  omen rules set --rules rules/app.yml --alert HighErrorRate --label severity=critical --threshold 0.02
  omen rules predictive --interval 6h > omen.rules.yml
  promtool check rules omen.rules.yml`,
	}
	cmd.AddCommand(newRulesPredictiveCmd(g), newRulesListCmd(g), newRulesSetCmd(g))
	return asGroup(cmd)
}

func newRulesPredictiveCmd(g *globalOptions) *cobra.Command {
	var (
		cfg    tuner.PredictiveRulesConfig
		labels []string
		output string
	)
	cmd := &cobra.Command{
		Use:   "predictive",
		Short: "Alerting rules that page on omen's predictions instead of on predict_linear",
		Long: `predictive prints a Prometheus rule file with two alerts on the series omen writes back
with --push-to: OmenExhaustionCritical (severity critical) when omen judged a target
critical, OmenExhaustionWarning when it judged it a warning. The alert's value is the
median time to exhaustion; annotations name the target and the pattern.

omen writes one prediction per run, so the rules look back over --interval (how often
omen runs) plus a margin: a prediction stays visible until the next run.`,
		Example: `  omen rules predictive > omen.rules.yml
  omen rules predictive --interval 6h --label team=sre --output rules/omen.yml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, l := range labels {
				k, v, ok := strings.Cut(l, "=")
				if !ok || k == "" {
					return usagef("invalid --label %q: want NAME=VALUE", l)
				}
				if cfg.ExtraLabels == nil {
					cfg.ExtraLabels = map[string]string{}
				}
				cfg.ExtraLabels[k] = v
			}
			b, err := tuner.PredictiveRules(cfg)
			if err != nil {
				return err
			}
			return writeOutput(cmd.Context(), output, g.stdout, func(w io.Writer) error {
				_, err := w.Write(b)
				return err
			})
		},
	}
	f := cmd.Flags()
	f.Var(durationValue{d: &cfg.Interval}, "interval", "how often omen runs and writes predictions (default 24h)")
	f.Var(durationValue{d: &cfg.For, zeroOK: true}, "for", "how long a risk must hold before the alert fires (default 0)")
	f.StringVar(&cfg.Group, "group", "", "rule group name (default omen-predictive)")
	f.StringArrayVar(&labels, "label", nil, "extra alert label `NAME=VALUE` (repeatable)")
	f.StringVar(&output, "output", "", "write to `FILE` instead of stdout (atomically)")
	return cmd
}
