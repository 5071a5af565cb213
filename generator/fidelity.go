package generator

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/internal/par"
	"github.com/orfeas3d/orfeas/internal/raster"
	"github.com/orfeas3d/orfeas/mesh"
)

// The fidelity self-check measures how well a finished mesh stands for its image, from two things
// only: the prepared working image (its foreground mask and the height source the mode promises to
// follow) and the final mesh, whose top view is rasterised here onto the working grid. It does not
// look at how the mode built the mesh, so a defect in a backend shows up in the figures.

// Fidelity holds the figures of the self-check (see Report.Fidelity). Figures that do not apply to
// a mode are nil.
type Fidelity struct {
	// SilhouetteIoU is the intersection over union of the mesh's top-view coverage with the
	// foreground mask, on the working grid (extrude, inflate; for an extrusion on a base plate,
	// the raised part's coverage). 1 is a perfect match.
	SilhouetteIoU *float64 `json:"silhouette_iou,omitempty"`
	// HeightCorrelation is the rank (Spearman) correlation between the top surface's height and
	// the height source the mode follows, HeightSource, lightly blurred (relief, flat
	// lithophane). 1 is a perfect match.
	HeightCorrelation *float64 `json:"height_correlation,omitempty"`
	// HeightSource names that source: "brightness", "darkness", "depth", or "subject, then
	// brightness" for a relief whose foreground is raised.
	HeightSource string `json:"height_source,omitempty"`
	// Blank is true when the image has content but the model's surface does not show it.
	Blank bool `json:"blank"`
	// Pieces is the number of separate solids in the mesh, and SubjectParts the number of
	// connected parts of the image's foreground (1 without a mask).
	Pieces       int `json:"pieces"`
	SubjectParts int `json:"subject_parts"`
	// Floating counts the pieces whose lowest point is above the model's: they do not touch the
	// print bed.
	Floating int `json:"floating_pieces"`
	// Tunnels is the mesh's genus (handles, holes through it) and SubjectHoles the number of
	// holes in the foreground (background regions enclosed by it).
	Tunnels      int `json:"tunnels"`
	SubjectHoles int `json:"subject_holes"`
	// ThicknessRatio is the model's extent along Z over the smaller of its extents along X and Y.
	ThicknessRatio float64 `json:"thickness_ratio"`
	// BedContact is the share of the top-view footprint where the model's underside lies on its
	// lowest plane, the print bed.
	BedContact float64 `json:"bed_contact"`
	// StrokesWidenedTo is, where the foreground had strokes narrower than Request.MinStrokeWidth
	// (extrude, inflate), the width in mm they were widened to, and StrokesWidened the share of
	// the widened foreground that widening added; SilhouetteIoU is then measured against the
	// widened outline, the shape that was meant to print. Zero: nothing was widened.
	StrokesWidenedTo float64 `json:"strokes_widened_to_mm,omitempty"`
	StrokesWidened   float64 `json:"strokes_widened_share,omitempty"`
	// Spikes is the share of the top surface that deviates from its own 3×3 median by more than a
	// quarter of the surface's height range: needles and pits.
	Spikes float64 `json:"spikes"`
}

// WarningKind names a kind of fidelity problem.
type WarningKind string

// The fidelity warnings; Warning.Message says each in words.
const (
	WarnBlank      WarningKind = "blank"
	WarnSilhouette WarningKind = "silhouette"
	WarnHeight     WarningKind = "height"
	WarnPieces     WarningKind = "pieces"
	WarnFloating   WarningKind = "floating"
	WarnTunnels    WarningKind = "tunnels"
	WarnThick      WarningKind = "thick"
	WarnBedContact WarningKind = "bed_contact"
	WarnSpikes     WarningKind = "spikes"
)

// Thresholds of the warnings.
const (
	minIoU            = 0.9
	minCorrelation    = 0.5
	maxThicknessRatio = 0.6
	minBedContact     = 0.15
	maxSpikes         = 0.01
)

// Warning is one fidelity problem of a Result, for the user.
type Warning struct {
	Kind    WarningKind `json:"kind"`
	Message string      `json:"message"`
}

// ErrNoSubject is wrapped (through *NoSubjectError) when the image has no usable subject for the
// mode: nothing to build, or a result that would not show the image. Generate never returns
// such a mesh as a success.
var ErrNoSubject = fmt.Errorf("generator: no usable subject in the image")

