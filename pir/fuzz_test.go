package pir_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/omenhq/omen/pir"
)

// seed adds the fixtures of a format to a fuzz corpus.
func seed(f *testing.F, files ...string) {
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// fuzzParse parses data as format and checks what every successful parse
// promises: an id, a start, an end not before it, a record that survives
// a merge unchanged in number.
func fuzzParse(t *testing.T, data []byte, format pir.Format) {
	p, err := pir.Parse(data, "fuzz", format)
	if err != nil {
		if err.Error() == "" {
			t.Fatal("an error without a message")
		}
		return
	}
	for _, in := range p.Incidents {
		if in.ID == "" {
			t.Fatalf("an incident without an id: %+v", in)
		}
		if in.StartedAt.IsZero() {
			t.Fatalf("incident %q without a start", in.ID)
		}
		if !in.ResolvedAt.IsZero() && in.ResolvedAt.Before(in.StartedAt) {
			t.Fatalf("incident %q ends before it starts", in.ID)
		}
	}
	if n := len(pir.Merge(p.Incidents)); n > len(p.Incidents) {
		t.Fatalf("merging %d records gave %d", len(p.Incidents), n)
	}
	// Parsing is deterministic.
	q, err := pir.Parse(data, "fuzz", format)
	if err != nil || len(q.Incidents) != len(p.Incidents) {
		t.Fatalf("a second parse differs: %v", err)
	}
}

func FuzzLoadMinimal(f *testing.F) {
	seed(f, "minimal.yaml", "minimal-list.yml")
	f.Add([]byte("- id: 1\n  start: 2024-01-01\n  labels: {service: [a, b]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, data, pir.FormatYAML) })
}

func FuzzLoadCSV(f *testing.F) {
	seed(f, "incidents.csv")
	f.Add([]byte("id,start\n\"a\nb\",1\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, data, pir.FormatCSV) })
}

func FuzzLoadPagerDuty(f *testing.F) {
	seed(f, "pagerduty-incidents.json")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, data, pir.FormatPagerDuty) })
}

func FuzzLoadIncidentIO(f *testing.F) {
	seed(f, "incidentio-incidents.json")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, data, pir.FormatIncidentIO) })
}

func FuzzLoadFireHydrant(f *testing.F) {
	seed(f, "firehydrant-incidents.json")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, data, pir.FormatFireHydrant) })
}

func FuzzLoadRootly(f *testing.F) {
	seed(f, "rootly-incidents.json")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, data, pir.FormatRootly) })
}

func FuzzLoadOpsgenie(f *testing.F) {
	seed(f, "opsgenie-alerts.json")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, data, pir.FormatOpsgenie) })
}

func FuzzLoadMarkdown(f *testing.F) {
	seed(f, "reviews/2024-03-04-checkout-latency.md", "reviews/2024-03-12-search-disk.md", "reviews/2024-03-15-cdn-certificate.md")
	f.Add([]byte("---\nid: A\ndate: 2024-01-01\ntimezone: Europe/Paris\n---\n## Timeline\n- 23:59 a\n- 00:01+05:30 b\n| 01:00 | c |\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, data, pir.FormatMarkdown) })
}

// FuzzLoadAuto tells the format from the content, as Load does.
func FuzzLoadAuto(f *testing.F) {
	seed(f, "minimal.yaml", "incidents.csv", "pagerduty-incidents.json", "incidentio-incidents.json",
		"firehydrant-incidents.json", "rootly-incidents.json", "opsgenie-alerts.json", "reviews/2024-03-12-search-disk.md", "alertmanager.jsonl")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, data, pir.FormatAuto) })
}

func FuzzLoadAlertmanagerLog(f *testing.F) {
	seed(f, "alertmanager.jsonl")
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, err := pir.LoadAlertmanagerLog(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		for _, x := range fs {
			if x.Alert == "" || x.FiringAt.IsZero() {
				t.Fatalf("a firing without alert or start: %+v", x)
			}
			if x.Resolved() && x.ResolvedAt.Before(x.FiringAt) {
				t.Fatalf("a firing resolved before it fired: %+v", x)
			}
		}
	})
}
