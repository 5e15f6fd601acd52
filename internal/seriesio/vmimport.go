package seriesio

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/omenhq/omen/series"
)

// ErrNotFinite is returned for a sample that VictoriaMetrics' JSON import
// cannot carry: NaN or ±Inf (JSON has no such numbers).
var ErrNotFinite = errors.New("seriesio: sample value is not finite")

// AppendVMImport appends s to dst as one line of VictoriaMetrics' JSON
// import format, newline included:
//
//	{"metric":{"__name__":"m","a":"b"},"values":[1,2.5],"timestamps":[1000,2000]}
//
// Values are written in the shortest form that reads back to the same
// float64. A NaN or ±Inf value is ErrNotFinite, naming the series and
// sample; so is a series whose timestamps and values differ in length.
func AppendVMImport(dst []byte, s series.Series) ([]byte, error) {
	if len(s.Timestamps) != len(s.Values) {
		return dst, fmt.Errorf("series %s: %d timestamps but %d values", s.Labels, len(s.Timestamps), len(s.Values))
	}
	dst = append(dst, `{"metric":{`...)
	for i, l := range s.Labels {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, l.Name)
		dst = append(dst, ':')
		dst = appendJSONString(dst, l.Value)
	}
	dst = append(dst, `},"values":[`...)
	for i, v := range s.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return dst, fmt.Errorf("%w: series %s, sample %d (t=%d) is %v", ErrNotFinite, s.Labels, i, s.Timestamps[i], v)
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendFloat(dst, v, 'g', -1, 64)
	}
	dst = append(dst, `],"timestamps":[`...)
	for i, t := range s.Timestamps {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendInt(dst, t, 10)
	}
	return append(dst, "]}\n"...), nil
}
