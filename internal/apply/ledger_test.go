package apply

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/delivery"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// sampleLedger is a ledger with an entry in every state a run produces.
func sampleLedger(t testing.TB) *Ledger {
	f, err := delivery.Decode(strings.NewReader(`{"proposals": [
		{"file": "rules/app.yml", "group": "app", "alert": "HighErrorRate", "labels": {"severity": "warning"},
		 "changes": [{"field": "threshold", "from": 0.05, "to": 0.08}, {"field": "for", "from": "1m", "to": "5m"}, {"field": "labels.team", "from": null, "to": "checkout"}],
		 "after": {"pages_per_week": 2, "caught": ["INC-4", "INC-7"], "missed": ["INC-9"]},
		 "why": "pages 21/week → 2/week"},
		{"file": "kube/node.yaml", "group": "node", "alert": "DiskFull",
		 "changes": [{"field": "threshold", "from": 10, "to": 15}],
		 "validation": {"folds": [{"after": {"pages_per_week": 1, "caught": 1, "missed": 0}}, {"after": {"pages_per_week": 0.5, "caught": 0, "missed": 1}}]}}
	]}`), "sample")
	require.NoError(t, err)
	at := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	a := newEntry(f.Proposals[0], ModeDirect, at, 7*24*time.Hour)
	a.set(StateApplied, at, "applied under the policy", "")
	a.PullRequest = &PullRequest{Number: 12, URL: "https://git.example.com/sre/rules/pulls/12"}
	b := newEntry(f.Proposals[1], ModeGitOps, at.Add(time.Hour), 7*24*time.Hour)
	b.set(StateApplied, b.AppliedAt, "applied under the policy", "0123456789abcdef0123456789abcdef01234567")
	b.Verification = &Verification{At: b.VerifyAt, Start: b.AppliedAt, End: b.VerifyAt, History: "replay", Pages: 9, PagesPerWeek: 9,
		Incidents: []string{"INC-20"}, Missed: []string{"INC-20"}, OldPages: 11, OldPagesPerWeek: 11, OldCaught: []string{"INC-20"},
		Health: "ok", Reasons: []string{"the old rule would have caught INC-20, the new one missed it"}}
	b.set(StateRolledBack, b.VerifyAt, "verification failed: the old rule would have caught INC-20, the new one missed it", "89abcdef0123456789abcdef0123456789abcdef")
	return &Ledger{Entries: []Entry{a, b}}
}

func TestLedgerGolden(t *testing.T) {
	l := sampleLedger(t)
	b, err := l.Marshal()
	require.NoError(t, err)
	golden := filepath.Join("testdata", "ledger.golden.yaml")
	if *update {
		require.NoError(t, os.WriteFile(golden, b, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), string(b))

	back, err := ParseLedger(b, golden)
	require.NoError(t, err)
	require.Equal(t, l.Entries, back.Entries)
	require.Equal(t, "validation", back.Entries[1].Promise.Basis)
	require.InDelta(t, 0.75, *back.Entries[1].Promise.PagesPerWeek, 1e-12)
	require.InDelta(t, 0.5, *back.Entries[1].Promise.Recall, 1e-12)
	require.InDelta(t, 2.0/3, *back.Entries[0].Promise.Recall, 1e-12)

	t.Run("the entry's change turns back into its proposal", func(t *testing.T) {
		p := back.Entries[0].proposal()
		require.Equal(t, back.Entries[0].Proposal, p.ID(), "the same rule and values: the same proposal ID")
		_, err := back.Entries[0].reverse()
		require.ErrorContains(t, err, "the change added labels.team, which omen's editor cannot remove")
		rev, err := back.Entries[1].reverse()
		require.NoError(t, err)
		require.Equal(t, "15", rev.Changes[0].From.String())
		require.Equal(t, "10", rev.Changes[0].To.String())
	})
}

func TestParseLedgerErrors(t *testing.T) {
	good, err := sampleLedger(t).Marshal()
	require.NoError(t, err)
	tests := []struct {
		name, from, to, err string
	}{
		{"an unknown field names its line", "    why:", "    whyy:", "field whyy not found"},
		{"an unknown state is refused", "state: rolled_back\n", "state: undone\n", `entries[1] (`},
		{"a newer version is refused", "version: 1", "version: 9", "version 9: this omen reads version 1"},
		{"a duplicate id is refused", "id: " + sampleLedger(t).Entries[1].ID, "id: " + sampleLedger(t).Entries[0].ID, "is used twice"},
		{"a value that is no scalar is refused", "to: 0.08", "to: [0.08]", "want a number, a string or null"},
		{"two documents are refused", "entries:", "---\nentries:", "want one YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := strings.Replace(string(good), tt.from, tt.to, 1)
			require.NotEqual(t, string(good), bad)
			_, err := ParseLedger([]byte(bad), "l.yaml")
			require.ErrorIs(t, err, ErrLedger)
			require.ErrorContains(t, err, tt.err)
			require.ErrorContains(t, err, "l.yaml")
		})
	}
	t.Run("an empty file is an empty ledger", func(t *testing.T) {
		l, err := ParseLedger([]byte("\n# nothing yet\n"), "l.yaml")
		require.NoError(t, err)
		require.Empty(t, l.Entries)
	})
}

