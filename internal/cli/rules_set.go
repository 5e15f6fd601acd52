package cli

import (
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/tuner"
)

// rulesSetOptions are the flags of `omen rules set`.
type rulesSetOptions struct {
	rulesListOptions
	Alert, Record, Group string
	Labels               []string
	Threshold            string
	For, KeepFiringFor   string
	SetLabels            []string
	Output               string
}

func newRulesSetCmd(g *globalOptions) *cobra.Command {
	var o rulesSetOptions
	cmd := &cobra.Command{
		Use:   "set",
		Short: "Change one rule's threshold, for, keep_firing_for or labels in place",
		Long: `set edits one rule in its file so that only the changed value's bytes differ: comments,
key order, quoting, indentation, block scalars, CRLF line endings, a byte order mark and
the other documents of a manifest stream stay as they are. The threshold's digits are
replaced inside the expression as written; a missing for: or keep_firing_for: is inserted
on its own line in the rule's indentation. The file is written atomically.

The rule is picked by --alert (or --record) and, when several rules share the name (a
warning and a critical variant), by --group and --label K=V; an ambiguous name lists the
candidates and changes nothing. What cannot be edited exactly is refused: a rule under a
YAML anchor or alias, a merge key, a threshold written as a template or as 5*60, a number
whose bytes are an escape sequence.`,
		Example: `  omen rules set --rules rules/app.yml --alert HighErrorRate --label severity=critical --threshold 0.02 --for 15m
  omen rules set --rules manifests/ --alert KubePodCrashLooping --keep-firing-for 10m
  omen rules set --rules rules/app.yml --alert DiskFull --set-label team=storage --output -`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sel, change, err := o.parse()
			if err != nil {
				return err
			}
			rules, err := o.load(g)
			if err != nil {
				return err
			}
			r, err := tuner.Find(rules, sel)
			if err != nil {
				return err
			}
			if o.Output == "-" {
				src, err := os.ReadFile(r.Path)
				if err != nil {
					return err
				}
				b, err := tuner.Edit(src, r, change)
				if err != nil {
					return err
				}
				if _, err := g.stdout.Write(b); err != nil {
					return err
				}
				describeChange(g.stderr, r, change)
				return nil
			}
			if _, err := tuner.Apply(r, change, o.Output); err != nil {
				return err
			}
			describeChange(g.stdout, r, change)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Rules, "rules", "", "rule file, PrometheusRule manifests or directory (`PATH`)")
	f.StringVar(&o.Alert, "alert", "", "the alert to change (`NAME`)")
	f.StringVar(&o.Record, "record", "", "the recording rule to change (`NAME`; labels only)")
	f.StringVar(&o.Group, "group", "", "pick the rule in this group")
	f.StringArrayVar(&o.Labels, "label", nil, "pick the rule carrying label `K=V` (repeatable)")
	f.StringVar(&o.Threshold, "threshold", "", "new threshold `NUMBER`")
	f.StringVar(&o.For, "for", "", "new for: `DURATION` (5m, 1h30m, 0s)")
	f.StringVar(&o.KeepFiringFor, "keep-firing-for", "", "new keep_firing_for: `DURATION`")
	f.StringArrayVar(&o.SetLabels, "set-label", nil, "set label `K=V` on the rule (repeatable)")
	f.StringVar(&o.Output, "output", "", "write the edited file to `FILE` (- for stdout) instead of in place")
	return cmd
}

// parse turns the flags into a selector and a change.
func (o rulesSetOptions) parse() (tuner.Selector, tuner.Change, error) {
	var c tuner.Change
	sel := tuner.Selector{Alert: o.Alert, Record: o.Record, Group: o.Group}
	if (o.Alert == "") == (o.Record == "") {
		return sel, c, usagef("give --alert NAME (or --record NAME)")
	}
	var err error
	if sel.Labels, err = parseLabels("--label", o.Labels); err != nil {
		return sel, c, err
	}
	if c.Labels, err = parseLabels("--set-label", o.SetLabels); err != nil {
		return sel, c, err
	}
	if o.Threshold != "" {
		v, err := strconv.ParseFloat(o.Threshold, 64)
		if err != nil || v != v {
			return sel, c, usagef("invalid --threshold %q: want a number", o.Threshold)
		}
		c.Threshold = &v
	}
	for _, d := range []struct {
		flag, v string
		dst     **time.Duration
	}{{"--for", o.For, &c.For}, {"--keep-firing-for", o.KeepFiringFor, &c.KeepFiringFor}} {
		if d.v == "" {
			continue
		}
		v, err := parseDuration(d.v)
		if err != nil || v < 0 {
			return sel, c, usagef("invalid %s %q: want a duration such as 5m, 1h30m or 0s", d.flag, d.v)
		}
		*d.dst = &v
	}
	if c.IsZero() {
		return sel, c, usagef("nothing to change: give --threshold, --for, --keep-firing-for or --set-label")
	}
	return sel, c, nil
}

func parseLabels(flag string, kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usagef("invalid %s %q: want NAME=VALUE", flag, kv)
		}
		m[k] = v
	}
	return m, nil
}

// describeChange writes one line saying what was changed where.
func describeChange(w io.Writer, r tuner.Rule, c tuner.Change) {
	var parts []string
	if c.Threshold != nil && r.Threshold != nil {
		parts = append(parts, fmt.Sprintf("threshold %s %s → %s", r.Threshold.Op, r.Threshold.Text, tuner.FormatNumber(*c.Threshold)))
	}
	was := func(s string) string {
		if s == "" {
			return "(none)"
		}
		return s
	}
	if c.For != nil {
		parts = append(parts, fmt.Sprintf("for %s → %s", was(r.For), tuner.FormatDuration(*c.For)))
	}
	if c.KeepFiringFor != nil {
		parts = append(parts, fmt.Sprintf("keep_firing_for %s → %s", was(r.KeepFiringFor), tuner.FormatDuration(*c.KeepFiringFor)))
	}
	for _, k := range slices.Sorted(maps.Keys(c.Labels)) {
		old, ok := r.Labels[k]
		if !ok {
			old = "(none)"
		}
		parts = append(parts, fmt.Sprintf("label %s %s → %s", k, old, c.Labels[k]))
	}
	fmt.Fprintf(w, "%s:%d %s (group %s): %s\n", r.File, r.Line, r.Name(), r.Group, strings.Join(parts, ", "))
}
