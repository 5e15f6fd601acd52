package delivery

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/tuner"
)

func loadFile(t testing.TB, path string) *File {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	f, err := Decode(bytes.NewReader(b), path)
	require.NoError(t, err)
	return f
}

func TestDecodeReadsTheTunersJSON(t *testing.T) {
	f := loadFile(t, "testdata/proposals.json")
	require.Len(t, f.Proposals, 2)
	p := f.Proposals[0]
	require.Equal(t, "rules/app.yml", p.File)
	require.Equal(t, "app", p.Group)
	require.Equal(t, "HighErrorRate", p.Alert)
	require.Len(t, p.Changes, 2)
	v, err := p.Changes[0].To.Number()
	require.NoError(t, err)
	require.Equal(t, 0.05, v)
	d, err := p.Changes[1].To.Duration()
	require.NoError(t, err)
	require.Equal(t, "5m0s", d.String())
	require.Equal(t, 21.0, *p.Before.PagesPerWeek)
	require.Equal(t, []string{"INC-4", "INC-7", "INC-9"}, p.Before.Caught.List)
	require.Len(t, p.Validation.Folds, 3)
	n, ok := f.Proposals[1].Before.Caught.Count()
	require.True(t, ok)
	require.Equal(t, 1, n, "a count of incidents is read too")
	require.Len(t, f.Skipped, 1)
	require.Len(t, f.Incidents, 5)
	require.Equal(t, "https://incidents.example.com/INC-12", f.Incidents[4].Href())
}

func TestDecodeNamesWhatIsWrong(t *testing.T) {
	tests := []struct {
		name, json, err string
	}{
		{"a syntax error gives line and column", "{\n  \"proposals\": [\n    {\"file\": \"a.yml\",, }\n  ]\n}", "p.json:3:22: invalid character ','"},
		{"a wrong type gives its place", `{"proposals": [{"file": 3}]}`, `p.json:1:25: proposals.file: want string, not a JSON number`},
		{"another JSON is refused", `{"rules": []}`, `no "proposals": want the JSON of omen tune`},
		{"a proposal needs a file", `{"proposals": [{"alert": "A", "changes": [{"field": "for", "to": "5m"}]}]}`, `proposal 1 (A): no "file"`},
		{"a proposal needs an alert", `{"proposals": [{"file": "a.yml", "changes": [{"field": "for", "to": "5m"}]}]}`, `proposal 1 (): no "alert"`},
		{"a proposal needs changes", `{"proposals": [{"file": "a.yml", "alert": "A"}]}`, `proposal 1 (A): no "changes"`},
		{"an unknown field is named", `{"proposals": [{"file": "a.yml", "alert": "A", "changes": [{"field": "treshold", "to": 1}]}]}`, `change 1 (treshold): "to": unknown field "treshold": want threshold, for, keep_firing_for or labels.NAME`},
		{"a threshold must be a number", `{"proposals": [{"file": "a.yml", "alert": "A", "changes": [{"field": "threshold", "to": "high"}]}]}`, `change 1 (threshold): "to": "high" is not a number`},
		{"a for must be a duration", `{"proposals": [{"file": "a.yml", "alert": "A", "changes": [{"field": "for", "to": "5 minutes"}]}]}`, `"5 minutes" is not a duration`},
		{"a label name must be valid", `{"proposals": [{"file": "a.yml", "alert": "A", "changes": [{"field": "labels.1x", "to": "a"}]}]}`, `invalid label name "1x"`},
		{"a field changed twice is refused", `{"proposals": [{"file": "a.yml", "alert": "A", "changes": [{"field": "for", "to": "5m"}, {"field": "for", "to": "6m"}]}]}`, `field "for" changed twice`},
		{"two proposals for one rule are refused", `{"proposals": [{"file": "a.yml", "alert": "A", "changes": [{"field": "for", "to": "5m"}]}, {"file": "a.yml", "alert": "A", "changes": [{"field": "threshold", "to": 1}]}]}`, `proposals 1 and 2 both change A (a.yml)`},
		{"caught must be ids or a count", `{"proposals": [{"file": "a.yml", "alert": "A", "changes": [{"field": "for", "to": "5m"}], "after": {"caught": "INC-1"}}]}`, `want a list of ids or a count`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tt.json), "p.json")
			require.ErrorIs(t, err, ErrInvalid)
			require.ErrorContains(t, err, tt.err)
		})
	}
}

