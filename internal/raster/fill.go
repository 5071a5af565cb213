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
//
// Every pixel outside the subject can be reached (the plane is a rectangle, which 8-connected
// steps never need to leave), so a pixel's ring is its chessboard distance to the subject. That
// distance is found by the two raster scans of the 3×3 chamfer transform with unit weights, which
// is exact for the chessboard metric (Rosenfeld and Pfaltz, "Sequential operations in digital
// picture processing", J. ACM 13(4), 1966), instead of by a queue; the pixels are then bucketed by
// ring (a counting sort) and coloured ring after ring, each from its neighbours of smaller
// distance, in the same order and with the same float32 arithmetic as the breadth-first form.
func FillOutward(colour, mask []float32, w, h int) []float32 {
	return fillOutward(colour, mask, w, h, false)
}

// FillOutwardInPlace is FillOutward working in colour itself, for a caller that has no more use
// for the plane as it was; where FillOutward would return the plane as it is (no subject, or a
// plane or mask of the wrong size), colour is left as it is.
func FillOutwardInPlace(colour, mask []float32, w, h int) {
	fillOutward(colour, mask, w, h, true)
}

// fillOutward is FillOutward, in colour itself when inPlace, which it then returns; it returns
// colour itself as well when there is nothing to fill from.
func fillOutward(colour, mask []float32, w, h int, inPlace bool) []float32 {
	n := w * h
	if len(colour) != 3*n || len(mask) != n || n == 0 {
		return colour
	}
	// The distances live on a grid padded with one pixel on every side, whose distance is never
	// below any ring's, so the neighbour loops need no bounds tests; the colours are worked in
	// place in the (unpadded) result, a neighbour's colour index being the pixel's own plus the
	// same offset in w-wide rows.
	W := w + 2
	dist := make([]int32, W*(h+2))
	far := int32(n + 1) // beyond every chessboard distance on the plane
	for i := range dist[:W] {
		dist[i] = fillPad
	}
	for i := range dist[(h+1)*W:] {
		dist[(h+1)*W+i] = fillPad
	}
	open := 0 // pixels outside the subject
	for _, core := range []float32{FillCore, 0.5} {
		open = 0
		for y := range h {
			d := dist[(y+1)*W : (y+2)*W : (y+2)*W]
			d[0], d[W-1] = fillPad, fillPad
			for x, a := range mask[y*w : (y+1)*w] {
				if a >= core {
					d[x+1] = 0
				} else {
					d[x+1] = far
					open++
				}
			}
		}
		if open < n {
			break
		}
	}
	if open == n {
		return colour
	}
	out := colour
	if !inPlace {
		out = make([]float32, 3*n)
		copy(out, colour)
	}
	if open == 0 {
		return out
	}
	var order []int32
	if open*fillFewShare < n {
		order = ringsByQueue(dist, w, h, open)
	} else {
		order = ringsByChamfer(dist, w, h, open)
	}
	// Neighbours in the order the sums take them (row above, own row, row below; left to right),
	// so that every mean is the same float32 arithmetic whatever the layout.
	nb, nbi := fillNeighbours(W), fillNeighbours(w)
	for j := 0; j < len(order); j += 2 {
		q, qi := order[j], order[j+1]
		k := dist[q]
		var s0, s1, s2, cnt float32
		for t, d := range nb {
			if dist[q+d] < k {
				o := 3 * (qi + nbi[t])
				s0 += out[o]
				s1 += out[o+1]
				s2 += out[o+2]
				cnt++
			}
		}
		o := 3 * qi
		out[o], out[o+1], out[o+2] = s0/cnt, s1/cnt, s2/cnt
	}
	return out
}

// fillPad is the distance of FillOutward's padding: above every ring, and safe to add one to.
const fillPad = 1 << 30

// fillFewShare: when fewer than one pixel in fillFewShare is outside the subject (an opaque
// image with a few translucent pixels), FillOutward finds the rings with a queue from the
// subject's rim rather than by scanning the whole plane twice.
const fillFewShare = 16

