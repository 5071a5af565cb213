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
	out := append([]float32(nil), colour...)
	filled := make([]bool, n)
	var ring []int32
	for _, core := range []float32{FillCore, 0.5} {
		for i, a := range mask {
			if a >= core {
				filled[i] = true
				ring = append(ring, int32(i))
			}
		}
		if len(ring) > 0 {
			break
		}
	}
	if len(ring) == 0 {
		return colour
	}
	queued := append([]bool(nil), filled...)
	var next []int32
	for len(ring) > 0 {
		next = next[:0]
		for _, p := range ring {
			x, y := int(p)%w, int(p)/w
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx < 0 || ny < 0 || nx >= w || ny >= h {
						continue
					}
					q := ny*w + nx
					if !queued[q] {
						queued[q] = true
						next = append(next, int32(q))
					}
				}
			}
		}
		// The new ring takes its colours from the rings before it only, so the order in which
		// its pixels are visited does not matter.
		for _, q := range next {
			x, y := int(q)%w, int(q)/w
			var s [3]float32
			var cnt float32
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx < 0 || ny < 0 || nx >= w || ny >= h || !filled[ny*w+nx] {
						continue
					}
					o := 3 * (ny*w + nx)
					s[0] += out[o]
					s[1] += out[o+1]
					s[2] += out[o+2]
					cnt++
				}
			}
			o := 3 * int(q)
			out[o], out[o+1], out[o+2] = s[0]/cnt, s[1]/cnt, s[2]/cnt
		}
		for _, q := range next {
			filled[q] = true
		}
		ring, next = next, ring
	}
	return out
}
