package delivery

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"strings"

	"github.com/omenhq/omen/tuner"
)

// ErrInvalid is wrapped by every error about the proposals file: it is
// tuner.ErrInvalidProposals.
var ErrInvalid = tuner.ErrInvalidProposals

// The proposals JSON is the tuner's (tuner.ProposalFile, the one type
// `omen tune` writes); these names keep delivery's callers reading.
type (
	// File is the JSON `omen tune` writes: tuner.ProposalFile.
	File = tuner.ProposalFile
	// Proposal is one rule's proposed change with its evidence.
	Proposal = tuner.Proposal
	// Change is one field of a rule changed: tuner.FieldChange.
	Change = tuner.FieldChange
	// Value is a change's value as the JSON holds it.
	Value = tuner.Value
	// Metrics are the what-if metrics of a rule over a window:
	// tuner.ProposalMetrics.
	Metrics = tuner.ProposalMetrics
	// IDs are incidents given as a list of ids or as a count.
	IDs = tuner.IDs
	// Validation holds a proposal's metrics on the validation folds.
	Validation = tuner.Validation
	// Fold is one validation window.
	Fold = tuner.Fold
	// Incident is an incident a proposal names: tuner.ProposalIncident.
	Incident = tuner.ProposalIncident
	// Skipped is a rule the tuner left alone, with the reason.
	Skipped = tuner.Skipped
)

// Decode reads the proposals JSON from r (tuner.DecodeProposals); name
// is the file's name for errors.
func Decode(r io.Reader, name string) (*File, error) { return tuner.DecodeProposals(r, name) }

// Kind is the kind of change a set of proposals makes, the <kind> of the
// branch name omen/<kind>-<hash>.
const Kind = "rules"

// BranchPrefix starts every branch omen proposes rule changes on.
const BranchPrefix = "omen/" + Kind + "-"

// Branch returns the branch of a set of proposals: omen/rules-<hash> of
// which rules and which fields change. It does not depend on the values,
// so a proposal whose values move lands on the same branch.
func Branch(ps []Proposal) string {
	shapes := make([]string, len(ps))
	for i, p := range ps {
		shapes[i] = p.Key() + "\x00" + strings.Join(p.Fields(), ",")
	}
	slices.Sort(shapes)
	h := sha256.Sum256([]byte("v1\x00" + strings.Join(shapes, "\x01")))
	return BranchPrefix + hex.EncodeToString(h[:])[:10]
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
