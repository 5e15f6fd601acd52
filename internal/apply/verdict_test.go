package apply

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestJudge(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	week := Observation{Start: start, End: start.Add(7 * 24 * time.Hour)}
	ptr := func(f float64) *float64 { return &f }
	c := VerifyPolicy{}.criteria()
	tests := []struct {
		name    string
		promise Promise
		obs     func(o *Observation)
		passed  bool
		reason  string
	}{
		{"a change keeping its promise passes", Promise{PagesPerWeek: ptr(2), Recall: ptr(1)}, func(o *Observation) {
			o.Pages, o.OldPages, o.Incidents, o.Caught, o.OldCaught, o.Health = 3, 12, []string{"INC-1"}, []string{"INC-1"}, []string{"INC-1"}, "ok"
		}, true, "3 pages, within the 4 allowed by the promise of 2 a week (the old rule: 12)"},
		{"health err fails", Promise{}, func(o *Observation) { o.Health, o.HealthError = "err", "many-to-many matching not allowed" },
			false, "the rule's health is err on the server: many-to-many matching not allowed"},
		{"an incident the old rule caught and the new one missed fails", Promise{}, func(o *Observation) {
			o.Incidents, o.Caught, o.OldCaught = []string{"INC-1", "INC-2"}, []string{"INC-2"}, []string{"INC-1", "INC-2"}
		}, false, "the old rule would have caught INC-1, the new one missed it"},
		{"incidents both rules missed do not fail by themselves", Promise{}, func(o *Observation) { o.Incidents = []string{"INC-1"} }, true, ""},
		{"pages above the promise's allowance fail", Promise{PagesPerWeek: ptr(2)}, func(o *Observation) { o.Pages = 5 },
			false, "5 pages in the window, more than the 4 allowed by the promise of 2 a week (2 expected, +50%, +1)"},
		{"the allowance scales with the window", Promise{PagesPerWeek: ptr(7)}, func(o *Observation) { o.End = o.Start.Add(24 * time.Hour); o.Pages = 3 },
			false, "more than the 2.5 allowed"},
		{"a recall below the promise by more than the tolerance fails", Promise{Recall: ptr(1)}, func(o *Observation) {
			o.Incidents, o.Caught = []string{"INC-1", "INC-2", "INC-3"}, []string{"INC-1"}
		}, false, "caught 1 of 3 incidents (33.3%), below the promised 100% by more than 25%"},
		{"a recall just beyond the tolerance fails", Promise{Recall: ptr(0.8)}, func(o *Observation) {
			o.Incidents, o.Caught = []string{"INC-1", "INC-2"}, []string{"INC-1"}
		}, false, "below the promised 80%"},
		{"no incidents in the window leave the recall unjudged", Promise{Recall: ptr(1)}, func(*Observation) {}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := week
			tt.obs(&o)
			passed, reasons := Judge(tt.promise, o, c)
			require.Equal(t, tt.passed, passed, reasons)
			if tt.reason != "" {
				require.Contains(t, strings.Join(reasons, "; "), tt.reason)
			}
		})
	}
	t.Run("a larger tolerance lets more through", func(t *testing.T) {
		o := week
		o.Incidents, o.Caught = []string{"INC-1", "INC-2"}, []string{"INC-1"}
		loose := c
		loose.RecallTolerance = 0.5
		passed, reasons := Judge(Promise{Recall: ptr(0.8)}, o, loose)
		require.True(t, passed, reasons)
	})
	t.Run("min_incidents leaves small windows unjudged on recall", func(t *testing.T) {
		o := week
		o.Incidents = []string{"INC-1"}
		few := c
		few.MinIncidents = 2
		passed, reasons := Judge(Promise{Recall: ptr(1)}, o, few)
		require.True(t, passed, reasons)
	})
}