// NoSubjectError says why an image has no usable subject for Mode.
type NoSubjectError struct {
	Mode   Mode
	Reason string
}

func (e *NoSubjectError) Error() string {
	return fmt.Sprintf("%v for %s: %s", ErrNoSubject, e.Mode, e.Reason)
}

// Is makes errors.Is(err, ErrNoSubject) hold.
func (e *NoSubjectError) Is(target error) bool { return target == ErrNoSubject }

// topView maps the working grid onto the final mesh's plane: pixel (i, j), j from the image's
// top, stands at X = ax + i·bx, Y = ay − j·by.
type topView struct {
	w, h           int
	ax, bx, ay, by float64
}

// viewFor returns the top view of pl's final mesh on p's grid, given how place moved the
// backend's mesh (a), and false for a cylinder lithophane, which
// has no top view.
func viewFor(pl *plan, p *prepared, a mesh.Affine) (topView, bool) {
	v := topView{w: p.w, h: p.h}
	switch {
	case pl.fullFrame():
		v.bx = pl.widthMM / float64(max(p.w-1, 1))
		v.by = pl.heightMM / float64(max(p.h-1, 1))
		v.ay = float64(p.h-1) * v.by
		return v, true
	case silhouette(pl.mode):
		// The backends put pixel (i, j)'s centre at ((i+½)·px, (h−j−½)·px), y up.
		px := p.pixelSize
		o := a.Apply([3]float32{0, 0, 0})
		e := a.Apply([3]float32{1, 1, 0})
		sx, sy := float64(e[0]-o[0]), float64(e[1]-o[1])
		v.ax, v.bx = float64(o[0])+0.5*px*sx, px*sx
		v.ay, v.by = float64(o[1])+(float64(p.h)-0.5)*px*sy, px*sy
		return v, true
	}
	return v, false
}

// topRaster is the top view of a mesh: per pixel, the highest upward surface and the lowest downward
// one, NaN where the mesh does not cover the pixel's centre.
type topRaster struct {
	top, bottom []float32
}

// rasterBand is the number of grid rows one worker of rasterise fills at a time.
const rasterBand = 32

// rasterise projects m's faces onto v: the faces are binned by the bands of rasterBand rows
// their bounding boxes cross, then each band is filled by one worker, so that every pixel is
// written by one goroutine and, the top being a maximum and the bottom a minimum, the result
// does not depend on the order or the number of workers. ctx is checked between bands.
func rasterise(ctx context.Context, m *mesh.Mesh, v topView) (topRaster, error) {
	n := v.w * v.h
	r := topRaster{top: make([]float32, n), bottom: make([]float32, n)}
	nan := float32(math.NaN())
	for i := range n {
		r.top[i], r.bottom[i] = nan, nan
	}
	// Grid coordinates of every vertex, once.
	g := make([][3]float64, len(m.Positions))
	for i, p := range m.Positions {
		g[i] = [3]float64{(float64(p[0]) - v.ax) / v.bx, (v.ay - float64(p[1])) / v.by, float64(p[2])}
	}
	nb := (v.h + rasterBand - 1) / rasterBand
	count := make([]int32, nb+1)
	span := func(f [3]uint32) (int, int, bool) {
		y0 := min(g[f[0]][1], g[f[1]][1], g[f[2]][1])
		y1 := max(g[f[0]][1], g[f[1]][1], g[f[2]][1])
		j0 := max(0, int(math.Ceil(y0-1e-6)))
		j1 := min(v.h-1, int(math.Floor(y1+1e-6)))
		return j0 / rasterBand, j1 / rasterBand, j0 <= j1
	}
	for _, f := range m.Faces {
		if b0, b1, ok := span(f); ok {
			for b := b0; b <= b1; b++ {
				count[b+1]++
			}
		}
	}
	for b := range nb {
		count[b+1] += count[b]
	}
	bins := make([]int32, count[nb])
	fill := slices.Clone(count[:nb])
	for fi, f := range m.Faces {
		if b0, b1, ok := span(f); ok {
			for b := b0; b <= b1; b++ {
				bins[fill[b]] = int32(fi)
				fill[b]++
			}
		}
	}
	par.For(nb, runtime.GOMAXPROCS(0), func(b int) {
		if ctx.Err() != nil {
			return
		}
		lo, hi := b*rasterBand, min((b+1)*rasterBand, v.h)-1
		for _, fi := range bins[count[b]:count[b+1]] {
			f := m.Faces[fi]
			rasterFace(&r, v.w, g[f[0]], g[f[1]], g[f[2]], lo, hi)
		}
	})
	return r, ctx.Err()
}