func TestDecodeIgnoresFieldsItDoesNotKnow(t *testing.T) {
	f, err := Decode(strings.NewReader(`{"version": 2, "proposals": [{"file": "a.yml", "alert": "A", "kind": "threshold", "changes": [{"field": "for", "from": null, "to": 300, "unit": "s"}],
		"after": {"pages_per_week": 1, "flaps": 3, "caught": [{"id": "INC-1", "lead_seconds": 60}]}}], "skipped": []}`), "p.json")
	require.NoError(t, err)
	d, err := f.Proposals[0].Changes[0].To.Duration()
	require.NoError(t, err)
	require.Equal(t, "5m0s", d.String(), "seconds are read as a duration")
	require.True(t, f.Proposals[0].Changes[0].From.IsNull())
	require.Equal(t, []string{"INC-1"}, f.Proposals[0].After.Caught.List, "incident objects give their id")
}

func TestBranchDependsOnRulesAndFieldsNotValues(t *testing.T) {
	f := loadFile(t, "testdata/proposals.json")
	branch := Branch(f.Proposals)
	require.Regexp(t, `^omen/rules-[0-9a-f]{10}$`, branch)

	moved := cloneFile(t, f)
	moved.Proposals[0].Changes[0].To = tuner.RawValue(json.RawMessage("0.04"))
	moved.Proposals[1].Changes[0].To = tuner.RawValue(json.RawMessage("12"))
	require.Equal(t, branch, Branch(moved.Proposals), "only values moved: same branch")
	require.NotEqual(t, f.Proposals[0].ID(), moved.Proposals[0].ID(), "the proposal id follows the values")

	reordered := []Proposal{f.Proposals[1], f.Proposals[0]}
	require.Equal(t, branch, Branch(reordered), "the order of the proposals does not matter")

	fewer := cloneFile(t, f)
	fewer.Proposals[0].Changes = fewer.Proposals[0].Changes[:1]
	require.NotEqual(t, branch, Branch(fewer.Proposals), "another field: another branch")
	require.NotEqual(t, branch, Branch(f.Proposals[:1]), "another rule set: another branch")
}

func cloneFile(t testing.TB, f *File) *File {
	t.Helper()
	b, err := json.Marshal(f)
	require.NoError(t, err)
	g, err := Decode(bytes.NewReader(b), "clone.json")
	require.NoError(t, err)
	return g
}

func FuzzDecode(f *testing.F) {
	seed, _ := os.ReadFile("testdata/proposals.json")
	f.Add(seed)
	f.Add([]byte(`{"proposals": [{"file": "a.yml", "alert": "A", "changes": [{"field": "labels.severity", "from": "critical", "to": "warning"}]}]}`))
	f.Add([]byte(`{"proposals": []}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Decode(bytes.NewReader(data), "fuzz.json")
		if err != nil {
			return
		}
		// What decodes encodes and decodes to the same proposals.
		b, err := json.Marshal(file)
		require.NoError(t, err)
		again, err := Decode(bytes.NewReader(b), "again.json")
		require.NoError(t, err)
		require.Equal(t, len(file.Proposals), len(again.Proposals))
		for i := range file.Proposals {
			require.Equal(t, file.Proposals[i].ID(), again.Proposals[i].ID())
			require.Equal(t, file.Proposals[i].Key(), again.Proposals[i].Key())
		}
		_, _ = Body(file, file.Proposals)
	})
}
