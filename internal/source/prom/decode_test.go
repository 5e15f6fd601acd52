package prom

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/series"
)

// matrixBody wraps result entries in a success envelope.
func matrixBody(entries ...string) string {
	return `{"status":"success","data":{"resultType":"matrix","result":[` + strings.Join(entries, ",") + `]}}`
}

// decodeAll decodes body with a buffer of size bufSize (0: the default).
func decodeWith(body []byte, lo, hi int64, bufSize int, r func(io.Reader) io.Reader) (*rangeBody, error) {
	var in io.Reader = bytes.NewReader(body)
	if r != nil {
		in = r(in)
	}
	if bufSize == 0 {
		return decodeQueryRange(in, lo, hi)
	}
	return newDecoder(in, lo, hi, bufSize).decode()
}

func TestDecodeQueryRange(t *testing.T) {
	const all = math.MaxInt64
	nan := math.NaN()
	tests := []struct {
		name     string
		body     string
		lo, hi   int64
		want     []series.Series
		hist     int
		warnings []string
		err      string
	}{
		{"a plain matrix", matrixBody(`{"metric":{"__name__":"m","job":"a"},"values":[[1704067200,"1"],[1704067260,"2.5"]]}`), 0, all,
			[]series.Series{{Labels: series.New("__name__", "m", "job", "a"), Timestamps: []int64{1704067200000, 1704067260000}, Values: []float64{1, 2.5}}}, 0, nil, ""},
		{"NaN, +Inf, -Inf and exponents", matrixBody(`{"metric":{},"values":[[1,"NaN"],[2,"+Inf"],[3,"-Inf"],[4,"1e308"],[5,"-4.9e-324"]]}`), 0, all,
			[]series.Series{{Labels: series.Labels{}, Timestamps: []int64{1000, 2000, 3000, 4000, 5000}, Values: []float64{nan, math.Inf(1), math.Inf(-1), 1e308, -5e-324}}}, 0, nil, ""},
		{"times with fractions keep milliseconds and drop the rest, as client_golang does",
			matrixBody(`{"metric":{},"values":[[1.5,"1"],[1.25,"1"],[1.1239,"1"],[2,"1"],[-0.5,"1"]]}`), math.MinInt64, all, nil, 0, nil,
			"sample 1 at 1250 ms is not after the one before at 1500 ms"},
		{"times with fractions, in order", matrixBody(`{"metric":{},"values":[[-1.5,"1"],[-0.5,"2"],[1.1239,"3"],[1.5,"4"],[2.0,"5"],[3e0,"6"]]}`), math.MinInt64, all,
			[]series.Series{{Labels: series.Labels{}, Timestamps: []int64{-1500, -500, 1123, 1500, 2000, 3000}, Values: []float64{1, 2, 3, 4, 5, 6}}}, 0, nil, ""},
		{"labels are sorted, empty values dropped, a later duplicate wins", matrixBody(`{"metric":{"z":"1","a":"x","e":"","a":"y","b":"2","b":""},"values":[[1,"1"]]}`), 0, all,
			[]series.Series{{Labels: series.New("a", "y", "z", "1"), Timestamps: []int64{1000}, Values: []float64{1}}}, 0, nil, ""},
		{"escapes, unicode and invalid UTF-8 are decoded as encoding/json does",
			matrixBody(`{"metric":{"q":"a\"b\\c\/d\n\t\u00e9\ud83d\ude00","lone":"\ud800x\udc00","bad":"` + "\xff\xfe" + `","é":"ü"},"values":[[1,"1"]]}`), 0, all,
			[]series.Series{{Labels: series.New("bad", "\ufffd\ufffd", "lone", "\ufffdx\ufffd", "q", "a\"b\\c/d\n\té😀", "é", "ü"), Timestamps: []int64{1000}, Values: []float64{1}}}, 0, nil, ""},
		{"samples outside [lo, hi] are dropped and empty series skipped",
			matrixBody(`{"metric":{"i":"a"},"values":[[1,"1"],[2,"2"],[3,"3"]]}`, `{"metric":{"i":"b"},"values":[[9,"9"]]}`, `{"metric":{"i":"c"},"values":[]}`), 2000, 3000,
			[]series.Series{{Labels: series.New("i", "a"), Timestamps: []int64{2000, 3000}, Values: []float64{2, 3}}}, 0, nil, ""},
		{"native histograms are counted in [lo, hi], float samples kept",
			matrixBody(`{"metric":{"__name__":"h"},"histograms":[[1,{"count":"1","sum":"2","buckets":[[0,"0","1","1"]]}],[2,{"count":"1"}],[9,{}]]}`,
				`{"metric":{"__name__":"mixed"},"values":[[1,"1"]],"histograms":[[2,{"count":"3"}]]}`), 0, 5000,
			[]series.Series{{Labels: series.New("__name__", "mixed"), Timestamps: []int64{1000}, Values: []float64{1}}}, 3, nil, ""},
		{"fields in any order, unknown fields and stats skipped, warnings and infos kept",
			`{"infos":["i1"],"data":{"stats":{"timings":{"a":1.5,"b":[true,false,null]}},"result":[{"values":[[1,"1"]],"extra":{},"metric":{"a":"1"}}],"resultType":"matrix"},"warnings":["w1","w2"],"status":"success","isPartial":false}`,
			0, all, []series.Series{{Labels: series.New("a", "1"), Timestamps: []int64{1000}, Values: []float64{1}}}, 0, []string{"w1", "w2", "info: i1"}, ""},
		{"null result, warnings and infos", `{"status":"success","data":{"resultType":"matrix","result":null},"warnings":null,"infos":null}`, 0, all, nil, 0, nil, ""},
		{"white space anywhere", " \n{ \"status\" : \"success\" , \"data\" : { \"resultType\" : \"matrix\" , \"result\" : [ { \"metric\" : { \"a\" : \"1\" } , \"values\" : [ [ 1 , \"1\" ] ] } ] } }\r\n\t",
			0, all, []series.Series{{Labels: series.New("a", "1"), Timestamps: []int64{1000}, Values: []float64{1}}}, 0, nil, ""},
		{"a body that is not JSON", `<html>Grafana</html>`, 0, all, nil, 0, nil, "expected a JSON object, found '<' at byte 0"},
		{"an empty body", ``, 0, all, nil, 0, nil, "unexpected end of JSON input at byte 0"},
		{"a body cut short", matrixBody(`{"metric":{},"values":[[1,"1"]]}`)[:60], 0, all, nil, 0, nil, "unexpected end of JSON input at byte 60"},
		{"data after the object", matrixBody() + `{}`, 0, all, nil, 0, nil, "unexpected an object after the response object"},
		{"a value that is not a string", matrixBody(`{"metric":{},"values":[[1,1]]}`), 0, all, nil, 0, nil, "expected a sample value as a string, found a number"},
		{"a value that is not a number", matrixBody(`{"metric":{},"values":[[1,"one"]]}`), 0, all, nil, 0, nil, `sample value "one" is not a number`},
		{"a time that is not a JSON number", matrixBody(`{"metric":{},"values":[[01,"1"]]}`), 0, all, nil, 0, nil, `invalid number "01"`},
		{"a time too large", matrixBody(`{"metric":{},"values":[[9223372036854776,"1"]]}`), 0, all, nil, 0, nil, `sample time 9223372036854776 is out of range`},
		{"a label value that is not a string", matrixBody(`{"metric":{"a":1},"values":[[1,"1"]]}`), 0, all, nil, 0, nil, `expected the value of label "a" as a string, found a number`},
		{"a control character in a string", matrixBody(`{"metric":{"a":"x` + "\n" + `"},"values":[[1,"1"]]}`), 0, all, nil, 0, nil, `invalid control character 0x0a in a string`},
		{"a bad escape", matrixBody(`{"metric":{"a":"\x"},"values":[[1,"1"]]}`), 0, all, nil, 0, nil, `invalid escape \x in a string`},
		{"no data", `{"status":"success"}`, 0, all, nil, 0, nil, "the response has no data"},
		{"no result type", `{"status":"success","data":{"result":[]}}`, 0, all, nil, 0, nil, `unexpected value type ""`},
		{"an unknown result type", `{"status":"success","data":{"resultType":"table","result":[]}}`, 0, all, nil, 0, nil, `unexpected value type "table"`},
		{"a matrix whose result is not a list of series", `{"status":"success","data":{"resultType":"matrix","result":[[1,"1"]]}}`, 0, all, nil, 0, nil, "the result of a matrix is not a list of series"},
		{"values nested too deep", `{"status":"success","data":{"resultType":"matrix","result":[],"x":` + strings.Repeat("[", 10002) + strings.Repeat("]", 10002) + `}}`, 0, all, nil, 0, nil, "exceeded max depth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, size := range []int{0, 1, 2, 3, 7, 64} {
				b, err := decodeWith([]byte(tt.body), tt.lo, tt.hi, size, nil)
				if tt.err != "" {
					require.ErrorContains(t, err, tt.err, "buffer %d", size)
					var se *syntaxError
					require.ErrorAs(t, err, &se, "a complete body that does not decode is a syntax error")
					continue
				}
				require.NoError(t, err, "buffer %d", size)
				requireSameSeries(t, tt.want, b.series)
				require.Equal(t, tt.hist, b.histograms)
				require.Equal(t, tt.warnings, warnings(b.warnings, b.infos))
			}
		})
	}
}

