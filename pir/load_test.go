package pir_test

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/pir"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// fixtures are every format's example file, written from the tools' public
// API documentation.
var fixtures = []string{
	"testdata/minimal.yaml",
	"testdata/minimal-list.yml",
	"testdata/incidents.csv",
	"testdata/pagerduty-incidents.json",
	"testdata/incidentio-incidents.json",
	"testdata/firehydrant-incidents.json",
	"testdata/rootly-incidents.json",
	"testdata/opsgenie-alerts.json",
	"testdata/reviews",
}

func TestEveryFixtureIsToldByItsContent(t *testing.T) {
	tests := []struct {
		file string
		want pir.Format
	}{
		{"minimal.yaml", pir.FormatYAML},
		{"minimal-list.yml", pir.FormatYAML},
		{"incidents.csv", pir.FormatCSV},
		{"pagerduty-incidents.json", pir.FormatPagerDuty},
		{"incidentio-incidents.json", pir.FormatIncidentIO},
		{"firehydrant-incidents.json", pir.FormatFireHydrant},
		{"rootly-incidents.json", pir.FormatRootly},
		{"opsgenie-alerts.json", pir.FormatOpsgenie},
		{"reviews/2024-03-04-checkout-latency.md", pir.FormatMarkdown},
		{"reviews/2024-03-15-cdn-certificate.md", pir.FormatMarkdown},
		{"alertmanager.jsonl", pir.FormatAlertmanager},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			require.NoError(t, err)
			got, err := pir.DetectFormat(data)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			// The extension does not matter.
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "export.txt"), data, 0o644))
		})
	}
}

