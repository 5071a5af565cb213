package grabcut

// Mask clean-up at the working size, after the cut.
//
// Pieces: the cut can leave specks of subject colour in the background. Every 8-connected piece
// of subject smaller than Options.KeepRatio of the largest piece is dropped; pieces at least that
// large are kept, since clip art and photographed objects are often in several parts.
//
// Holes: a background region the border band does not reach is either a speck the cut left
// inside the subject, or a real hole (the middle of a ring, the gap between a horse's legs)
// where the background shows through. GrabCut put it on the background side because its colour
// fits the background model, so a large one is most likely real: holes under
// Options.MaxHoleRatio of the subject's area are filled, larger ones are kept.

// label4 labels the connected components of pixels with m[i] == want (8-connected when diag),
// returning per-pixel labels (−1 elsewhere) and sizes.
func components(m []bool, w, h int, want, diag bool) ([]int32, []int) {
	lab := make([]int32, len(m))
	for i := range lab {
		lab[i] = -1
	}
	var sizes []int
	var stack []int32
	for s := range m {
		if m[s] != want || lab[s] >= 0 {
			continue
		}
		id := int32(len(sizes))
		size := 0
		lab[s] = id
		stack = append(stack[:0], int32(s))
		for len(stack) > 0 {
			p := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			size++
			x, y := p%w, p/w
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					if dx == 0 && dy == 0 || !diag && dx != 0 && dy != 0 {
						continue
					}
					xx, yy := x+dx, y+dy
					if xx < 0 || xx >= w || yy < 0 || yy >= h {
						continue
					}
					q := yy*w + xx
					if m[q] == want && lab[q] < 0 {
						lab[q] = id
						stack = append(stack, int32(q))
					}
				}
			}
		}
		sizes = append(sizes, size)
	}
	return lab, sizes
}

// clean drops small pieces and fills small holes in place; it returns the number of pieces
// kept.
func clean(fg []bool, w, h int, keepRatio, holeRatio float64) int {
	lab, sizes := components(fg, w, h, true, true)
	largest := 0
	for _, s := range sizes {
		largest = max(largest, s)
	}
	keep := make([]bool, len(sizes))
	pieces, area := 0, 0
	for i, s := range sizes {
		if float64(s) >= keepRatio*float64(largest) {
			keep[i] = true
			pieces++
			area += s
		}
	}
	for i, l := range lab {
		if l >= 0 && !keep[l] {
			fg[i] = false
		}
	}
	if area == 0 {
		return 0
	}
	blab, bsizes := components(fg, w, h, false, false)
	outside := make([]bool, len(bsizes))
	for x := 0; x < w; x++ {
		for _, y := range []int{0, h - 1} {
			if l := blab[y*w+x]; l >= 0 {
				outside[l] = true
			}
		}
	}
	for y := 0; y < h; y++ {
		for _, x := range []int{0, w - 1} {
			if l := blab[y*w+x]; l >= 0 {
				outside[l] = true
			}
		}
	}
	limit := holeRatio * float64(area)
	for i, l := range blab {
		if l >= 0 && !outside[l] && float64(bsizes[l]) < limit {
			fg[i] = true
		}
	}
	return pieces
}