func TestDecodeQueryRangeOtherResultsAndErrors(t *testing.T) {
	for _, rt := range []string{"vector", "scalar", "string"} {
		t.Run("a "+rt+" is decoded as what it is, for the caller to refuse", func(t *testing.T) {
			results := map[string]string{"vector": `[{"metric":{},"value":[1,"1"]}]`, "scalar": `[1,"1"]`, "string": `[1,"s"]`}
			for _, body := range []string{
				`{"status":"success","data":{"resultType":"` + rt + `","result":` + results[rt] + `}}`,
				`{"status":"success","data":{"result":` + results[rt] + `,"resultType":"` + rt + `"}}`,
			} {
				b, err := decodeQueryRange(strings.NewReader(body), 0, math.MaxInt64)
				require.NoError(t, err)
				require.Equal(t, rt, b.resultType)
				require.Empty(t, b.series)
			}
		})
	}
	t.Run("an error envelope keeps its type, message and warnings", func(t *testing.T) {
		b, err := decodeQueryRange(strings.NewReader(`{"status":"error","errorType":"bad_data","error":"invalid expression type","warnings":["w"]}`), 0, 1)
		require.NoError(t, err)
		require.Equal(t, "error", b.status)
		require.Equal(t, "bad_data", b.errorType)
		require.Equal(t, "invalid expression type", b.errMsg)
	})
	t.Run("a read error is returned as it is, not as a syntax error", func(t *testing.T) {
		body := matrixBody(`{"metric":{},"values":[[1,"1"]]}`)
		for _, cut := range []int{0, 10, 40, len(body) - 1, len(body)} {
			r := io.MultiReader(strings.NewReader(body[:cut]), iotest.ErrReader(io.ErrUnexpectedEOF))
			_, err := decodeQueryRange(r, 0, math.MaxInt64)
			require.ErrorIs(t, err, io.ErrUnexpectedEOF, "cut at %d", cut)
			var se *syntaxError
			require.False(t, errors.As(err, &se))
		}
	})
}

