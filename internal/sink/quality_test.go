package sink

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestQualityPageIsSelfContainedAndEscaped(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	p := QualityPage{
		Title: "Alert quality", Start: t0, End: t0.Add(7 * 24 * time.Hour),
		Columns: []string{"ALERT", "VERDICT"}, Rows: [][]string{{"A<b>", "good"}, {"B", "dead"}}, RowClass: []string{"good", "dead"},
		Incidents: []QualityIncident{{ID: "INC-1", Title: "<script>alert(1)</script>", From: t0.Add(time.Hour), To: t0.Add(2 * time.Hour), Caught: true}},
		Lanes: []QualityLane{
			{Name: "A", Verdict: "good", Reason: "caught 1", Caught: []string{"INC-1"}, Firings: []QualityFiring{
				{From: t0.Add(50 * time.Minute), To: t0.Add(90 * time.Minute), Page: true, Matched: true, Labels: `{alertname="A"}`},
				{From: t0.Add(6 * 24 * time.Hour)}, // still firing at the end
			}},
			{Name: "B", Verdict: "dead", Reason: "no firing"},
		},
	}
	var buf bytes.Buffer
	require.NoError(t, WriteQualityHTML(&buf, p))
	html := buf.String()
	require.NotContains(t, html, "<script>")
	require.Contains(t, html, "&lt;script&gt;")
	require.Contains(t, html, "A&lt;b&gt;")
	require.Equal(t, 2, strings.Count(html, "<figure>"))
	require.Contains(t, html, "still firing at the end")
	require.Contains(t, html, "rgba(42,157,75,.28)", "the incident caught by the lane's rule is shaded green")
	require.Contains(t, html, "rgba(90,90,90,.16)", "on the other lane, grey: another rule caught it")
	require.NotContains(t, html, "src=", "no external resource")
	require.NotContains(t, html, "href=", "no external resource")
}
