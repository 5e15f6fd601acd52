package prom

import (
	"slices"
	"sort"
	"strings"

	"github.com/prometheus/common/model"

	"github.com/omenhq/omen/series"
)

// convertMatrix appends the series of m to dst (nil allocates), keeping
// only samples with lo ≤ t ≤ hi (Unix ms) so that windows never overlap
// even if a server widens a window. Label sets are sorted with empty values
// dropped; timestamps stay in milliseconds and values are copied bit for
// bit, so NaN and ±Inf are preserved. Series left without samples are
// skipped. It also returns the number of native histogram samples seen,
// which series.Series cannot hold and which are dropped.
func convertMatrix(dst []series.Series, m model.Matrix, lo, hi int64) ([]series.Series, int) {
	hist := 0
	for _, ss := range m {
		hist += len(ss.Histograms)
		vs := ss.Values
		i := sort.Search(len(vs), func(k int) bool { return int64(vs[k].Timestamp) >= lo })
		j := sort.Search(len(vs), func(k int) bool { return int64(vs[k].Timestamp) > hi })
		if i >= j {
			continue
		}
		vs = vs[i:j]
		s := series.Series{
			Labels:     convertLabels(ss.Metric),
			Timestamps: make([]int64, len(vs)),
			Values:     make([]float64, len(vs)),
		}
		for k, p := range vs {
			s.Timestamps[k] = int64(p.Timestamp)
			s.Values[k] = float64(p.Value)
		}
		dst = append(dst, s)
	}
	return dst, hist
}

// convertLabels returns ls as a sorted series.Labels without empty values,
// the same set series.FromMap would build.
func convertLabels(ls model.Metric) series.Labels {
	out := make(series.Labels, 0, len(ls))
	for k, v := range ls {
		if v != "" {
			out = append(out, series.Label{Name: string(k), Value: string(v)})
		}
	}
	slices.SortFunc(out, func(a, b series.Label) int { return strings.Compare(a.Name, b.Name) })
	return out
}
