package tuner_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/omenhq/omen/tuner"
)

// Load reads rule files; each alerting rule's threshold is located in its
// expression.
func ExampleLoad() {
	rules, err := tuner.Load("testdata/rules/warn-crit.yml", tuner.LoadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rules {
		fmt.Printf("%s:%d %s %s %s %s (for %s)\n", r.File, r.Line, r.Alert, r.Labels["severity"], r.Threshold.Op, r.Threshold.Text, r.For)
	}
	// Output:
	// warn-crit.yml:4 HighErrorRate warning > 0.01 (for 10m)
	// warn-crit.yml:9 HighErrorRate critical > 0.05 (for 5m)
	// warn-crit.yml:16 HighErrorRate critical > 0.05 (for 5m)
}

// Edit changes only the bytes of the changed values; a missing for: is
// inserted on its own line.
func ExampleEdit() {
	src := []byte(`groups:
- name: app  # the app's alerts
  rules:
  - alert: HighErrorRate
    expr: |
      sum(rate(errors_total[5m]))
        / sum(rate(requests_total[5m])) > 0.05
    labels: {severity: page}
`)
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "app.yml")
	_ = os.WriteFile(path, src, 0o644)
	rules, _ := tuner.Load(path, tuner.LoadOptions{})
	r, _ := tuner.Find(rules, tuner.Selector{Alert: "HighErrorRate"})
	threshold, d := 0.02, 15*time.Minute
	out, err := tuner.Edit(src, r, tuner.Change{Threshold: &threshold, For: &d})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// groups:
	// - name: app  # the app's alerts
	//   rules:
	//   - alert: HighErrorRate
	//     expr: |
	//       sum(rate(errors_total[5m]))
	//         / sum(rate(requests_total[5m])) > 0.02
	//     for: 15m
	//     labels: {severity: page}
}
