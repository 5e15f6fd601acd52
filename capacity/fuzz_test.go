package capacity_test

import (
	"encoding/binary"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/capacity"
	"github.com/omenhq/omen/series"
)

// FuzzPredict feeds arbitrary samples (timestamp gaps and values from the
// fuzzer's bytes) to Predict: it must not panic, must return a prediction
// with a pattern and a reason, and its quantiles must be ordered.
func FuzzPredict(f *testing.F) {
	seed := func(vals ...float64) []byte {
		var b []byte
		for i, v := range vals {
			b = binary.LittleEndian.AppendUint16(b, uint16(300+i%7))
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
		return b
	}
	ramp := make([]float64, 400)
	for i := range ramp {
		ramp[i] = float64(i)
	}
	f.Add(seed(ramp...), 500.0, false)
	f.Add(seed(1, 2, 3), 10.0, true)
	f.Add(seed(math.NaN(), math.Inf(1), -1e308, 1e308, 0, 5), 1.0, false)
	f.Add([]byte{}, 0.0, true)
	f.Fuzz(func(t *testing.T, data []byte, limit float64, down bool) {
		s := series.Series{Labels: series.New(series.MetricName, "x")}
		ts := int64(1_700_000_000_000)
		for len(data) >= 10 {
			gap := int64(binary.LittleEndian.Uint16(data)) + 1
			v := math.Float64frombits(binary.LittleEndian.Uint64(data[2:]))
			data = data[10:]
			ts += gap * 1000
			s.Timestamps = append(s.Timestamps, ts)
			s.Values = append(s.Values, v)
		}
		dir := series.Up
		if down {
			dir = series.Down
		}
		start := time.Now()
		p, err := capacity.Predict(capacity.Target{Usage: s, LimitValue: limit, Direction: dir}, time.UnixMilli(ts), capacity.Config{})
		require.NoError(t, err)
		require.Less(t, time.Since(start), 2*time.Second, "%d samples", s.Len())
		require.NotEmpty(t, p.Pattern)
		require.NotEmpty(t, p.Reason)
		if e := p.ETA; e != nil {
			require.NotNil(t, e.P10)
			if e.P50 != nil {
				require.LessOrEqual(t, *e.P10, *e.P50)
			}
			if e.P90 != nil {
				require.NotNil(t, e.P50)
				require.LessOrEqual(t, *e.P50, *e.P90)
			}
		}
	})
}
