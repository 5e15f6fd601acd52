package anomaly

import "math"

// shapeMemory remembers the last values of a series and measures how far
// the shape of the latest w values is from every earlier stretch of w
// values it remembers: the distance to the nearest one (Euclidean, in the
// units of the values). A stretch never seen before — a new pattern, not
// only a new value — is far from all of them (the nonconformity of k-NN
// detectors such as NAB's knncad, here against a bounded history).
//
// The values are held twice in a buffer of twice the memory, so that every
// stretch is contiguous, and so are the sums of each run of g = w/4 values
// (at least 1): the sums of a stretch's four segments give a lower bound
// on its distance (Σ(Δ segment sum)²/g ≤ Σ Δ², Cauchy–Schwarz), and only
// the stretches whose bound beats the nearest so far are compared value by
// value, stopping once they cannot beat it. The result is the exact
// nearest distance. Cost per value O(history) plus the stretches compared;
// memory 32·(history + 2w) bytes.
type shapeMemory struct {
	w, g int       // stretch, segment length
	L    int       // values remembered
	buf  []float64 // 2L: value i at i%L and i%L+L
	seg  []float64 // 2L: sum of the g values ending at each position
	cs   []float64 // the latest stretch's w/g segment sums
	head int       // next write position in [0, L)
	n    int
}

func newShapeMemory(w, history int) *shapeMemory {
	L := history + 2*w
	g := max(1, w/4)
	return &shapeMemory{w: w, g: g, L: L, buf: make([]float64, 2*L), seg: make([]float64, 2*L), cs: make([]float64, w/g)}
}

// push adds v and returns the distance from the latest w values to the
// nearest earlier stretch that does not overlap them, and whether there
// was one (at least 3w values remembered). A NaN marks a missing sample:
// no stretch holding one is compared (NaN distances never win), and none
// is measured while the latest w values hold one.
func (m *shapeMemory) push(v float64) (float64, bool) {
	L, w, g := m.L, m.w, m.g
	h := m.head
	m.buf[h], m.buf[h+L] = v, v
	sum := 0.0
	for i := h + L - g + 1; i <= h+L; i++ {
		sum += m.buf[i]
	}
	m.seg[h], m.seg[h+L] = sum, sum
	m.head++
	if m.head == L {
		m.head = 0
	}
	if m.n < L {
		m.n++
	}
	if m.n < 3*w {
		return 0, false
	}
	// The latest w values end at head (exclusive) in the upper copy.
	end := m.head + L
	cur := m.buf[end-w : end]
	for _, x := range cur {
		if math.IsNaN(x) {
			return 0, false
		}
	}
	for j := range m.cs {
		m.cs[j] = m.seg[end-w+(j+1)*g-1]
	}
	oldest := end - m.n // position of the oldest value, in [0, 2L)
	best := math.Inf(1)
	inv := 1 / float64(g)
	// Candidate stretches start at oldest … end−2w (they end at least w
	// values before the latest one).
	for s := oldest; s <= end-2*w; s++ {
		lb := 0.0
		for j, c := range m.cs {
			e := m.seg[s+(j+1)*g-1] - c
			lb += e * e
		}
		if !(lb*inv < best) {
			continue
		}
		seg := m.buf[s : s+w]
		d := 0.0
		for i, x := range seg {
			e := x - cur[i]
			d += e * e
			if d >= best {
				break
			}
		}
		if d < best {
			best = d
		}
	}
	return math.Sqrt(best), true
}

// reset forgets every value remembered: no distance is measured until 3w
// values were pushed again.
func (m *shapeMemory) reset() { m.n, m.head = 0, 0 }
