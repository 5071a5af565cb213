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
	// The pixel states live on a grid padded with one pixel on every side, whose state never
	// lets it be queued or read, so the neighbour loops need no bounds tests and no divisions;
	// the colours are worked in place in the (unpadded) result, a neighbour's colour index being
	// the pixel's own plus the same offset in w-wide rows.
	W := w + 2
	state := make([]uint8, W*(h+2))
	for i := range state {
		state[i] = fillPad
	}
	// One queue holds every pixel that is or gets a colour, ring after ring (the subject first),
	// so no ring ever grows a slice: ring k is queue[lo:hi], ring k+1 is appended after it.
	// pos holds each queued pixel's padded index, idx its index in the plane.
	pos := make([]int32, 0, n)
	idx := make([]int32, 0, n)
	for _, core := range []float32{FillCore, 0.5} {
		for y := range h {
			for x, a := range mask[y*w : (y+1)*w] {
				P := (y+1)*W + x + 1
				state[P] = fillOpen
				if a >= core {
					state[P] = fillDone
					pos = append(pos, int32(P))
					idx = append(idx, int32(y*w+x))
				}
			}
		}
		if len(pos) > 0 {
			break
		}
	}
	if len(pos) == 0 {
		return colour
	}
	out := make([]float32, 3*n)
	copy(out, colour)
	// Neighbours in the order the sums take them (row above, own row, row below; left to right),
	// so that every mean is the same float32 arithmetic whatever the layout.
	nb := [8]int32{int32(-W - 1), int32(-W), int32(-W + 1), -1, 1, int32(W - 1), int32(W), int32(W + 1)}
	nbi := [8]int32{int32(-w - 1), int32(-w), int32(-w + 1), -1, 1, int32(w - 1), int32(w), int32(w + 1)}
	for lo, hi := 0, len(pos); lo < hi; lo, hi = hi, len(pos) {
		for j := lo; j < hi; j++ {
			p, i := pos[j], idx[j]
			for k, d := range nb {
				if q := p + d; state[q] == fillOpen {
					state[q] = fillQueued
					pos = append(pos, q)
					idx = append(idx, i+nbi[k])
				}
			}
		}
		// The new ring takes its colours from the rings before it only, so the order in which
		// its pixels are visited does not matter.
		next, nexti := pos[hi:], idx[hi:]
		for j, q := range next {
			var s0, s1, s2, cnt float32
			qi := nexti[j]
			for k, d := range nb {
				if state[q+d] == fillDone {
					o := 3 * (qi + nbi[k])
					s0 += out[o]
					s1 += out[o+1]
					s2 += out[o+2]
					cnt++
				}
			}
			o := 3 * qi
			out[o], out[o+1], out[o+2] = s0/cnt, s1/cnt, s2/cnt
		}
		for _, q := range next {
			state[q] = fillDone
		}
	}
	return out
}

// The states of FillOutward's padded pixels.
const (
	fillOpen   uint8 = iota // not reached yet
	fillQueued              // in the ring being filled
	fillDone                // has its colour: subject, or an earlier ring
	fillPad                 // outside the plane
)
