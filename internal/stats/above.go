package stats

// CountAbove is the number of values recorded above ms, counting whole HDR
// buckets that lie entirely above it (a bucket straddling ms, at most 0.1 %
// wide, is not counted).
func (h *Histogram) CountAbove(ms float64) int64 {
	if h.n == 0 {
		return 0
	}
	us, _ := toUs(ms)
	var n int64
	for _, b := range h.h.Distribution() {
		if b.Count > 0 && b.From > us {
			n += b.Count
		}
	}
	return n
}