// rasterSpanMin is the bounding box width, in pixels, from which rasterFace bounds each row's
// span before testing its pixels; a narrower triangle's rows are tested whole, which costs less
// than finding their spans.
const rasterSpanMin = 8

// rasterFace fills the pixel centres of rows lo..hi that the triangle a, b, c (grid x, y and z)
// covers into r: into top where it faces up, bottom where it faces down.
//
// A pixel is covered when its three barycentric weights, evaluated as below, are all at least
// −1e-7. The weights are affine in x along a row, so each row's covered pixels lie in one span,
// which the row's edge functions bound (a scanline rasteriser: Pineda, "A Parallel Algorithm for
// Polygon Rasterization", SIGGRAPH 1988): the span is widened by a tolerance far above the
// weights' rounding error and by a pixel on each side, and only its pixels are tested, by the
// same expressions as the whole bounding box's were, so the pixels filled and their heights are
// the same, bit for bit (TestRasterFaceMatchesBox), and a long sliver no longer pays for its
// box. Narrow triangles (rasterSpanMin) are tested over their whole box.
func rasterFace(r *topRaster, w int, a, b, c [3]float64, lo, hi int) {
	ax, ay, bx, by, cx, cy := a[0], a[1], b[0], b[1], c[0], c[1]
	// Area in grid coordinates; j runs downwards, so an upward (CCW from above) face has a
	// negative signed area here.
	area := (bx-ax)*(cy-ay) - (cx-ax)*(by-ay)
	if math.Abs(area) < 1e-12 {
		return
	}
	up := area < 0
	i0 := max(0, int(math.Ceil(min(ax, bx, cx)-1e-9)))
	i1 := min(w-1, int(math.Floor(max(ax, bx, cx)+1e-9)))
	j0 := max(lo, int(math.Ceil(min(ay, by, cy)-1e-9)))
	j1 := min(hi, int(math.Floor(max(ay, by, cy)+1e-9)))
	if i0 > i1 || j0 > j1 {
		return
	}
	// The barycentric weights are affine in x and y: w0 = e0 + dx0·x + dy0·y, and so on.
	inv := 1 / area
	dx0, dy0 := (by-cy)*inv, (cx-bx)*inv
	e0 := (bx*cy - cx*by) * inv
	dx1, dy1 := (cy-ay)*inv, (ax-cx)*inv
	e1 := (cx*ay - ax*cy) * inv
	za, zb, zc := a[2], b[2], c[2]
	const eps = -1e-7
	wide := i1-i0 >= rasterSpanMin
	// tol bounds, with a wide margin, how far the evaluated weights may stray from the exact
	// ones: a few units in the last place of their largest terms. slope holds the weights'
	// slopes along a row, ia their reciprocals (0 for a flat one).
	var tol float64
	var slope, ia [3]float64
	if wide {
		X, Y := float64(i1)+1, float64(j1)+1
		tol = 1e-9 * (1 + math.Abs(e0) + math.Abs(dx0)*X + math.Abs(dy0)*Y + math.Abs(e1) + math.Abs(dx1)*X + math.Abs(dy1)*Y)
		slope = [3]float64{dx0, dx1, -dx0 - dx1}
		for k, ak := range slope {
			// A slope so small that its reciprocal overflows (subnormal) is taken as flat: over
			// the raster it changes the weight by far less than tol, and t·Inf would be NaN
			// where t is 0.
			if r := 1 / ak; ak != 0 && !math.IsInf(r, 0) {
				ia[k] = r
			} else {
				slope[k] = 0
			}
		}
	}
	top, bottom := r.top, r.bottom
	for j := j0; j <= j1; j++ {
		y := float64(j)
		s0, s1 := i0, i1
		if wide {
			// The span of x where every weight is at least eps − tol, in exact arithmetic
			// close enough: w_k(x) = c_k + a_k·x.
			xl, xr := float64(i0), float64(i1)
			c0, c1 := e0+dy0*y, e1+dy1*y
			empty := false
			for k, ck := range [3]float64{c0, c1, 1 - c0 - c1} {
				switch t := eps - tol - ck; {
				case slope[k] > 0:
					xl = max(xl, t*ia[k])
				case slope[k] < 0:
					xr = min(xr, t*ia[k])
				case t > 0:
					empty = true // constant along the row, and below
				}
			}
			if empty || xl > xr+2 { // xr+2: the span is widened by a pixel on each side below
				continue
			}
			s0 = max(i0, int(math.Ceil(max(xl, float64(i0)-1)))-1)
			s1 = min(i1, int(math.Floor(min(xr, float64(i1)+1)))+1)
		}
		row := j * w
		for i := s0; i <= s1; i++ {
			x := float64(i)
			w0 := e0 + dx0*x + dy0*y
			w1 := e1 + dx1*x + dy1*y
			w2 := 1 - w0 - w1
			if w0 < eps || w1 < eps || w2 < eps {
				continue
			}
			z := float32(w0*za + w1*zb + w2*zc)
			k := row + i
			if up {
				if !(top[k] >= z) {
					top[k] = z
				}
			} else if !(bottom[k] <= z) {
				bottom[k] = z
			}
		}
	}
}