func TestWriteLedgerIsAtomicAndKeepsTheMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, ".omen", "ledger.yaml")
	l := sampleLedger(t)
	require.NoError(t, WriteLedger(p, l))
	require.NoError(t, os.Chmod(p, 0o600))
	require.NoError(t, WriteLedger(p, &Ledger{}))
	fi, err := os.Stat(p)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	entries, err := os.ReadDir(filepath.Dir(p))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left")
	back, err := ReadLedger(p)
	require.NoError(t, err)
	require.Empty(t, back.Entries)

	missing, err := ReadLedger(filepath.Join(dir, "none.yaml"))
	require.NoError(t, err)
	require.Empty(t, missing.Entries)
}

// FuzzLedgerRoundTrip reads arbitrary bytes as a ledger; whatever reads
// must write, read back equal, and write the same bytes again.
func FuzzLedgerRoundTrip(f *testing.F) {
	good, err := sampleLedger(f).Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte("version: 1\nentries: []\n"))
	f.Add([]byte("entries:\n  - id: a\n    file: f\n    alert: A\n    state: applied\n    changes: [{field: threshold, from: 1e3, to: \"0x10\"}]\n"))
	f.Add([]byte("entries:\n  - {id: a, file: f, alert: A, state: verified, changes: [{field: for, to: 5m}], applied_at: 2026-01-01T00:00:00.5+02:00}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseLedger(data, "fuzz")
		if err != nil {
			return
		}
		b, err := l.Marshal()
		if err != nil {
			t.Fatalf("a ledger read does not write: %v", err)
		}
		back, err := ParseLedger(b, "fuzz")
		if err != nil {
			t.Fatalf("a ledger written does not read back: %v\n%s", err, b)
		}
		again, err := back.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != string(b) {
			t.Fatalf("writing is not stable:\n%s\n---\n%s", b, again)
		}
		if !reflect.DeepEqual(normalized(l), normalized(back)) {
			t.Fatalf("the ledger changed through a round trip:\n%s", b)
		}
		// Modify and write again: what omen does to a ledger it read.
		if len(back.Entries) > 0 {
			back.Entries[0].set(StateVerified, time.Unix(1, 0), "checked", "")
			if _, err := ParseLedger(mustMarshal(t, back), "fuzz"); err != nil {
				t.Fatalf("a modified ledger does not read back: %v", err)
			}
		}
	})
}

func mustMarshal(t *testing.T, l *Ledger) []byte {
	b, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// normalized drops what YAML cannot tell apart: empty and missing maps
// and lists, time zones of equal instants.
func normalized(l *Ledger) *Ledger {
	c := &Ledger{Version: l.Version}
	for _, e := range l.Entries {
		if len(e.Labels) == 0 {
			e.Labels = nil
		}
		if len(e.History) == 0 {
			e.History = nil
		}
		e.AppliedAt, e.VerifyAt = e.AppliedAt.UTC(), e.VerifyAt.UTC()
		for i := range e.History {
			e.History[i].At = e.History[i].At.UTC()
		}
		if len(e.Promise.Caught) == 0 {
			e.Promise.Caught = nil
		}
		if v := e.Verification; v != nil {
			cp := *v
			cp.At, cp.Start, cp.End = cp.At.UTC(), cp.Start.UTC(), cp.End.UTC()
			for _, s := range []*[]string{&cp.Incidents, &cp.Caught, &cp.Missed, &cp.OldCaught, &cp.Reasons} {
				if len(*s) == 0 {
					*s = nil
				}
			}
			e.Verification = &cp
		}
		c.Entries = append(c.Entries, e)
	}
	return c
}
