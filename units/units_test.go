package units

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBytesUsesBinaryPrefixesAndThreeSignificantDigits(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{
		{0, "0 B"},
		{512, "512 B"},
		{1023.6, "1024 B"},
		{1024, "1 KiB"},
		{1536, "1.5 KiB"},
		{892.3 * (1 << 20), "892 MiB"},
		{1 << 30, "1 GiB"},
		{1.2894e10, "12 GiB"},
		{1.46 * (1 << 30), "1.46 GiB"},
		{70.83 * (1 << 30), "70.8 GiB"},
		{1023.9 * (1 << 20), "1 GiB"},
		{1000 * (1 << 20), "1000 MiB"},
		{2 << 40, "2 TiB"},
		{-437 * 1024, "-437 KiB"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "+Inf"},
	} {
		t.Run(c.want, func(t *testing.T) {
			require.Equal(t, c.want, Bytes(c.in))
		})
	}
}

func TestSIUsesDecimalPrefixesAndNeverAnExponent(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{0.25, "0.25"},
		{0.00123, "0.00123"},
		{1, "1"},
		{9.996, "10"},
		{99.96, "100"},
		{950, "950"},
		{999.4, "999"},
		{999.6, "1k"},
		{12_900, "12.9k"},
		{1.09174e10, "10.9G"},
		{1.29e10, "12.9G"},
		{-5_200_000, "-5.2M"},
		{3e-12, "3e-12"},
		{math.Inf(-1), "-Inf"},
	} {
		t.Run(c.want, func(t *testing.T) {
			require.Equal(t, c.want, SI(c.in))
		})
	}
}

func TestIsBytesFollowsThePrometheusNamingConvention(t *testing.T) {
	require.True(t, IsBytes("node_filesystem_avail_bytes"))
	require.True(t, IsBytes("http_response_size_bytes_total"))
	require.False(t, IsBytes("http_requests_total"))
	require.False(t, IsBytes("bytes_ratio"))
}

func FuzzFormattersNeverUseAnExponentInTheirRange(f *testing.F) {
	for _, v := range []float64{0, 1, 999.5, 1023.99, 1e18, -3.5e9, 0.001} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) < 1e-9 || math.Abs(v) > 1e20 {
			return
		}
		for _, s := range []string{Bytes(v), SI(v)} {
			require.NotContains(t, s, "e+", "%v formatted as %q", v, s)
			require.NotContains(t, s, "e-", "%v formatted as %q", v, s)
		}
	})
}

func TestValuesBeyondThePrefixesGetAnExponent(t *testing.T) {
	require.Equal(t, "1e+308", SI(1e308))
	require.Equal(t, "-1e+308", SI(-1e308))
	require.Equal(t, "1e+30 B", Bytes(1e30))
	require.Equal(t, "-1e+308 B", Bytes(-1e308))
	require.Equal(t, "1.2E", SI(1.2e18), "the largest prefix still applies below 999.5E")
}

func ExampleBytes() {
	fmt.Println(Bytes(1.2894e10), Bytes(892.3*(1<<20)), Bytes(1536))
	// Output: 12 GiB 892 MiB 1.5 KiB
}

func ExampleSI() {
	fmt.Println(SI(1.09174e10), SI(12_900), SI(0.25))
	// Output: 10.9G 12.9k 0.25
}