func TestLoadReadsEveryFixture(t *testing.T) {
	l, err := pir.Load(fixtures...)
	require.NoError(t, err)
	byID := map[string]pir.Incident{}
	for _, in := range l.Incidents {
		require.NotContains(t, byID, in.ID, "incident %s listed twice", in.ID)
		byID[in.ID] = in
	}
	t.Run("a review and PagerDuty's record of the same incident are merged, the review's times winning", func(t *testing.T) {
		in := byID["#1843"]
		require.Equal(t, "markdown+pagerduty", in.Source)
		require.Equal(t, utc("2024-03-04T09:12:00Z"), in.StartedAt, "the review's started_at, not PagerDuty's created_at")
		require.Equal(t, utc("2024-03-04T10:05:00Z"), in.ResolvedAt)
		require.Equal(t, "https://acme.pagerduty.com/incidents/Q2TQM7K1ZUV8WX", in.URL, "PagerDuty fills what the review left out")
		require.Contains(t, in.Aliases, "Q2TQM7K1ZUV8WX")
		require.Equal(t, pir.MethodAlert, in.Detection.Method)
		require.Equal(t, []string{"CheckoutHighLatency"}, in.Detection.Alerts)
		require.Len(t, in.Timeline, 6)
		require.Len(t, in.ActionItems, 4)
		require.Equal(t, pir.ActionMitigate, in.ActionItems[0].Type)
		require.Equal(t, "SHOP-4411", in.ActionItems[0].Reference)
		require.Equal(t, []string{"CheckoutHighLatency"}, in.ActionItems[0].Alerts)
		require.Contains(t, in.ActionItems[0].Topics, "threshold")
	})
	t.Run("a review with its start only in the Timeline, in its front matter's time zone", func(t *testing.T) {
		in := byID["PIR-2024-007"]
		// 02:10 in Europe/Berlin (CET, UTC+1) on the front matter's date.
		require.Equal(t, utc("2024-03-12T01:10:00Z"), in.StartedAt)
		require.Equal(t, utc("2024-03-12T05:40:00Z"), in.DetectedAt, "the customer report is the detection")
		require.Equal(t, pir.MethodCustomer, in.Detection.Method)
		require.Equal(t, utc("2024-03-12T07:05:00Z"), in.ResolvedAt, "PagerDuty's last_status_change_at of a resolved incident")
		require.Equal(t, map[string]string{"service": "search", "team": "discovery"}, in.Labels)
		require.Equal(t, "disk", in.RootCauses[0].Category)
		require.Equal(t, "open", in.ActionItems[0].Status)
		require.Equal(t, "done", in.ActionItems[1].Status)
		require.Equal(t, "Li Wei", in.ActionItems[1].Owner)
		require.Equal(t, []string{"disk", "capacity"}, in.ActionItems[2].Topics)
		require.Empty(t, in.ActionItems[2].Alerts, "GiB and TiB are not alert names")
	})
	t.Run("a review in the SRE book's style without front matter", func(t *testing.T) {
		in := byID["2024-03-15-cdn-certificate"]
		require.Equal(t, utc("2024-03-15T17:00:00Z"), in.StartedAt)
		require.Equal(t, pir.MethodCustomer, in.Detection.Method, "no alert fired: customers reported it")
		require.Equal(t, "certificate", in.RootCauses[0].Category)
		require.Contains(t, in.Summary, "41 minutes")
		require.Equal(t, "@sre-oncall", in.ActionItems[0].Owner)
		require.Equal(t, "OPS-77", in.ActionItems[0].Reference)
	})
	t.Run("PagerDuty: created_at starts, priority.summary or urgency is the severity, service.summary the label", func(t *testing.T) {
		in := byID["Q0RK4W2N8FJ3LP"]
		require.Equal(t, utc("2024-03-07T22:58:03Z"), in.StartedAt)
		require.Equal(t, utc("2024-03-08T00:16:10Z"), in.ResolvedAt, "last_status_change_at of a resolved incident")
		require.Equal(t, "high", in.Severity)
		require.Equal(t, map[string]string{"service": "payments"}, in.Labels)
		require.ElementsMatch(t, []string{"1851", "#1851"}, in.Aliases)
	})
	t.Run("incident.io: the reference is the id, Impact started the start, declined and merged skipped, tutorials drills", func(t *testing.T) {
		in := byID["INC-57"]
		require.Equal(t, utc("2024-03-06T14:02:00Z"), in.StartedAt)
		require.Equal(t, utc("2024-03-06T14:52:30Z"), in.ResolvedAt)
		require.Equal(t, "Major", in.Severity)
		require.Equal(t, "api-gateway|checkout", in.Labels["service"])
		require.True(t, byID["INC-58"].Mode.IsDrill())
		require.NotContains(t, byID, "INC-59")
	})
	t.Run("FireHydrant: milestones give the times", func(t *testing.T) {
		in := byID["7f3c2a10-9b4e-4d1a-8c55-2e6f0b1d9a77"]
		require.Equal(t, utc("2024-03-09T10:58:00Z"), in.StartedAt)
		require.Equal(t, utc("2024-03-09T11:03:30Z"), in.DetectedAt)
		require.Equal(t, utc("2024-03-09T11:45:00Z"), in.MitigatedAt)
		require.Equal(t, utc("2024-03-09T12:01:00Z"), in.ResolvedAt)
		require.Equal(t, map[string]string{"service": "orders|order-consumer", "cluster": "eu-west-1"}, in.Labels)
		require.True(t, byID["0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f"].Mode.IsDrill(), "tagged drill")
	})
	t.Run("Rootly: JSON:API attributes, scheduled maintenance skipped, test kinds drills", func(t *testing.T) {
		in := byID["b6f1d2c3-4e5a-4b6c-9d7e-8f9a0b1c2d3e"]
		require.Equal(t, utc("2024-03-10T15:05:00Z"), in.StartedAt, "-08:00 read as such")
		require.Equal(t, "SEV1", in.Severity)
		require.Equal(t, map[string]string{"service": "media", "region": "us-east-1"}, in.Labels)
		require.NotContains(t, byID, "c7a2e3d4-5f6b-4c7d-8e9f-0a1b2c3d4e5f")
		require.True(t, byID["d8b3f4e5-6a7c-4d8e-9f0a-1b2c3d4e5f60"].Mode.IsDrill())
	})
	t.Run("Opsgenie: createdAt plus report.closeTime ends, key:value tags are labels", func(t *testing.T) {
		in := byID["70413a06-38d6-4c85-92b8-5ebc900d42e2"]
		require.Equal(t, utc("2024-03-09T11:03:30Z"), in.StartedAt)
		require.Equal(t, utc("2024-03-09T11:45:30Z"), in.ResolvedAt)
		require.Equal(t, utc("2024-03-09T11:05:40Z"), in.AcknowledgedAt)
		require.Equal(t, map[string]string{"service": "orders", "cluster": "eu-west-1"}, in.Labels)
		require.Equal(t, []string{"KubePodCrashLooping"}, in.Detection.Alerts)
		require.Equal(t, map[string]string{"service": "checkout"}, byID["9a2b51c0-1d3e-4f5a-8b6c-7d8e9f0a1b2c"].Labels)
	})
	t.Run("minimal YAML and CSV", func(t *testing.T) {
		require.Equal(t, utc("2024-03-07T22:40:00Z"), byID["INC-102"].StartedAt, "a time without zone is UTC")
		require.Equal(t, utc("2024-03-11T02:00:00Z"), byID["INC-103"].StartedAt)
		require.True(t, byID["INC-103"].ResolvedAt.IsZero())
		require.Equal(t, utc("2024-03-11T03:00:00Z"), func() time.Time { in := byID["INC-103"]; return in.End() }(), "an incident without an end lasts 1h")
		require.True(t, byID["INC-104"].Mode.IsDrill())
		require.Equal(t, utc("2024-03-03T12:00:00Z"), byID["8"].StartedAt, "Unix seconds")
		require.Equal(t, "Queue backlog, orders delayed", byID["CSV-2"].Title)
		require.Equal(t, map[string]string{"service": "orders"}, byID["CSV-2"].Labels, "an empty cell is no label")
	})
	require.Contains(t, l.Skipped, "testdata/reviews/README.md: not a review (no front matter and no Timeline)")

	golden := filepath.Join("testdata", "golden", "fixtures.json")
	got, err := json.MarshalIndent(l, "", "  ")
	require.NoError(t, err)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
		require.NoError(t, os.WriteFile(golden, append(got, '\n'), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test ./pir -run TestLoadReadsEveryFixture -update")
	require.JSONEq(t, string(want), string(got))
}

func TestLoadReadsADirectoryOfMixedFiles(t *testing.T) {
	dir := t.TempDir()
	copyFile := func(src, dst string) {
		b, err := os.ReadFile(src)
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, dst)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, dst), b, 0o644))
	}
	copyFile("testdata/pagerduty-incidents.json", "exports/pd.json")
	copyFile("testdata/opsgenie-alerts.json", "exports/opsgenie.JSON")
	copyFile("testdata/reviews/2024-03-04-checkout-latency.md", "2024/checkout.md")
	copyFile("testdata/reviews/README.md", "README.md")
	copyFile("testdata/incidents.csv", "windows.csv")
	copyFile("testdata/minimal.yaml", ".hidden/ignored.yaml")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "diagram.png"), []byte{0x89, 'P', 'N', 'G'}, 0o644))

	l, err := pir.Load(dir)
	require.NoError(t, err)
	require.Equal(t, 5-1, l.Files, "README skipped, the png and the hidden directory not read")
	ids := map[string]string{}
	for _, in := range l.Incidents {
		ids[in.ID] = in.Source
	}
	require.Equal(t, "markdown+pagerduty", ids["#1843"])
	require.Equal(t, "opsgenie", ids["70413a06-38d6-4c85-92b8-5ebc900d42e2"])
	require.Equal(t, "csv", ids["CSV-1"])
	require.NotContains(t, ids, "INC-101", "hidden directories are skipped")
	require.Len(t, l.Incidents, 3+2+3, "the review merged with its PagerDuty record")
}

