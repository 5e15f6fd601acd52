package apply_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/omenhq/omen/internal/apply"
)

// A policy is read from the apply: section of omen.yaml; Check then
// decides, per proposal, whether omen may apply it now.
func ExampleParsePolicy() {
	p, err := apply.ParsePolicy(strings.NewReader(`apply:
  mode: gitops
  repo: https://git.example.com/sre/rules.git
  branch: deploy
  rules: [{files: ["rules/"], labels: {team: checkout}}]
  changes: [threshold, for]
  max_step: {threshold: 25%, for: 10m}
  windows: [{days: [mon-thu], hours: "09:00-16:00"}]
  timezone: Europe/Berlin
  verify_after: 7d
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	monday := time.Date(2026, 11, 30, 9, 30, 0, 0, time.UTC) // 10:30 in Berlin
	fmt.Println(p.Mode, time.Duration(p.VerifyAfter), p.Open(monday), p.Open(monday.Add(7*time.Hour)))
	// Output: gitops 168h0m0s true false
}

// Judge compares what a change did over its verification window with
// what it promised and with the old rule replayed over the same window.
func ExampleJudge() {
	pages := 2.0
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	passed, reasons := apply.Judge(apply.Promise{PagesPerWeek: &pages}, apply.Observation{
		Start: start, End: start.Add(7 * 24 * time.Hour),
		Pages: 3, OldPages: 19, Incidents: []string{"INC-7"}, OldCaught: []string{"INC-7"}, Health: "ok",
	}, apply.Criteria{PagesTolerance: 0.5, PagesSlack: 1})
	fmt.Println(passed)
	for _, r := range reasons {
		fmt.Println("-", r)
	}
	// Output:
	// false
	// - the old rule would have caught INC-7, the new one missed it
}