// fidelityInput is what the self-check compares the mesh with.
type fidelityInput struct {
	mode      backends.Mode
	mask      []float32 // nil: no foreground
	source    []float32 // the height source, oriented so that higher means higher (nil: none)
	srcName   string
	w, h      int
	plate     float64 // an extrusion's base plate top in mm (0: no plate)
	expectOne bool    // the mode makes one piece whatever the foreground (relief, lithophane, plate)
}

// checkFidelity computes the self-check's figures for the final mesh m of in, seen through v (ok
// false: no top view), all but Tunnels, the topology's genus (see selfCheck).
func checkFidelity(ctx context.Context, m *mesh.Mesh, in fidelityInput, v topView, ok bool) (Fidelity, error) {
	var f Fidelity
	b := m.Bounds()
	s := b.Size()
	if planar := math.Min(float64(s[0]), float64(s[1])); planar > 0 {
		f.ThicknessRatio = float64(s[2]) / planar
	}
	// The mask's parts and holes (serial, on the image) are counted beside the mesh's shells
	// and top view; the call waits for them whatever happens.
	f.SubjectParts, f.SubjectHoles = 1, 0
	parts := make(chan struct{})
	if in.mask != nil {
		go func() {
			defer close(parts)
			f.SubjectParts, f.SubjectHoles = maskParts(in.mask, in.w, in.h)
		}()
	} else {
		close(parts)
	}
	f.Pieces, f.Floating = shells(m, float64(b.Min[2]), 1e-3*math.Max(float64(s[2]), 1))
	if !ok {
		<-parts
		f.BedContact = 1
		return f, nil
	}
	r, err := rasterise(ctx, m, v)
	<-parts
	if err != nil {
		return f, err
	}
	zmin := b.Min[2]
	bedEps := float32(1e-3 * math.Max(float64(s[2]), 1))
	covered, onBed := 0, 0
	var tlo, thi float32 = math.MaxFloat32, -math.MaxFloat32
	for k, z := range r.top {
		if z != z {
			continue
		}
		covered++
		tlo, thi = min(tlo, z), max(thi, z)
		if bz := r.bottom[k]; bz == bz && bz <= zmin+bedEps {
			onBed++
		}
	}
	if covered > 0 {
		f.BedContact = float64(onBed) / float64(covered)
	}
	depth := float64(thi - tlo)
	f.Spikes = spikes(r.top, v.w, v.h, depth)

	switch in.mode {
	case backends.Extrude, backends.Inflate:
		iou := 0.0
		if in.mask != nil {
			inter, union := 0, 0
			for k, z := range r.top {
				c := z == z && (in.plate == 0 || float64(z) > in.plate+1e-3)
				fg := in.mask[k] >= 0.5
				if c && fg {
					inter++
				}
				if c || fg {
					union++
				}
			}
			if union > 0 {
				iou = float64(inter) / float64(union)
			}
		} else if covered > 0 {
			iou = float64(covered) / float64(v.w*v.h)
		}
		f.SilhouetteIoU = &iou
		f.Blank = covered == 0 || iou < 0.2
	default:
		if in.source != nil {
			c := heightCorrelation(r.top, in.source, in.w, in.h, 1)
			f.HeightCorrelation, f.HeightSource = &c, in.srcName
			// Blank: the source varies but the surface is (nearly) flat.
			if stddev(in.source) > 0.02 && depth < 0.02*math.Max(float64(s[0]), float64(s[1]))/100 {
				f.Blank = true
			}
		}
	}
	return f, nil
}

