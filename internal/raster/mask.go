package raster

// MaskStats describes what CleanMask changed.
type MaskStats struct {
	Components     int // foreground components before cleaning (8-connected)
	DroppedIslands int
	DroppedPixels  int
	FilledHoles    int
	FilledPixels   int
	Coverage       float64 // fraction of the raster that is foreground after cleaning
}

// CleanMask returns a cleaned copy of a coverage mask (1 foreground, 0 background): foreground
// components (8-connected, pixels ≥ 0.5) smaller than minIslandRatio times the largest are
// dropped, and background holes (4-connected regions not touching the raster's border) of at most
// maxHolePixels are filled. Kept pixels keep their coverage, so anti-aliased edges stay smooth.
func CleanMask(mask []float32, w, h int, minIslandRatio float64, maxHolePixels int) ([]float32, MaskStats) {
	out := append([]float32(nil), mask...)
	var st MaskStats
	fg := make([]bool, w*h)
	for i, m := range mask {
		fg[i] = m >= 0.5
	}
	labels, sizes := label(fg, w, h, true, true)
	st.Components = len(sizes)
	largest := 0
	for _, s := range sizes {
		largest = max(largest, s)
	}
	for i, l := range labels {
		if l >= 0 && float64(sizes[l]) < minIslandRatio*float64(largest) {
			out[i] = 0
			fg[i] = false
			st.DroppedPixels++
		}
	}
	for _, s := range sizes {
		if float64(s) < minIslandRatio*float64(largest) {
			st.DroppedIslands++
		}
	}
	// Background regions: 4-connected, so that a diagonal gap in an 8-connected outline does not
	// let the outside leak in.
	bgLabels, bgSizes := label(fg, w, h, false, false)
	touches := make([]bool, len(bgSizes))
	for x := range w {
		for _, y := range []int{0, h - 1} {
			if l := bgLabels[y*w+x]; l >= 0 {
				touches[l] = true
			}
		}
	}
	for y := range h {
		for _, x := range []int{0, w - 1} {
			if l := bgLabels[y*w+x]; l >= 0 {
				touches[l] = true
			}
		}
	}
	for i, l := range bgLabels {
		if l >= 0 && !touches[l] && bgSizes[l] <= maxHolePixels {
			out[i] = 1
			st.FilledPixels++
		}
	}
	for l, s := range bgSizes {
		if !touches[l] && s <= maxHolePixels {
			st.FilledHoles++
		}
	}
	var cov float64
	for _, m := range out {
		if m >= 0.5 {
			cov++
		}
	}
	if w*h > 0 {
		st.Coverage = cov / float64(w*h)
	}
	return out, st
}

// label numbers the connected regions of pixels where fg == want (8-connected when diag is set,
// else 4-connected) and returns each pixel's label (-1 for other pixels) and each label's size.
// It uses an explicit stack, so it cannot overflow on large regions.
func label(fg []bool, w, h int, want, diag bool) ([]int32, []int) {
	labels := make([]int32, w*h)
	for i := range labels {
		labels[i] = -1
	}
	var sizes []int
	var stack []int
	for start := range fg {
		if fg[start] != want || labels[start] >= 0 {
			continue
		}
		l := int32(len(sizes))
		size := 0
		labels[start] = l
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			size++
			x, y := i%w, i/w
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					if (dx == 0 && dy == 0) || (!diag && dx != 0 && dy != 0) {
						continue
					}
					xx, yy := x+dx, y+dy
					if xx < 0 || yy < 0 || xx >= w || yy >= h {
						continue
					}
					j := yy*w + xx
					if fg[j] == want && labels[j] < 0 {
						labels[j] = l
						stack = append(stack, j)
					}
				}
			}
		}
		sizes = append(sizes, size)
	}
	return labels, sizes
}

// Bounds returns the smallest rectangle [x0, x1) × [y0, y1) holding every pixel with mask ≥ 0.5,
// and false when there is none.
func Bounds(mask []float32, w, h int) (x0, y0, x1, y1 int, ok bool) {
	x0, y0, x1, y1 = w, h, 0, 0
	for i, m := range mask {
		if m >= 0.5 {
			x, y := i%w, i/w
			x0, y0 = min(x0, x), min(y0, y)
			x1, y1 = max(x1, x+1), max(y1, y+1)
		}
	}
	return x0, y0, x1, y1, x1 > x0
}
