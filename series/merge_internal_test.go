package series

import (
	"hash/fnv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMergeKeepsLabelSetsApartWhenFingerprintsCollide(t *testing.T) {
	a, b, c := New("i", "a"), New("i", "b"), New("i", "c")
	in := []Series{
		{Labels: b, Timestamps: []int64{1}, Values: []float64{10}},
		{Labels: a, Timestamps: []int64{1, 2}, Values: []float64{1, 2}},
		{Labels: c, Timestamps: []int64{5}, Values: []float64{50}},
		{Labels: b, Timestamps: []int64{2}, Values: []float64{20}},
		{Labels: a, Timestamps: []int64{2, 3}, Values: []float64{200, 3}},
	}
	got := merge(in, func(Labels) uint64 { return 42 })
	require.Equal(t, []Series{
		{Labels: a, Timestamps: []int64{1, 2, 3}, Values: []float64{1, 200, 3}},
		{Labels: b, Timestamps: []int64{1, 2}, Values: []float64{10, 20}},
		{Labels: c, Timestamps: []int64{5}, Values: []float64{50}},
	}, got)
}

func TestFingerprintIsFNV1aOfNamesAndValues(t *testing.T) {
	for _, ls := range []Labels{nil, New("a", "1"), New("__name__", "up", "job", "node", "instance", "a:9100"), New("é", "\xff")} {
		h := fnv.New64a()
		for _, l := range ls {
			h.Write([]byte(l.Name))
			h.Write([]byte{0xff})
			h.Write([]byte(l.Value))
			h.Write([]byte{0xff})
		}
		require.Equal(t, h.Sum64(), ls.Fingerprint(), "%s", ls)
	}
	ls := New("a", "1", "b", "2")
	require.Zero(t, testing.AllocsPerRun(10, func() { _ = ls.Fingerprint() }), "Fingerprint does not allocate")
}
