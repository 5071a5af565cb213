package raster

// FillCore is the mask value from which a pixel counts as subject for FillOutward: anti-aliased
// edge pixels below it mix the background in (a white background makes a black subject's rim
// grey), so their colour is replaced too.
const FillCore = 0.99

// FillOutward returns a copy of the colour plane (three values per pixel, w × h) in which every
// pixel whose mask is below FillCore takes the colour of the subject pixels nearest to it, pushed
// outward ring by ring: the pixels of ring k+1 (8-connected to ring k) get the mean of their
// neighbours in rings up to k — a breadth-first dilation, the discrete form of the "push" half of
// pull-push hole filling (Gortler et al., "The Lumigraph", SIGGRAPH 1996), as texture bakers pad
// UV islands. Where no pixel reaches FillCore (a subject only a pixel thin), mask ≥ 0.5 is the
// subject instead; with no subject at all, the plane is returned as it is. The result depends on
// the planes alone.
func FillOutward(colour, mask []float32, w, h int) []float32 {
	n := w * h
	if len(colour) != 3*n || len(mask) != n || n == 0 {
		return colour
	}
	// The work runs on a copy padded with one pixel on every side, whose state never lets it be
	// queued or read, so the neighbour loops need no bounds tests and no divisions.
	W := w + 2
	state := make([]uint8, W*(h+2))
	for i := range state {
		state[i] = fillPad
	}
	var ring []int32
	for _, core := range []float32{FillCore, 0.5} {
		for y := range h {
			for x, a := range mask[y*w : (y+1)*w] {
				P := (y+1)*W + x + 1
				state[P] = fillOpen
				if a >= core {
					state[P] = fillDone
					ring = append(ring, int32(P))
				}
			}
		}
		if len(ring) > 0 {
			break
		}
	}
	if len(ring) == 0 {
		return colour
	}
	out := make([]float32, 3*len(state))
	for y := range h {
		copy(out[3*((y+1)*W+1):], colour[3*y*w:3*(y+1)*w])
	}
	// Neighbours in the order the sums take them (row above, own row, row below; left to right),
	// so that every mean is the same float32 arithmetic whatever the layout.
	nb := [8]int32{int32(-W - 1), int32(-W), int32(-W + 1), -1, 1, int32(W - 1), int32(W), int32(W + 1)}
	var next []int32
	for len(ring) > 0 {
		next = next[:0]
		for _, p := range ring {
			for _, d := range nb {
				if q := p + d; state[q] == fillOpen {
					state[q] = fillQueued
					next = append(next, q)
				}
			}
		}
		// The new ring takes its colours from the rings before it only, so the order in which
		// its pixels are visited does not matter.
		for _, q := range next {
			var s0, s1, s2, cnt float32
			for _, d := range nb {
				if r := q + d; state[r] == fillDone {
					o := 3 * r
					s0 += out[o]
					s1 += out[o+1]
					s2 += out[o+2]
					cnt++
				}
			}
			o := 3 * q
			out[o], out[o+1], out[o+2] = s0/cnt, s1/cnt, s2/cnt
		}
		for _, q := range next {
			state[q] = fillDone
		}
		ring, next = next, ring
	}
	res := make([]float32, 3*n)
	for y := range h {
		copy(res[3*y*w:3*(y+1)*w], out[3*((y+1)*W+1):])
	}
	return res
}

// The states of FillOutward's padded pixels.
const (
	fillOpen   uint8 = iota // not reached yet
	fillQueued              // in the ring being filled
	fillDone                // has its colour: subject, or an earlier ring
	fillPad                 // outside the plane
)