func TestMergeRule(t *testing.T) {
	review := pir.Incident{ID: "PIR-1", Aliases: []string{"#42"}, Source: "markdown", StartedAt: utc("2024-01-01T10:00:00Z"),
		Labels: map[string]string{"service": "api"}, Timeline: []pir.TimelineEntry{{At: utc("2024-01-01T10:00:00Z"), Text: "start"}}}
	pd := pir.Incident{ID: "PXYZ", Aliases: []string{"42", "#42"}, Source: "pagerduty", StartedAt: utc("2024-01-01T10:07:00Z"),
		ResolvedAt: utc("2024-01-01T11:00:00Z"), Severity: "P1", Labels: map[string]string{"service": "api-gw", "team": "edge"}, URL: "https://pd/PXYZ"}
	csv := pir.Incident{ID: "42", Source: "csv", StartedAt: utc("2024-01-01T09:00:00Z"), Title: "from the CSV"}
	other := pir.Incident{ID: "PIR-2", Source: "markdown", StartedAt: utc("2024-01-02T00:00:00Z")}

	// The order records come in does not matter: the review ranks first.
	for _, order := range [][]pir.Incident{{csv, pd, review, other}, {review, pd, csv, other}, {other, pd, csv, review}} {
		got := pir.Merge(order)
		require.Len(t, got, 2)
		m := got[0]
		require.Equal(t, "PIR-1", m.ID)
		require.Equal(t, utc("2024-01-01T10:00:00Z"), m.StartedAt, "the review's start wins")
		require.Equal(t, utc("2024-01-01T11:00:00Z"), m.ResolvedAt, "PagerDuty fills the end")
		require.Equal(t, "P1", m.Severity)
		require.Equal(t, "from the CSV", m.Title, "the CSV fills what both left out")
		require.Equal(t, map[string]string{"service": "api", "team": "edge"}, m.Labels, "labels are the union, the review winning on service")
		require.Equal(t, "markdown+pagerduty+csv", m.Source)
		require.ElementsMatch(t, []string{"#42", "PXYZ", "42"}, m.Aliases)
		require.Equal(t, "PIR-2", got[1].ID)
	}
}