// fillNeighbours are the offsets of a pixel's 8 neighbours on a grid W wide (the padded grid, or
// the plane), in the order FillOutward's sums take them (row above, own row, row below; left to
// right).
func fillNeighbours(W int) [8]int32 {
	return [8]int32{int32(-W - 1), int32(-W), int32(-W + 1), -1, 1, int32(W - 1), int32(W), int32(W + 1)}
}

// ringsByChamfer sets the distance of each of the open pixels of FillOutward's padded grid dist
// (w × h inside, 0 on the subject, far elsewhere) to its chessboard distance from the subject
// (two chamfer scans), and returns them ring after ring as (padded index, plane index) pairs.
func ringsByChamfer(dist []int32, w, h, open int) []int32 {
	W := w + 2
	// Forward scan (west, north-west, north, north-east), then backward (east, south-east,
	// south, south-west). The pads hold fillPad, far above every distance, so they never win.
	maxd := int32(0)
	for y := 1; y <= h; y++ {
		r, u := dist[y*W:(y+1)*W:(y+1)*W], dist[(y-1)*W:y*W:y*W]
		for x := 1; x <= w; x++ {
			r[x] = min(r[x], r[x-1]+1, u[x-1]+1, u[x]+1, u[x+1]+1) // the subject's 0 stays
		}
	}
	for y := h; y >= 1; y-- {
		r, l := dist[y*W:(y+1)*W:(y+1)*W], dist[(y+1)*W:(y+2)*W:(y+2)*W]
		for x := w; x >= 1; x-- {
			v := min(r[x], r[x+1]+1, l[x+1]+1, l[x]+1, l[x-1]+1)
			r[x] = v
			maxd = max(maxd, v)
		}
	}
	// Bucket the outside pixels by ring (row-major within a ring: the order within a ring does
	// not matter, as each ring reads only the rings before it).
	start := make([]int32, maxd+2)
	for y := 1; y <= h; y++ {
		for _, v := range dist[y*W+1 : y*W+1+w] {
			start[v+1]++
		}
	}
	start[1] = 0 // ring 0, the subject, is not coloured
	for k := 2; k < len(start); k++ {
		start[k] += start[k-1]
	}
	next := start[1 : maxd+1]
	order := make([]int32, 2*open) // padded and plane index of each, ring after ring
	for y := 1; y <= h; y++ {
		for x, v := range dist[y*W+1 : y*W+1+w] {
			if v > 0 {
				j := 2 * next[v-1]
				order[j], order[j+1] = int32(y*W+x+1), int32((y-1)*w+x)
				next[v-1]++
			}
		}
	}
	return order
}

// ringsByQueue does what ringsByChamfer does by a breadth-first search from the subject's rim:
// ring 1 is the open pixels with a subject pixel among their 8 neighbours, ring k+1 the open
// neighbours of ring k. It costs a scan of the plane and work in proportion to the open pixels.
func ringsByQueue(dist []int32, w, h, open int) []int32 {
	W := w + 2
	nb, nbi := fillNeighbours(W), fillNeighbours(w)
	far := int32(w*h + 1)
	order := make([]int32, 0, 2*open)
	for y := 1; y <= h; y++ {
		for x := 1; x <= w; x++ {
			q := int32(y*W + x)
			if dist[q] != far {
				continue
			}
			for _, d := range nb {
				if dist[q+d] == 0 {
					order = append(order, q, int32((y-1)*w+x-1))
					break
				}
			}
		}
	}
	for j := 0; j < len(order); j += 2 {
		dist[order[j]] = 1
	}
	for lo, hi := 0, len(order); lo < hi; lo, hi = hi, len(order) {
		for j := lo; j < hi; j += 2 {
			q, qi := order[j], order[j+1]
			k := dist[q]
			for t, d := range nb {
				if dist[q+d] == far {
					dist[q+d] = k + 1
					order = append(order, q+d, qi+nbi[t])
				}
			}
		}
	}
	return order
}