// warnings turns f's figures for mode into the problems a user should hear about.
func warnings(f Fidelity, mode backends.Mode, expectOne bool) []Warning {
	var ws []Warning
	add := func(k WarningKind, format string, a ...any) {
		ws = append(ws, Warning{Kind: k, Message: fmt.Sprintf(format, a...)})
	}
	if f.Blank {
		add(WarnBlank, "the model is blank: the image's content does not show on its surface")
	}
	if f.SilhouetteIoU != nil && *f.SilhouetteIoU < minIoU {
		add(WarnSilhouette, "the model's outline matches the image's subject only %.0f %% (silhouette IoU %.2f)", 100**f.SilhouetteIoU, *f.SilhouetteIoU)
	}
	if f.HeightCorrelation != nil && *f.HeightCorrelation < minCorrelation {
		add(WarnHeight, "the surface follows the image's %s only weakly (rank correlation %.2f)", f.HeightSource, *f.HeightCorrelation)
	}
	want := f.SubjectParts
	if expectOne {
		want = 1
	}
	if f.Pieces > want {
		add(WarnPieces, "the model is %d separate pieces where the image's subject has %d", f.Pieces, want)
	}
	if f.Floating > 0 {
		add(WarnFloating, "%d of the model's %d pieces do not touch the print bed", f.Floating, f.Pieces)
	}
	holes := f.SubjectHoles
	if expectOne && mode != backends.Extrude {
		holes = 0
	}
	if f.Tunnels > holes {
		add(WarnTunnels, "the model has %d holes through it where the image has %d", f.Tunnels, holes)
	}
	if mode == backends.Inflate && f.ThicknessRatio > maxThicknessRatio {
		add(WarnThick, "the model is %.0f %% as thick as it is wide: a lump rather than the image's shape", 100*f.ThicknessRatio)
	}
	if f.BedContact < minBedContact {
		add(WarnBedContact, "only %.0f %% of the model's footprint rests on the print bed", 100*f.BedContact)
	}
	if f.Spikes > maxSpikes {
		add(WarnSpikes, "%.1f %% of the surface is needles or pits (spikes)", 100*f.Spikes)
	}
	return ws
}

// shells returns the number of connected pieces of m (faces sharing a vertex) and how many of
// them have their lowest vertex more than eps above zmin.
func shells(m *mesh.Mesh, zmin, eps float64) (pieces, floating int) {
	parent := make([]int32, len(m.Positions))
	for i := range parent {
		parent[i] = int32(i)
	}
	var find func(int32) int32
	find = func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	used := make([]bool, len(m.Positions))
	for _, f := range m.Faces {
		a := find(int32(f[0]))
		for _, v := range f {
			used[v] = true
			if b := find(int32(v)); b != a {
				parent[b] = a
			}
		}
	}
	low := make([]float32, len(m.Positions))
	for i := range low {
		low[i] = float32(math.Inf(1))
	}
	for i, p := range m.Positions {
		if used[i] {
			r := find(int32(i))
			low[r] = min(low[r], p[2])
		}
	}
	for i, z := range low {
		if used[i] && parent[i] == int32(i) {
			pieces++
			if float64(z) > zmin+eps {
				floating++
			}
		}
	}
	return pieces, floating
}

// maskParts returns the 8-connected components of mask ≥ 0.5 and the 4-connected background
// regions that do not reach the border (holes).
func maskParts(mask []float32, w, h int) (parts, holes int) {
	fg := make([]bool, len(mask))
	for i, v := range mask {
		fg[i] = v >= 0.5
	}
	parts, _ = raster.Components(fg, w, h, true, true)
	_, holes = raster.Components(fg, w, h, false, false)
	return parts, holes
}