func TestMarkdownTimelines(t *testing.T) {
	tests := []struct {
		name      string
		doc       string
		wantStart string
		wantAt    []string
	}{
		{"HH:MM entries dated by the front matter's date, in UTC",
			"---\nid: A\ndate: 2024-05-01\n---\n## Timeline\n- 10:00 start\n- 10:05 paged\n", "2024-05-01T10:00:00Z",
			[]string{"2024-05-01T10:00:00Z", "2024-05-01T10:05:00Z"}},
		{"entries past midnight roll over to the next day",
			"---\nid: A\ndate: 2024-05-01\n---\n## Timeline\n- 23:50 start\n- 00:10 paged\n", "2024-05-01T23:50:00Z",
			[]string{"2024-05-01T23:50:00Z", "2024-05-02T00:10:00Z"}},
		{"the front matter's timezone, across a DST change",
			"---\nid: A\ndate: 2024-03-31\ntimezone: Europe/Paris\n---\n## Timeline\n- 01:30 start\n- 03:30 paged\n", "2024-03-31T00:30:00Z",
			[]string{"2024-03-31T00:30:00Z", "2024-03-31T01:30:00Z"}},
		{"Z, UTC and ±HH:MM after the time win over the timezone",
			"---\nid: A\ntimezone: America/New_York\n---\n# T\n## Timeline\n- 2024-06-01 12:00Z a\n- 2024-06-01 12:00 UTC b\n- 2024-06-01 12:00+02:00 c\n- 2024-06-01 12:00 d\n", "2024-06-01T12:00:00Z",
			[]string{"2024-06-01T12:00:00Z", "2024-06-01T12:00:00Z", "2024-06-01T10:00:00Z", "2024-06-01T16:00:00Z"}},
		{"a date line dates the entries after it, bold times and table rows are entries",
			"# Outage\n\n## Timeline\n\n**2024-07-04** (all times UTC)\n\n* **09:00** — impact starts\n| 09:30 | mitigated |\n- `09:45:30` resolved\n", "2024-07-04T09:00:00Z",
			[]string{"2024-07-04T09:00:00Z", "2024-07-04T09:30:00Z", "2024-07-04T09:45:30Z"}},
		{"a 12-hour clock",
			"---\nid: A\ndate: 2024-05-01\n---\n## Timeline\n- 11:50 PM start\n- 12:10 AM paged\n- 1:05 pm fixed\n", "2024-05-01T23:50:00Z",
			[]string{"2024-05-01T23:50:00Z", "2024-05-02T00:10:00Z", "2024-05-02T13:05:00Z"}},
		{"started_at in the front matter wins over the Timeline",
			"---\nid: A\nstarted_at: 2024-05-01 09:55\ndate: 2024-05-01\n---\n## Timeline\n- 10:00 noticed\n", "2024-05-01T09:55:00Z",
			[]string{"2024-05-01T10:00:00Z"}},
		{"started_at as a time of day on the front matter's date",
			"---\nid: A\nstarted_at: \"09:55\"\ndate: 2024-05-01\ntimezone: Asia/Tokyo\n---\n## Summary\nx\n", "2024-05-01T00:55:00Z", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := pir.Parse([]byte(tt.doc), "review.md", pir.FormatAuto)
			require.NoError(t, err)
			require.Equal(t, pir.FormatMarkdown, p.Format)
			in := p.Incidents[0]
			require.Equal(t, utc(tt.wantStart), in.StartedAt)
			var at []string
			for _, e := range in.Timeline {
				at = append(at, e.At.Format(time.RFC3339))
			}
			require.Equal(t, tt.wantAt, at)
		})
	}
}

