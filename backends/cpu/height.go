package cpu

// inFrame reports whether sample (i, j) of a w×h grid spanning wmm × hmm lies within fw mm of the
// model's outer edge.
func inFrame(i, j, w, h int, wmm, hmm, fw float64) bool {
	if fw <= 0 {
		return false
	}
	x := float64(i) * wmm / float64(w-1)
	y := float64(j) * hmm / float64(h-1)
	return min(x, wmm-x, y, hmm-y) < fw
}
