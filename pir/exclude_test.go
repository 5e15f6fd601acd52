package pir

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/series"
)

func TestExcludeMasksTheWindowsThatApply(t *testing.T) {
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	s := series.Series{Labels: series.New("__name__", "m", "service", "checkout")}
	for i := range 10 {
		s.Timestamps = append(s.Timestamps, t0.Add(time.Duration(i)*time.Hour).UnixMilli())
		s.Values = append(s.Values, float64(i))
	}
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	nan := func(got series.Series) []int {
		var out []int
		for i, v := range got.Values {
			if math.IsNaN(v) {
				out = append(out, i)
			}
		}
		return out
	}
	tests := []struct {
		name      string
		incidents []Incident
		want      []int
	}{
		{"a window masks both its ends", []Incident{{StartedAt: at(2), ResolvedAt: at(4)}}, []int{2, 3, 4}},
		{"an incident without an end lasts an hour", []Incident{{StartedAt: at(7)}}, []int{7, 8}},
		{"labels that agree apply", []Incident{{StartedAt: at(1), ResolvedAt: at(1), Labels: map[string]string{"service": "checkout"}}}, []int{1}},
		{"labels that differ do not", []Incident{{StartedAt: at(1), ResolvedAt: at(5), Labels: map[string]string{"service": "cart"}}}, nil},
		{"labels with no name in common do not", []Incident{{StartedAt: at(1), ResolvedAt: at(5), Labels: map[string]string{"team": "sre"}}}, nil},
		{"overlapping windows count a sample once", []Incident{{StartedAt: at(2), ResolvedAt: at(4)}, {StartedAt: at(3), ResolvedAt: at(5)}}, []int{2, 3, 4, 5}},
		{"a window outside the series masks nothing", []Incident{{StartedAt: at(20), ResolvedAt: at(22)}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n := Exclude(s, tt.incidents)
			require.Equal(t, tt.want, nan(got))
			require.Equal(t, len(tt.want), n)
			require.Empty(t, nan(s), "the input is not modified")
		})
	}
}
