// Package series keeps a bounded, evenly spaced series of a run of unknown
// length: the GPU monitor's samples and the /metrics sampler's scrapes.
package series

// Series keeps at most Max values of a stream, evenly spaced over all of it.
// The zero value keeps every value until Max is reached; Max below 2 is
// taken as 2.
//
// Subtleness ahead: it keeps every stride-th value. When it fills up, every
// other kept value goes and the stride doubles, so the series always spans
// the whole run at an even spacing, in O(Max) memory.
type Series[T any] struct {
	Max    int
	items  []T
	stride int
	skip   int
}

// Add offers one value; it is kept when it falls on the current grid.
func (s *Series[T]) Add(v T) {
	if s.stride == 0 {
		s.stride = 1
	}
	if s.skip > 0 {
		s.skip--
		return
	}
	if len(s.items) >= max(s.Max, 2) {
		kept := s.items[:0]
		for i := 0; i < len(s.items); i += 2 {
			kept = append(kept, s.items[i])
		}
		s.items = kept
		s.stride *= 2
		// The value at hand falls on the new grid only if the old grid had
		// an odd number of steps since the last kept value; simpler to
		// restart the grid here.
	}
	s.items = append(s.items, v)
	s.skip = s.stride - 1
}

// Items returns a copy of the kept values, oldest first.
func (s *Series[T]) Items() []T { return append([]T(nil), s.items...) }

// Len is how many values are kept.
func (s *Series[T]) Len() int { return len(s.items) }