// spikes returns the share of covered pixels of top (NaN: not covered) that are needles or pits:
// strictly above (below) every other pixel of their 3×3 neighbourhood, all of their 5×5 one covered, and
// farther than depth/4 from its median.
//
// A strict extreme is rare on a surface, so each pixel is first tested against the largest and
// smallest of its eight neighbours, one pass over three rows; only a strict extreme pays for the
// 5×5 coverage test and the median (a sort of nine). The tests are the same predicates in another
// order, so the figure is the same bit for bit (TestSpikesMatchesReference).
func spikes(top []float32, w, h int, depth float64) float64 {
	if depth <= 0 {
		return 0
	}
	lim := float32(depth / 4)
	// Bands of rows in parallel, counted per band and summed in order.
	const band = 16
	nb := (h + band - 1) / band
	bands := make([][2]int, nb)
	par.For(nb, runtime.GOMAXPROCS(0), func(b int) {
		n, bad := 0, 0
		for y := b * band; y < min((b+1)*band, h); y++ {
			row := top[y*w : (y+1)*w]
			if y == 0 || y == h-1 || w < 3 {
				// A border row has no full 3×3 neighbourhood: only its covered pixels count.
				for _, z := range row {
					if z == z {
						n++
					}
				}
				continue
			}
			up, down := top[(y-1)*w:y*w], top[(y+1)*w:(y+2)*w]
			if z := row[0]; z == z {
				n++
			}
			if z := row[w-1]; z == z {
				n++
			}
			for x := 1; x < w-1; x++ {
				z := row[x]
				if z != z {
					continue
				}
				n++
				// The eight neighbours' extremes; a NaN among them (a pixel not covered) makes
				// both NaN and both comparisons false, as a neighbourhood of fewer than 9 was.
				a, c := row[x-1], row[x+1]
				hi := max(up[x-1], up[x], up[x+1], a, c, down[x-1], down[x], down[x+1])
				lo := min(up[x-1], up[x], up[x+1], a, c, down[x-1], down[x], down[x+1])
				if !(z > hi) && !(z < lo) {
					continue // not a strict extreme (or a neighbour is not covered)
				}
				if !coveredAround(top, w, h, x, y, 2) {
					continue // near the outline the surface may drop: no spike
				}
				nb := [9]float32{up[x-1], up[x], up[x+1], a, z, c, down[x-1], down[x], down[x+1]}
				s := nb[:]
				slices.Sort(s)
				// A needle or a pit is a strict extreme of its neighbourhood (a thin ridge, such as a
				// stroke, has neighbours along it as high) far from the neighbourhood's median.
				if d := z - s[4]; (d > lim && z > hi) || (d < -lim && z < lo) {
					bad++
				}
			}
		}
		bands[b] = [2]int{n, bad}
	})
	n, bad := 0, 0
	for _, r := range bands {
		n += r[0]
		bad += r[1]
	}
	if n == 0 {
		return 0
	}
	return float64(bad) / float64(n)
}

// coveredAround reports whether every pixel within r of (x, y) (a square) is inside the w×h
// grid and covered (not NaN) in top.
func coveredAround(top []float32, w, h, x, y, r int) bool {
	if x < r || y < r || x >= w-r || y >= h-r {
		return false
	}
	for yy := y - r; yy <= y+r; yy++ {
		for _, v := range top[yy*w+x-r : yy*w+x+r+1] {
			if v != v {
				return false
			}
		}
	}
	return true
}

// kernel returns the Gaussian of sigma px sampled at −r..r, r = ⌈3σ⌉, and its sum.
func kernel(sigma float64) (k []float64, r int, sum float64) {
	r = int(math.Ceil(3 * sigma))
	k = make([]float64, 2*r+1)
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += k[i]
	}
	return k, r, sum
}

// blurredAt returns, at each pixel idx[i] of the w×h plane p, the value of p blurred by a
// Gaussian of sigma px: the separable blur's horizontal pass then its vertical one, each pixel's
// sums taken in the order of a whole-plane pass (blurredWhole in the tests), so the values are
// that plane's bit for bit, without the three planes of it.
func blurredAt(p []float32, w, h int, sigma float64, idx []int) []float32 {
	k, r, sum := kernel(sigma)
	out := make([]float32, len(idx))
	const chunk = 1024
	par.For((len(idx)+chunk-1)/chunk, runtime.GOMAXPROCS(0), func(c int) {
		for i := c * chunk; i < min((c+1)*chunk, len(idx)); i++ {
			y, x := idx[i]/w, idx[i]%w
			var s float64
			for j, kv := range k {
				row := p[min(max(y+j-r, 0), h-1)*w:][:w]
				var t float64
				for l, kl := range k {
					t += kl * float64(row[min(max(x+l-r, 0), w-1)])
				}
				t = t / sum
				s += kv * t
			}
			out[i] = float32(s / sum)
		}
	})
	return out
}

// maxCorrelationSamples bounds the pixels rankCorrelation ranks: every k-th covered pixel.
const maxCorrelationSamples = 1 << 16

