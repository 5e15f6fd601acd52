package seriesio

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/series"
)

func TestReadPromJSONUnderstandsQueryResponses(t *testing.T) {
	one := func(ls series.Labels, ts []int64, vs []float64) series.Series {
		return series.Series{Labels: ls, Timestamps: ts, Values: vs}
	}
	cases := []struct {
		name string
		in   string
		want []series.Series
	}{
		{"a matrix", `{"status":"success","data":{"resultType":"matrix","result":[
			{"metric":{"__name__":"up","job":"a"},"values":[[1700000000.123,"1.5"],[1700000015,"NaN"],[1700000030.5,"+Inf"]]},
			{"metric":{},"values":[[1,"-Inf"]]}]}}`,
			[]series.Series{
				one(nil, []int64{1000}, []float64{math.Inf(-1)}),
				one(series.New("__name__", "up", "job", "a"), []int64{1700000000123, 1700000015000, 1700000030500}, []float64{1.5, math.NaN(), math.Inf(1)}),
			}},
		{"a vector", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"1"},"value":[1700000000,"2"]}]}}`,
			[]series.Series{one(series.New("a", "1"), []int64{1700000000000}, []float64{2})}},
		{"keys in any order, warnings, stats and unknown fields ignored", `{"warnings":["partial"],"data":{"stats":{"x":[1,{"y":null}]},"result":[
			{"values":[[2,"2"],[1,"1"]],"extra":true,"metric":{"b":"x\u00e9\n"}}],"resultType":"matrix"},"status":"success","infos":[]}`,
			[]series.Series{one(series.New("b", "xé\n"), []int64{1000, 2000}, []float64{1, 2})}},
		{"timestamps with exponents and values as bare numbers", `{"status":"success","data":{"resultType":"matrix","result":[
			{"metric":{"a":"1"},"values":[[1.7e9,1.25],[17000000001e-1,"0x1p4"]]}]}}`,
			[]series.Series{one(series.New("a", "1"), []int64{1700000000000, 1700000000100}, []float64{1.25, 16})}},
		{"series without samples are left out", `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"1"},"values":[]}]}}`, nil},
		{"a byte order mark and white space", "\ufeff \n{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}\n", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ReadPromJSON(strings.NewReader(c.in), "q.json")
			require.NoError(t, err)
			requireSameSeries(t, c.want, got)
		})
	}
}

func TestReadPromJSONReturnsErrorResponsesAsErrors(t *testing.T) {
	_, err := ReadPromJSON(strings.NewReader(`{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\""}`), "q.json")
	require.ErrorIs(t, err, ErrErrorResponse)
	require.ErrorContains(t, err, "q.json")
	require.ErrorContains(t, err, "bad_data")
	require.ErrorContains(t, err, `invalid parameter "query"`)
}

func TestReadPromJSONErrorsNameTheFileThePlaceAndWhatWasExpected(t *testing.T) {
	head := `{"status":"success","data":{"resultType":"matrix","result":[` + "\n"
	cases := []struct {
		name, in string
		want     []string
	}{
		{"a syntax error", "{\"status\":\"success\",\n\"data\": {\"result\": [1,]}}",
			[]string{"q.json:2:", "invalid JSON", "expected a Prometheus API response"}},
		{"truncated input", head + `{"metric":{},"values":[[1,"1"]`,
			[]string{"q.json:2:", "unexpected end of JSON input"}},
		{"an empty file", "",
			[]string{"q.json:1:1:", "invalid JSON"}},
		{"not an object", `[1,2]`,
			[]string{"q.json:1:1:", "expected the response to be an object, found an array"}},
		{"no data", `{"status":"success"}`,
			[]string{"q.json:1:1:", "no data.result"}},
		{"an unknown status", `{"status":"maybe","data":{"result":[]}}`,
			[]string{"q.json:1:11:", `unknown status "maybe"`}},
		{"a scalar result", `{"status":"success","data":{"resultType":"scalar","result":[1700000000,"1"]}}`,
			[]string{"q.json:1:", `resultType "scalar" is not supported; expected matrix or vector`}},
		{"a label value that is not a string", head + `{"metric":{"a":1},"values":[]}]}}`,
			[]string{"q.json:2:16:", `data.result[0] label "a"`, "expected", "to be a string, found a number"}},
		{"a sample that is not a pair", head + `{"metric":{"a":"1"},"values":[[1,"1"],{"t":2}]}]}}`,
			[]string{"q.json:2:39:", `data.result[0] {a="1"}: sample 1: expected [timestamp, "value"], found an object`}},
		{"a timestamp as a string", head + `{"metric":{"a":"1"},"values":[["1","1"]]}]}}`,
			[]string{"q.json:2:", "sample 0: expected the timestamp as a number of Unix seconds, found a string"}},
		{"a pair without a value", head + `{"metric":{"a":"1"},"values":[[1]]}]}}`,
			[]string{"q.json:2:", "sample 0: expected [timestamp, \"value\"] with a value after the timestamp"}},
		{"a triple", head + `{"metric":{"a":"1"},"values":[[1,"1",2]]}]}}`,
			[]string{"q.json:2:", "sample 0: expected [timestamp, \"value\"] with nothing after the value"}},
		{"a bad value", "\n\n" + head + `{"metric":{"a":"1"},"values":[[1,"1"],[2,"x"]]}]}}`,
			[]string{"q.json:4:", `{a="1"}: sample 1: cannot parse value "x"`, "expected a number, NaN, +Inf or -Inf"}},
		{"a value of the wrong type", head + `{"metric":{"a":"1"},"values":[[1,null]]}]}}`,
			[]string{"q.json:2:", `sample 0: expected the value as a string such as "1.5", found null`}},
		{"a timestamp out of range", head + `{"metric":{"a":"1"},"values":[[1e300,"1"]]}]}}`,
			[]string{"q.json:2:", "sample 0: timestamp 1e300 is out of range"}},
		{"the same series twice", head + `{"metric":{"a":"1"},"values":[[1,"1"]]},` + "\n" + `{"metric":{"a":"1"},"values":[[2,"1"]]}]}}`,
			[]string{"q.json:3:1:", `data.result[1] has the same labels {a="1"} as data.result[0]`}},
		{"a native histogram", head + `{"metric":{"a":"1"},"histograms":[[1,{"count":"1"}]]}]}}`,
			[]string{"q.json:2:", "native histograms are not supported"}},
		{"an empty label name", head + `{"metric":{"":"1"},"values":[]}]}}`,
			[]string{"q.json:2:", "empty label name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadPromJSON(strings.NewReader(c.in), "q.json")
			require.Error(t, err)
			require.True(t, errors.Is(err, ErrSyntax), "%v does not wrap ErrSyntax", err)
			for _, w := range c.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}