func TestDetectionMining(t *testing.T) {
	tests := []struct {
		name   string
		doc    string
		method pir.Method
		alerts []string
		delay  time.Duration
	}{
		{"paged by an alert in the timeline", "---\nid: A\ndate: 2024-05-01\n---\n## Timeline\n- 10:00 error rate rises\n- 10:07 Paged by HighErrorRate\n", pir.MethodAlert, []string{"HighErrorRate"}, 7 * time.Minute},
		{"a customer report in the timeline", "---\nid: A\ndate: 2024-05-01\n---\n## Timeline\n- 10:00 deploy\n- 10:30 customer reported failed payments\n", pir.MethodCustomer, nil, 30 * time.Minute},
		{"an engineer noticed", "---\nid: A\ndate: 2024-05-01\n---\n## Detection\nAn engineer noticed the dashboard was flat.\n## Timeline\n- 10:00 start\n- 10:12 engineer noticed the flat dashboard\n", pir.MethodHuman, nil, 12 * time.Minute},
		{"the front matter says", "---\nid: A\nstarted_at: 2024-05-01T10:00:00Z\ndetected_at: 2024-05-01T10:03:00Z\ndetection: alert\nalerts: [KubeNodeNotReady]\n---\n# x\n", pir.MethodAlert, []string{"KubeNodeNotReady"}, 3 * time.Minute},
		{"an alert that did not fire is no alert detection", "---\nid: A\ndate: 2024-05-01\n---\n## Detection\nNo alert fired; an SRE noticed it while deploying.\n## Timeline\n- 10:00 start\n", pir.MethodHuman, nil, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := pir.Parse([]byte(tt.doc), "r.md", pir.FormatMarkdown)
			require.NoError(t, err)
			in := p.Incidents[0]
			require.Equal(t, tt.method, in.Detection.Method, in.Detection.Evidence)
			require.Equal(t, tt.alerts, in.Detection.Alerts)
			d, ok := in.DetectionDelay()
			if tt.delay < 0 {
				require.False(t, ok)
				return
			}
			require.True(t, ok)
			require.Equal(t, tt.delay, d)
		})
	}
}

