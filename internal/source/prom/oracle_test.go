package prom

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/omenhq/omen/series"
)

// The oracle is how this package decoded query_range bodies before
// decodeQueryRange: client_golang's v1 API over the body in memory, then
// convertMatrix. The decoder is checked against it.

// memClient is an api.Client answering every request with one body.
type memClient struct{ body []byte }

func (m memClient) URL(ep string, _ map[string]string) *url.URL { return &url.URL{Path: ep} }

func (m memClient) Do(context.Context, *http.Request) (*http.Response, []byte, error) {
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}}, m.body, nil
}

// oracleBody is what the oracle decodes from a body.
type oracleBody struct {
	resultType string
	series     []series.Series
	histograms int
	warnings   []string
}

// oracleDecode decodes body with client_golang, or returns its error.
func oracleDecode(body []byte, lo, hi int64) (o oracleBody, err error) {
	defer func() {
		// client_golang returns a nil value for a success without data.
		if r := recover(); r != nil {
			err = errNoValue
		}
	}()
	api := v1.NewAPI(memClient{body})
	val, warns, infos, err := api.QueryRange(context.Background(), "q", v1.Range{Start: time.Unix(0, 0), End: time.Unix(1, 0), Step: time.Second})
	if err != nil {
		return o, err
	}
	o.resultType = val.Type().String()
	if m, ok := val.(model.Matrix); ok {
		o.series, o.histograms = convertMatrix(nil, m, lo, hi)
	}
	o.warnings = warnings(warns, infos)
	return o, nil
}

type oracleError string

func (e oracleError) Error() string { return string(e) }

const errNoValue = oracleError("no value")

// convertMatrix appends the series of m to dst (nil allocates), keeping
// only samples with lo ≤ t ≤ hi (Unix ms), label sets sorted with empty
// values dropped; series left without samples are skipped. It also
// returns the number of native histogram samples in [lo, hi].
func convertMatrix(dst []series.Series, m model.Matrix, lo, hi int64) ([]series.Series, int) {
	hist := 0
	for _, ss := range m {
		for _, h := range ss.Histograms {
			if t := int64(h.Timestamp); t >= lo && t <= hi {
				hist++
			}
		}
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
