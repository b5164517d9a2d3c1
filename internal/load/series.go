package load

// Series keeps a run's latencies in order, in bounded memory. Up to its
// capacity it holds every value. When full, neighbouring points are merged
// pairwise (their mean), and from then on each point is the mean of
// Stride() consecutive values: a run of a million requests keeps at most
// capacity points, spread evenly over the whole run, so a trend and the
// first and last windows survive. Short runs (the default 20 requests)
// are exact.
type Series struct {
	cap    int
	stride int
	pts    []float64
	acc    float64 // sum of the partial group
	accN   int
}

// NewSeries makes a Series of at most capacity points (at least 2).
func NewSeries(capacity int) *Series {
	capacity = max(capacity, 2)
	capacity -= capacity % 2
	return &Series{cap: capacity, stride: 1, pts: make([]float64, 0, capacity)}
}

// Add appends v.
func (s *Series) Add(v float64) {
	s.acc += v
	s.accN++
	if s.accN < s.stride {
		return
	}
	s.pts = append(s.pts, s.acc/float64(s.accN))
	s.acc, s.accN = 0, 0
	if len(s.pts) == s.cap {
		for i := range s.cap / 2 {
			s.pts[i] = (s.pts[2*i] + s.pts[2*i+1]) / 2
		}
		s.pts = s.pts[:s.cap/2]
		s.stride *= 2
	}
}

// Values returns the points, the partial last group included, as a new
// slice.
func (s *Series) Values() []float64 {
	out := make([]float64, len(s.pts), len(s.pts)+1)
	copy(out, s.pts)
	if s.accN > 0 {
		out = append(out, s.acc/float64(s.accN))
	}
	return out
}

// Stride is how many values each point stands for (1 until the first merge).
func (s *Series) Stride() int { return s.stride }
