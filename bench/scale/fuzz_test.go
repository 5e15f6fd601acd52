package scale

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseReport(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		results int
		err     bool
	}{
		{name: "a report with results parses", in: `{"as_of":"2026-10-15T00:00:00Z","window":"14d","results":[{"labels":{"a":"b"},"target":"disk","pattern":"flat","risk":"ok","eta_seconds":null}]}`, results: 1},
		{name: "an empty result list is a report", in: `{"as_of":"2026-10-15T00:00:00Z","results":[]}`},
		{name: "a missing results field is not a report", in: `{"as_of":"2026-10-15T00:00:00Z"}`, err: true},
		{name: "a missing as_of is not a report", in: `{"results":[]}`, err: true},
		{name: "text is not a report", in: `risk target series`, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := ParseReport([]byte(tt.in))
			if tt.err {
				require.ErrorIs(t, err, ErrReport)
				return
			}
			require.NoError(t, err)
			require.Len(t, rep.Results, tt.results)
		})
	}
}

// FuzzParseReport checks that any input is either a report with as_of and
// results or ErrReport, and never panics.
func FuzzParseReport(f *testing.F) {
	f.Add([]byte(`{"as_of":"2026-10-15T00:00:00Z","window":"14d","results":[{"labels":{"a":"b"},"eta_seconds":{"p10":1,"p50":null,"p90":3}}]}`))
	f.Add([]byte(`{"as_of":"x","results":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := ParseReport(b)
		if err != nil {
			require.ErrorIs(t, err, ErrReport)
			return
		}
		require.NotEmpty(t, rep.AsOf)
		require.NotNil(t, rep.Results)
	})
}
