package m4

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/forecast"
	"github.com/omenhq/omen/stats"
)

func TestReadParsesTheWideFormat(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Series
		err  string
	}{
		{"quoted with padding", "\"V1\",\"V2\",\"V3\",\"V4\"\n\"H1\",\"1\",\"2.5\",\"\"\n\"H2\",\"3\",\"\",\"\"\n",
			[]Series{{"H1", []float64{1, 2.5}}, {"H2", []float64{3}}}, ""},
		{"unquoted forecast file", "id,F1,F2\nH1,1e3,-2\n", []Series{{"H1", []float64{1000, -2}}}, ""},
		{"a gap inside a row is missing", "V1,V2,V3,V4\nS1,1,,3\n", []Series{{"S1", []float64{1, math.NaN(), 3}}}, ""},
		{"NA is missing", "V1,V2,V3\nS1,NA,3\n", []Series{{"S1", []float64{math.NaN(), 3}}}, ""},
		{"empty file", "", nil, "empty file"},
		{"header only", "V1,V2\n", nil, ""},
		{"not a number", "V1,V2\nH1,abc\n", nil, `x.csv:2: m4: malformed file: series "H1" column 2: "abc" is not a finite number`},
		{"infinity", "V1,V2\nH1,Inf\n", nil, "not a finite number"},
		{"duplicate id", "V1,V2\nH1,1\nH1,2\n", nil, `series "H1" already defined on line 2`},
		{"empty id", "V1,V2\n,1\n", nil, "empty series id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Read(strings.NewReader(tc.in), "x.csv")
			if tc.err != "" {
				require.ErrorIs(t, err, ErrFormat)
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, len(tc.want), len(got))
			for i := range got {
				require.Equal(t, tc.want[i].ID, got[i].ID)
				require.Equal(t, len(tc.want[i].Values), len(got[i].Values))
				for j, v := range tc.want[i].Values {
					if math.IsNaN(v) {
						require.True(t, math.IsNaN(got[i].Values[j]))
					} else {
						require.Equal(t, v, got[i].Values[j])
					}
				}
			}
		})
	}
}

func TestWriteForecastsWritesTheSubmissionFormat(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteForecasts(&b, []Series{{"H1", []float64{1.5, 2}}, {"H,2", []float64{0.1, 1e21}}}))
	require.Equal(t, "id,F1,F2\nH1,1.5,2\n\"H,2\",0.1,1000000000000000000000\n", b.String())
}

func FuzzRead(f *testing.F) {
	f.Add([]byte("\"V1\",\"V2\"\n\"H1\",\"1\"\n"))
	f.Add([]byte("id,F1\nH1,NaN\n"))
	f.Add([]byte("V1\n\"unterminated\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Read(bytes.NewReader(data), "fuzz")
		if err != nil {
			require.ErrorIs(t, err, ErrFormat)
			return
		}
		for _, r := range s {
			require.NotEmpty(t, r.ID)
		}
	})
}

func FuzzWriteReadRoundTrip(f *testing.F) {
	f.Add("H1", 1.5, -2.25, 3)
	f.Add("a,\"b\"", 1e-300, 1e300, 1)
	f.Fuzz(func(t *testing.T, id string, a, b float64, n int) {
		id = strings.TrimSpace(id)
		if id == "" || strings.ContainsAny(id, "\r") || !finite(a) || !finite(b) {
			return
		}
		n = n%5 + 1
		if n < 1 {
			n += 5
		}
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = a + float64(i)*b
			if !finite(vals[i]) {
				return
			}
		}
		var buf bytes.Buffer
		require.NoError(t, WriteForecasts(&buf, []Series{{id, vals}}))
		got, err := Read(&buf, "round trip")
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, id, got[0].ID)
		require.Equal(t, vals, got[0].Values)
	})
}