// correlationSamples returns the pixels heightCorrelation ranks: every k-th of those where a is
// not NaN, k the least step that leaves at most maxCorrelationSamples of them.
func correlationSamples(a []float32) []int {
	n := 0
	for _, v := range a {
		if v == v {
			n++
		}
	}
	step := max(1, (n+maxCorrelationSamples-1)/maxCorrelationSamples)
	idx := make([]int, 0, (n+step-1)/step)
	c := 0
	for i, v := range a {
		if v == v {
			if c%step == 0 {
				idx = append(idx, i)
			}
			c++
		}
	}
	return idx
}

// heightCorrelation returns Spearman's rank correlation between the top view a and the w×h plane
// src blurred by a Gaussian of sigma px, over the pixels where a is not NaN, every k-th of them
// (correlationSamples); 0 when either is constant there: the Pearson correlation of their
// ranks, ties given their mean rank. The blur is computed at the sampled pixels only
// (blurredAt).
func heightCorrelation(a, src []float32, w, h int, sigma float64) float64 {
	idx := correlationSamples(a)
	if len(idx) < 3 {
		return 0
	}
	b := blurredAt(src, w, h, sigma, idx)
	seq := make([]int, len(idx))
	for i := range seq {
		seq[i] = i
	}
	var ra, rb []float64
	var wg sync.WaitGroup
	wg.Go(func() { ra = ranks(idx, a) })
	rb = ranks(seq, b)
	wg.Wait()
	var ma, mb float64
	for i := range ra {
		ma += ra[i]
		mb += rb[i]
	}
	ma /= float64(len(ra))
	mb /= float64(len(rb))
	var sab, saa, sbb float64
	for i := range ra {
		da, db := ra[i]-ma, rb[i]-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	if saa == 0 || sbb == 0 {
		return 0
	}
	return sab / math.Sqrt(saa*sbb)
}

// ranks returns the ranks of v at idx (no NaN among them), ties sharing their mean rank.
//
// The values are ordered by a least-significant-digit radix sort (Knuth, The Art of Computer
// Programming vol. 3, §5.2.5) of their IEEE 754 bits mapped to unsigned integers in the same
// order, the position riding in the low half of each 64-bit key: four counting passes of a byte,
// a pass skipped where every key shares that byte. Equal values are contiguous in any correct
// order and each tie's rank is its mean position, so the ranks are those of any comparison sort,
// bit for bit (TestRanksMatchReference).
func ranks(idx []int, v []float32) []float64 {
	n := len(idx)
	if n == 0 {
		return nil
	}
	keys := make([]uint64, n)
	for i, k := range idx {
		keys[i] = uint64(orderedBits(v[k]))<<32 | uint64(i)
	}
	tmp := make([]uint64, n)
	for shift := 32; shift < 64; shift += 8 {
		var count [257]int
		for _, k := range keys {
			count[int(byte(k>>shift))+1]++
		}
		if count[int(byte(keys[0]>>shift))+1] == n {
			continue // every key has this byte: the pass would change nothing
		}
		for d := range 256 {
			count[d+1] += count[d]
		}
		for _, k := range keys {
			d := byte(k >> shift)
			tmp[count[d]] = k
			count[d]++
		}
		keys, tmp = tmp, keys
	}
	r := make([]float64, n)
	val := func(i int) float32 { return v[idx[uint32(keys[i])]] }
	for i := 0; i < n; {
		j := i
		for j+1 < n && val(j+1) == val(i) { // −0 and +0, adjacent in the order, are a tie
			j++
		}
		mean := float64(i+j) / 2
		for k := i; k <= j; k++ {
			r[uint32(keys[k])] = mean
		}
		i = j + 1
	}
	return r
}

// orderedBits maps f to an unsigned integer that orders as f does (−0 just below +0): the sign
// bit set for a positive value, every bit flipped for a negative one.
func orderedBits(f float32) uint32 {
	b := math.Float32bits(f)
	if b>>31 != 0 {
		return ^b
	}
	return b | 1<<31
}

// stddev returns the standard deviation of p.
func stddev(p []float32) float64 {
	if len(p) == 0 {
		return 0
	}
	var s, ss float64
	for _, v := range p {
		s += float64(v)
		ss += float64(v) * float64(v)
	}
	m := s / float64(len(p))
	return math.Sqrt(max(ss/float64(len(p))-m*m, 0))
}