// requireSameSeries compares series, values bit for bit (NaN included).
func requireSameSeries(t testing.TB, want, got []series.Series) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i].Labels, got[i].Labels, "series %d", i)
		require.Equal(t, want[i].Timestamps, got[i].Timestamps, "series %d", i)
		require.Len(t, got[i].Values, len(want[i].Values))
		for k := range want[i].Values {
			require.Equal(t, math.Float64bits(want[i].Values[k]), math.Float64bits(got[i].Values[k]), "series %d value %d: want %v, got %v", i, k, want[i].Values[k], got[i].Values[k])
		}
	}
}

// fuzzSeeds are bodies for FuzzDecodeQueryRange besides testdata/fuzz and
// the captured bodies.
var fuzzSeeds = []string{
	matrixBody(`{"metric":{"__name__":"m","job":"a"},"values":[[1704067200,"1"],[1704067260.5,"NaN"]]}`),
	matrixBody(`{"metric":{"q":"\u00e9\ud83d\ude00\\\"","e":""},"values":[[1,"+Inf"],[2,"-Inf"]],"histograms":[[3,{"count":"1"}]]}`),
	`{"status":"error","errorType":"bad_data","error":"x"}`,
	`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1"]}]},"warnings":["w"],"infos":["i"]}`,
	`{"data":{"result":[],"resultType":"matrix"},"status":"success"}`,
}

