package anomaly

// recordStack answers "when was a value at least x last seen?" over the
// last Cap samples with a monotonic stack: entries hold strictly decreasing
// values at increasing indices (for the max side; the min side stores
// negated values). Push is amortised O(1), query O(log n). Memory is at
// most Cap entries.
type recordStack struct {
	idx  []int64
	val  []float64
	head int // first live entry (entries before it were dropped as too old)
	cap  int64
}

func newRecordStack(capacity int) *recordStack {
	return &recordStack{cap: int64(capacity)}
}

// push records value v at index i (indices must increase).
func (s *recordStack) push(i int64, v float64) {
	n := len(s.val)
	for n > s.head && s.val[n-1] <= v {
		n--
	}
	s.val = append(s.val[:n], v)
	s.idx = append(s.idx[:n], i)
	for s.head < len(s.idx) && s.idx[s.head] <= i-s.cap {
		s.head++
	}
	// compact when half the backing array is dead
	if s.head > 64 && s.head*2 > len(s.idx) {
		m := copy(s.idx, s.idx[s.head:])
		copy(s.val, s.val[s.head:])
		s.idx = s.idx[:m]
		s.val = s.val[:m]
		s.head = 0
	}
}

// lastAtLeast returns the index of the most recent live value ≥ x, or -1.
func (s *recordStack) lastAtLeast(x float64) int64 {
	// values decrease from head to top; find the topmost with val >= x.
	lo, hi := s.head, len(s.val) // invariant: val[lo-1] >= x region
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.val[m] >= x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == s.head {
		return -1
	}
	return s.idx[lo-1]
}