func TestSESMatchesTheOfficialM4Benchmark(t *testing.T) {
	// M4's SES benchmark: SES on the series deseasonalised as for Naive2,
	// reseasonalised. forecast.SES initialises the level heuristically where
	// R optimises it, so forecasts agree to 1% (mean 0.01%), not exactly.
	train := readShared(t, "Hourly-train.csv")
	official := readShared(t, "benchmark-forecasts/submission-SES-hourly-H1-H200.csv")
	worst, mean := 0.0, 0.0
	for i, s := range train {
		x := s.Values
		var idx []float64
		if stats.SeasonalityTest(x, 24) {
			idx = stats.ClassicalSeasonal(nil, x, 24, true)
			x = make([]float64, len(s.Values))
			for t, v := range s.Values {
				x[t] = v / idx[t%24]
			}
		}
		fc, err := forecast.Predict(forecast.SES{}, x, forecast.FitConfig{}, 48, 0.8)
		require.NoError(t, err)
		for j, want := range official[i].Values {
			got := fc.Mean[j]
			if idx != nil {
				got *= idx[(len(x)+j)%24]
			}
			r := math.Abs(got-want) / want
			worst = math.Max(worst, r)
			mean += r / float64(len(train)*48)
		}
	}
	require.Less(t, worst, 0.01)
	require.Less(t, mean, 0.001)
}

func TestRunScoresSeasonalNaiveAsTheOrganisersDid(t *testing.T) {
	dir := dataDir(t)
	train := filepath.Join(dir, "Hourly-train.csv")
	var out bytes.Buffer
	rep, err := Run(context.Background(), Options{TrainPath: train, TestPath: filepath.Join(dir, "Hourly-test.csv"),
		Model: "snaive", Workers: 2, ForecastsOut: &out})
	require.NoError(t, err)
	require.Equal(t, 200, rep.Series)
	require.InDelta(t, 11.906, rep.SMAPE, 0.0005)
	require.InDelta(t, 1.023, rep.MASE, 0.0005)
	require.InDelta(t, 19.460, rep.Naive2SMAPE, 0.0005)
	require.InDelta(t, 1.842, rep.Naive2MASE, 0.0005)
	require.InDelta(t, 0.584, rep.OWA, 0.0005)
	require.Equal(t, map[string]int{"snaive": 200}, rep.Choices)
	// the written forecasts are the official sNaive ones
	got, err := Read(&out, "forecasts")
	require.NoError(t, err)
	official := readShared(t, "benchmark-forecasts/submission-sNaive-hourly-H1-H200.csv")
	for i := range got {
		require.Equal(t, official[i].ID, got[i].ID)
		require.InDeltaSlice(t, official[i].Values, got[i].Values, 1e-9)
	}
}

func TestRunDoesNotDependOnTheWorkerCount(t *testing.T) {
	dir := dataDir(t)
	train := filepath.Join(dir, "Hourly-train.csv")
	var reps []*Report
	for _, w := range []int{1, 2} {
		rep, err := Run(context.Background(), Options{TrainPath: train, TestPath: filepath.Join(dir, "Hourly-test.csv"), Model: "auto", Workers: w, Limit: 6})
		require.NoError(t, err)
		reps = append(reps, rep)
	}
	require.Equal(t, reps[0].SMAPE, reps[1].SMAPE)
	require.Equal(t, reps[0].Coverage, reps[1].Coverage)
}

func TestRunNamesTheOffendingSeriesAndFile(t *testing.T) {
	dir := t.TempDir()
	train := filepath.Join(dir, "train.csv")
	test := filepath.Join(dir, "test.csv")
	row := "V1" + strings.Repeat(",V", 60) + "\nH1"
	for i := range 60 {
		row += "," + []string{"1", "2", "3"}[i%3]
	}
	require.NoError(t, os.WriteFile(train, []byte(row+"\n"), 0o600))
	require.NoError(t, os.WriteFile(test, []byte("V1,V2\nH9,1\n"), 0o600))
	_, err := Run(context.Background(), Options{TrainPath: train, TestPath: test, Model: "snaive", Period: 3, Horizon: 1})
	require.ErrorIs(t, err, ErrMismatch)
	require.ErrorContains(t, err, `series "H1"`)
	require.NoError(t, os.WriteFile(test, []byte("V1,V2\nH1,1\n"), 0o600))
	_, err = Run(context.Background(), Options{TrainPath: train, TestPath: test, Model: "snaive", Period: 3, Horizon: 2})
	require.ErrorContains(t, err, "expected at least the horizon 2")
	_, err = Run(context.Background(), Options{TrainPath: train, TestPath: test, Model: "nope", Period: 3, Horizon: 1})
	require.ErrorIs(t, err, forecast.ErrUnknownModel)
	_, err = Run(context.Background(), Options{TrainPath: train, TestPath: test, Model: "snaive", Period: 3, Horizon: 1})
	require.ErrorContains(t, err, "MASE scale at period 3 is 0")
}