// FuzzDecodeQueryRange checks that the decoder never panics, that the
// buffer size and how the body arrives never change the outcome, and that
// whatever it accepts client_golang decodes to the same series.
func FuzzDecodeQueryRange(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	for _, b := range capturedBodies(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		const lo, hi = math.MinInt64, math.MaxInt64
		want, err := decodeQueryRange(bytes.NewReader(body), lo, hi)
		for _, size := range []int{1, 33} {
			got, err2 := decodeWith(body, lo, hi, size, iotest.HalfReader)
			if err != nil {
				require.Error(t, err2)
				require.Equal(t, err.Error(), err2.Error(), "buffer %d", size)
				continue
			}
			require.NoError(t, err2, "buffer %d", size)
			requireSameSeries(t, want.series, got.series)
			require.Equal(t, want.histograms, got.histograms)
			require.Equal(t, want.warnings, got.warnings)
		}
		if err != nil || want.status == "error" {
			return
		}
		for _, s := range want.series {
			require.NoError(t, s.Validate())
		}
		o, oerr := oracleDecode(body, lo, hi)
		if oerr != nil {
			// The decoder is more lenient on a few points only: times
			// with an exponent, and label names client_golang refuses.
			if bytes.ContainsAny(body, "eE") || strings.Contains(oerr.Error(), "not a valid label name") {
				return
			}
			t.Fatalf("the decoder accepts what client_golang refuses (%v)", oerr)
		}
		require.Equal(t, o.resultType, want.resultType)
		requireSameSeries(t, o.series, want.series)
		require.Equal(t, o.histograms, want.histograms)
		require.Equal(t, o.warnings, warnings(want.warnings, want.infos))
	})
}

// bigBody is a matrix of n series of points samples each, as
// VictoriaMetrics formats it.
func bigBody(n, points int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"status":"success","isPartial":false,"data":{"resultType":"matrix","result":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"metric":{"__name__":"node_filesystem_avail_bytes","device":"/dev/sd%c","fstype":"ext4","instance":"node-%05d:9100","job":"node","mountpoint":"/data%d"},"values":[`, 'a'+i%5, i/5, i%5)
		for k := range points {
			if k > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `[%d,"%g"]`, 1704067200+15*k, 1e11-float64(i*points+k)*4096.5)
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`]},"stats":{"seriesFetched": "1","executionTimeMsec":1}}`)
	return b.Bytes()
}

// BenchmarkDecodeQueryRange decodes a 1 h, 15 s body of 1,000 filesystem
// series (241 samples each) as the server sends it, and the same with
// client_golang and the conversion it needed before (the oracle).
func BenchmarkDecodeQueryRange(b *testing.B) {
	body := bigBody(1000, 241)
	b.Run("decoder", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			res, err := decodeQueryRange(bytes.NewReader(body), 0, math.MaxInt64)
			if err != nil || len(res.series) != 1000 {
				b.Fatal(err)
			}
		}
	})
	b.Run("client_golang", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			o, err := oracleDecode(body, 0, math.MaxInt64)
			if err != nil || len(o.series) != 1000 {
				b.Fatal(err)
			}
		}
	})
}
