package pir

import (
	"math"
	"slices"

	"github.com/omenhq/omen/series"
)

// Exclude returns s with the samples inside the windows of the incidents
// that apply to it set to NaN (missing), and how many samples that masked:
// what `--exclude` does before a model is fitted, so that an incident's
// spike or a maintenance window does not poison it. An incident applies to
// a series when its labels agree with the series' labels, as for matching
// alerts (see LabelsAgree: one without labels applies to every series); its
// window is [StartedAt, End()], both ends included (an incident without an
// end lasts DefaultDuration). s itself is not modified; when nothing is
// masked it is returned as it is.
func Exclude(s series.Series, incidents []Incident) (series.Series, int) {
	masked := 0
	var values []float64
	for i := range incidents {
		in := &incidents[i]
		if !LabelsAgree(in.Labels, s.Labels) {
			continue
		}
		lo, _ := slices.BinarySearch(s.Timestamps, in.StartedAt.UnixMilli())
		hi, found := slices.BinarySearch(s.Timestamps, in.End().UnixMilli())
		if found {
			hi++
		}
		for k := lo; k < hi; k++ {
			if values == nil {
				values = slices.Clone(s.Values)
			}
			if !math.IsNaN(values[k]) {
				values[k] = math.NaN()
				masked++
			}
		}
	}
	if values == nil {
		return s, 0
	}
	return series.Series{Labels: s.Labels, Timestamps: s.Timestamps, Values: values}, masked
}
