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
// Labels follow the raster order of each region's first pixel (see joinRuns).
func label(fg []bool, w, h int, want, diag bool) ([]int32, []int) {
	labels := make([]int32, w*h)
	for i := range labels {
		labels[i] = -1
	}
	runs, find := joinRuns(fg, w, h, want, diag)
	// The runs in raster order, their roots first met in the order of the regions' first pixels.
	id := make([]int32, len(runs))
	for i := range id {
		id[i] = -1
	}
	var sizes []int
	for i, r := range runs {
		root := find(int32(i))
		if id[root] < 0 {
			id[root] = int32(len(sizes))
			sizes = append(sizes, 0)
		}
		l := id[root]
		sizes[l] += int(r.x1 - r.x0)
		ls := labels[int(r.y)*w+int(r.x0) : int(r.y)*w+int(r.x1)]
		for k := range ls {
			ls[k] = l
		}
	}
	return labels, sizes
}

// Components counts the connected regions of pixels where fg == want (8-connected when diag is
// set, else 4-connected) and how many of them do not touch the image's border. Like label it
// works on runs, so its cost follows the number of runs rather than of pixels.
func Components(fg []bool, w, h int, want, diag bool) (n, inner int) {
	runs, find := joinRuns(fg, w, h, want, diag)
	border := make([]bool, len(runs)) // by root: the region touches the border
	for k, r := range runs {
		if r.y == 0 || int(r.y) == h-1 || r.x0 == 0 || int(r.x1) == w {
			border[find(int32(k))] = true
		}
	}
	for k := range runs {
		if find(int32(k)) == int32(k) {
			n++
			if !border[k] {
				inner++
			}
		}
	}
	return n, inner
}

// run is the pixels [x0, x1) of row y.
type run struct{ y, x0, x1 int32 }

// joinRuns splits each row's pixels where fg == want into runs, in raster order, and joins
// (union–find) each run to the runs of the row above that touch it: overlapping columns, or
// columns one apart when diag is set. find returns a run's root, which is the first run of its
// region in raster order. No recursion, no per-pixel neighbour tests.
func joinRuns(fg []bool, w, h int, want, diag bool) ([]run, func(int32) int32) {
	var runs []run
	var parent []int32
	find := func(i int32) int32 {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	reach := int32(0) // how far past a run's ends a run of the next row may start and still touch
	if diag {
		reach = 1
	}
	prev := 0 // first run of the row above
	for y := range h {
		row := fg[y*w : (y+1)*w]
		cur := len(runs)
		for x := 0; x < w; {
			if row[x] != want {
				x++
				continue
			}
			x0 := x
			for x < w && row[x] == want {
				x++
			}
			r := int32(len(runs))
			runs = append(runs, run{int32(y), int32(x0), int32(x)})
			parent = append(parent, r)
			for k := prev; k < cur; k++ {
				a := runs[k]
				if a.x1+reach > int32(x0) && int32(x)+reach > a.x0 {
					ra, rb := find(int32(k)), find(r)
					if ra != rb {
						parent[max(ra, rb)] = min(ra, rb) // the root is a region's first run
					}
				}
			}
		}
		prev = cur
	}
	return runs, find
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

// Holes labels 1, 2, … the holes of a w×h mask — its 4-connected background regions (mask < 0.5)
// that do not reach the border — in the raster order of each hole's first pixel, and 0 every
// other pixel. It labels the background by runs (see label), so it costs about one pass.
func Holes(mask []float32, w, h int) []int32 {
	fg := make([]bool, w*h)
	for i, m := range mask[:w*h] {
		fg[i] = m >= 0.5
	}
	labels, sizes := label(fg, w, h, false, false)
	border := make([]bool, len(sizes))
	edge := func(i int) {
		if l := labels[i]; l >= 0 {
			border[l] = true
		}
	}
	for x := range w {
		edge(x)
		edge((h-1)*w + x)
	}
	for y := range h {
		edge(y * w)
		edge(y*w + w - 1)
	}
	hole := make([]int32, len(sizes)) // region label → hole number, 0 for a region on the border
	n := int32(0)
	for l, b := range border {
		if !b {
			n++
			hole[l] = n
		}
	}
	out := make([]int32, w*h)
	for i, l := range labels {
		if l >= 0 {
			out[i] = hole[l]
		}
	}
	return out
}
