package delivery

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/tuner"
)

func TestARejectedProposalComesBackOnlyWhenTheEvidenceChangedMaterially(t *testing.T) {
	f := loadFile(t, "testdata/proposals.json")
	rejected := newState(f.Proposals).Proposals[0]
	tests := []struct {
		name     string
		change   func(p *Proposal)
		material bool
		why      string
	}{
		{"the same proposal is not material", func(*Proposal) {}, false, "the same change on the same evidence"},
		{"a value within 10% is not material", func(p *Proposal) { p.Changes[0].To = num(0.052) }, false, ""},
		{"a value more than 10% away is material", func(p *Proposal) { p.Changes[0].To = num(0.04) }, true, "threshold is now 0.04, more than 10% from the rejected 0.05"},
		{"a for more than 10% away is material", func(p *Proposal) { p.Changes[1].To = str("10m") }, true, "for is now 10m"},
		{"another field is material", func(p *Proposal) { p.Changes = p.Changes[:1] }, true, "it changes threshold where the rejected one changed for, threshold"},
		{"pages/week 0.4 away is not material", func(p *Proposal) { setAfterPages(p, 2.4) }, false, ""},
		{"pages/week 30% and 1.0 away is material", func(p *Proposal) { setAfterPages(p, 3.0) }, true, "pages per week after the change are now 3.0, the rejected proposal had 2.0"},
		{"an incident no longer caught is material", func(p *Proposal) {
			p.Validation.Folds[2].After.Caught = IDs{List: []string{}}
			p.Validation.Folds[2].After.Missed = IDs{List: []string{"INC-12"}}
		}, true, "it now catches INC-11, the rejected proposal INC-11, INC-12"},
		{"a new incident named is material", func(p *Proposal) {
			p.Validation.Folds[1].Before.Missed = IDs{List: []string{"INC-20"}}
			p.Validation.Folds[1].After.Missed = IDs{List: []string{"INC-20"}}
		}, true, "incident INC-20 is new since the rejection"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := cloneFile(t, f).Proposals[0]
			tt.change(&p)
			material, why := materialChange(rejected, p)
			require.Equal(t, tt.material, material, why)
			if tt.why != "" {
				require.Contains(t, why, tt.why)
			}
		})
	}
}

func TestChangeCommentSaysWhatChanged(t *testing.T) {
	f := loadFile(t, "testdata/proposals.json")
	old := newState(f.Proposals)
	require.Empty(t, changeComment(old, f.Proposals, ""), "nothing changed: no comment")

	g := cloneFile(t, f)
	g.Proposals[0].Changes[0].To = num(0.04)
	setAfterPages(&g.Proposals[0], 2.6)
	comment := changeComment(old, g.Proposals[:1], "main")
	require.Contains(t, comment, "omen updated this pull request (one commit, now on top of main):")
	require.Contains(t, comment, "- `HighErrorRate (rules/app.yml, group app)`: threshold → 0.04 (was → 0.05); pages/week after 2.6 (was 2.0)")
	require.Contains(t, comment, "- dropped `NodeFilesystemAlmostFull (kube/node-rules.yaml, group node)`: the tuner no longer proposes it")

	added := changeComment(newState(f.Proposals[:1]), f.Proposals, "")
	require.Contains(t, added, "- added `NodeFilesystemAlmostFull (kube/node-rules.yaml, group node)`: threshold 10 → 15")
}

func num(v float64) Value { b, _ := json.Marshal(v); return tuner.RawValue(b) }

func str(s string) Value { b, _ := json.Marshal(s); return tuner.RawValue(b) }

// setAfterPages sets the validation pages/week after the change to v in
// every fold.
func setAfterPages(p *Proposal, v float64) {
	for i := range p.Validation.Folds {
		p.Validation.Folds[i].After.PagesPerWeek = &v
	}
}