func TestLinkRules(t *testing.T) {
	incs := []pir.Incident{{ActionItems: []pir.ActionItem{
		{Text: "Page on DiskWillFillIn4h", Alerts: []string{"DiskWillFillIn4h"}},
		{Text: "More disk headroom on the indexers", Topics: []string{"disk", "capacity"}},
		{Text: "Lower the HighErrorRate threshold", Topics: []string{"threshold"}},
		{Text: "Write a runbook"},
	}}}
	n := pir.LinkRules(incs, []string{"DiskWillFillIn4h", "NodeFilesystemAlmostFull", "HighErrorRate", "HighErrorRateBurn"})
	require.Equal(t, 3, n)
	items := incs[0].ActionItems
	require.Equal(t, []string{"DiskWillFillIn4h"}, items[0].Alerts)
	require.Equal(t, []string{"DiskWillFillIn4h", "NodeFilesystemAlmostFull"}, items[1].Alerts, "a disk item names no rule: linked to the disk rules")
	require.Equal(t, []string{"HighErrorRate"}, items[2].Alerts, "word for word: not HighErrorRateBurn")
	require.Empty(t, items[3].Alerts)
}

func TestBadFilesGetClearErrors(t *testing.T) {
	tests := []struct {
		name, file, content, want string
	}{
		{"YAML without a start", "i.yaml", "incidents:\n  - id: A\n    end: 2024-01-01T00:00:00Z\n", "i.yaml:2: incidents[0].start: missing"},
		{"YAML with a bad time", "i.yaml", "- id: A\n  start: yesterday\n", `i.yaml:2: incidents[0].start: cannot parse time "yesterday": want RFC3339`},
		{"YAML ending before it starts", "i.yaml", "- id: A\n  start: 2024-01-02T00:00:00Z\n  end: 2024-01-01T00:00:00Z\n", "i.yaml:1: incidents[0].end: incident A ends (2024-01-01T00:00:00Z) before it starts"},
		{"YAML without an id", "i.yaml", "- start: 2024-01-02T00:00:00Z\n", "i.yaml:1: incidents[0].id: missing"},
		{"YAML labels that are a list", "i.yaml", "- id: A\n  start: 2024-01-02T00:00:00Z\n  labels: [a, b]\n", "i.yaml:3: incidents[0].labels: want a mapping"},
		{"invalid YAML", "i.yaml", "- id: A\n  start: [\n", "i.yaml:2: invalid YAML: did not find expected node content"},
		{"something else", "i.yaml", "apiVersion: v1\nkind: ConfigMap\n", "i.yaml:1: not an incident file: want a list of {id, start, end, title, labels}"},
		{"CSV without a start column", "i.csv", "id,begin\nA,2024\n", "i.csv:1: start: missing column"},
		{"CSV with a bad time", "i.csv", "id,start\nA,2024-01-01\nB,soon\n", `i.csv:3: start: cannot parse time "soon"`},
		{"CSV with a bad label column", "i.csv", "id,start,end,title,my service\n", "i.csv:1: my service: invalid label column name"},
		{"PagerDuty with a bad created_at", "pd.json", `{"incidents": [{"id": "P1", "incident_number": 1, "created_at": "2024-01-01"}, {"id": "P2", "incident_number": 2,` + "\n" + `"created_at": "last tuesday"}]}`, `pd.json:1: incidents[1].created_at: cannot parse time "last tuesday"`},
		{"PagerDuty with a title that is a number", "pd.json", `{"incidents": [` + "\n" + `{"id": "P1", "incident_number": 1, "title": 5, "created_at": "2024-01-01"}]}`, "pd.json:2: incidents[0].title: want a string, not a JSON number"},
		{"PagerDuty cut short", "pd.json", "{\"incidents\": [\n{\"id\": \"P1\", \"incident_number\": 1,\n", "pd.json:2: invalid JSON: the file ends too early"},
		{"PagerDuty without an id", "pd.json", `{"incidents": [{"incident_number": 1, "urgency": "high", "created_at": "2024-01-01"}]}`, "pd.json:1: incidents[0].id: missing"},
		{"incident.io without a created_at", "io.json", `{"incidents": [{"id": "01H", "reference": "INC-1", "incident_status": {"category": "live"}}]}`, "io.json:1: incidents[0].created_at: missing"},
		{"FireHydrant with a bad milestone", "fh.json", `{"data": [{"id": "x", "milestones": [{"type": "started", "occurred_at": "noon"}]}], "pagination": {}}`, `fh.json:1: data[0].milestones[0].occurred_at: cannot parse time "noon"`},
		{"Rootly with bad labels", "r.json", `{"data": [{"id": "x", "type": "incidents", "attributes": {"started_at": "2024-01-01T00:00:00Z", "labels": "prod"}}], "links": {}}`, "r.json:1: data[0].attributes.labels: want an object of label names to values"},
		{"Opsgenie with a bad closeTime", "og.json", `{"data": [{"id": "x", "tinyId": "1", "message": "m", "createdAt": "2024-01-01T00:00:00Z", "report": {"closeTime": "soon"}}], "paging": {}}`, `og.json:1: data[0].report.closeTime: cannot parse "soon": want milliseconds`},
		{"a review without a start", "r.md", "---\nid: A\n---\n# Outage\n## Summary\nx\n", "r.md:1: started_at: missing: give the front matter started_at, or a Timeline"},
		{"a review with a bad front matter", "r.md", "---\nid: A\nstarted_at: [\n---\n# x\n", "r.md:3: invalid YAML"},
		{"a review with a bad started_at", "r.md", "---\nid: A\nstarted_at: 2024-13-45 10:00\n---\n# x\n## Summary\n", `r.md:3: started_at: cannot parse time "2024-13-45 10:00"`},
		{"a review with an unknown time zone", "r.md", "---\nid: A\ntimezone: Mars/Olympus\n---\n# x\n", `r.md:3: timezone: unknown time zone "Mars/Olympus"`},
		{"a review whose Timeline has no date", "r.md", "---\nid: A\n---\n# x\n\n## Timeline\n\n- 10:00 start\n", `r.md:8: Timeline: entry "10:00" has no date`},
		{"a review with an impossible time", "r.md", "---\nid: A\ndate: 2024-01-01\n---\n## Timeline\n- 25:61 start\n", `r.md:6: Timeline: cannot parse time "25:61"`},
		{"an Alertmanager log given as incidents", "am.jsonl", `{"receiver":"x","status":"firing","alerts":[],"version":"4"}` + "\n", "am.jsonl: pir: not an incident file: it is an Alertmanager webhook log (alert history): give it as --history"},
		{"an empty file", "e.yaml", "  \n", "e.yaml: pir: unknown incident format: the file is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, tt.file)
			require.NoError(t, os.WriteFile(path, []byte(tt.content), 0o644))
			_, err := pir.Load(path)
			require.Error(t, err)
			require.Contains(t, err.Error(), filepath.Join(dir, tt.want[:strings.IndexAny(tt.want, ": ")])+tt.want[strings.IndexAny(tt.want, ": "):])
		})
	}
	t.Run("a missing path", func(t *testing.T) {
		_, err := pir.Load("/nonexistent/pirs")
		require.ErrorContains(t, err, "/nonexistent/pirs")
		require.True(t, errors.Is(err, os.ErrNotExist))
	})
	t.Run("errors are ParseErrors naming the file, line and field", func(t *testing.T) {
		_, err := pir.Parse([]byte("- id: A\n  start: x\n"), "f.yaml", pir.FormatAuto)
		var pe *pir.ParseError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, "f.yaml", pe.File)
		require.Equal(t, 2, pe.Line)
		require.Equal(t, "incidents[0].start", pe.Field)
	})
}
