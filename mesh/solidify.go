package mesh

// Solidify rebuilds an arbitrary triangle soup as a closed solid by volumetric resampling, after
// F. S. Nooruddin and G. Turk, "Simplification and Repair of Polygonal Models Using Volumetric
// Techniques" (IEEE TVCG 9(2), 2003): inside/outside is decided on a voxel grid by ray-parity
// voting, a signed distance field is built from that sign and the exact distance to the source
// triangles near the surface, and the existing marching cubes (Isosurface) extracts its zero set,
// which is closed and 2-manifold by construction.
//
//  1. Grid. The voxel is the longest side of the source's bounds over Resolution (or Voxel given),
//     with two voxels of padding on every side so that the border samples are outside.
//  2. Sign. For each axis, a ray along that axis through every line of samples collects its
//     crossings with the source triangles (an exact 2D point-in-triangle test with a top-left tie
//     rule, so a ray through a shared edge or vertex of a closed mesh counts once). A sample is
//     inside along that axis when an odd number of crossings lie before it. A line with an odd
//     total has passed through a hole: it abstains. A sample is inside when more axes say inside
//     than outside. Duplicate faces cancel out, floaters and holes are outvoted.
//  3. Distance. Every sample within one voxel of a triangle's bounds gets its exact distance to the
//     nearest triangle (Ericson, "Real-Time Collision Detection", 5.1.5) and that triangle's
//     index; farther samples get one voxel. The field is sign·distance.
//  4. Surface. Isosurface at level 0, then Simplify to the face budget; slivers left at the
//     degenerate threshold are mended by Repair. Each vertex then takes the source's colour at the
//     nearest point of its nearest triangle (vertex colours interpolated, or the texture at the
//     interpolated UV): the triangle recorded at the corners of its cell, or, for a vertex over a
//     bridged hole, the one an exact ring search of a coarse face grid finds.
//
// The result's distance to the source is measured both ways (SurfaceDeviation) and reported.

import (
	"cmp"
	"context"
	"fmt"
	"image"
	"math"
	"runtime"
	"slices"
	"time"

	"github.com/orfeas3d/orfeas/internal/par"
)

// DefaultSolidifyResolution is the voxels along the longest side used when SolidifyOptions sets
// neither Resolution nor Voxel.
const DefaultSolidifyResolution = 192

// MaxSolidifyResolution bounds SolidifyOptions.Resolution (and the resolution a Voxel implies):
// a 512³ grid already holds 134 M samples, about 1 GiB of field and nearest-face indices.
const MaxSolidifyResolution = 512

// SolidifyOptions controls Solidify. The zero value means DefaultSolidifyResolution, no budget.
type SolidifyOptions struct {
	// Resolution is the number of voxels along the longest side of the source's bounds
	// (default DefaultSolidifyResolution, at most MaxSolidifyResolution).
	Resolution int
	// Voxel, when positive, is the voxel size in mm; it overrides Resolution.
	Voxel float64
	// FaceBudget, when positive, is the most faces the result may have: it is simplified to it.
	FaceBudget int
}

// SolidifyReport says what Solidify did and how far its result departs from the source.
type SolidifyReport struct {
	// Voxel is the voxel size used, in mm; Grid the sample counts along X, Y and Z.
	Voxel float64 `json:"voxel_mm"`
	Grid  [3]int  `json:"grid"`
	// InsideSamples counts the samples voted inside.
	InsideSamples int `json:"inside_samples"`
	// LeakyRays counts the sample lines (of all three axes) that crossed the source an odd
	// number of times, so passed through a hole, and abstained.
	LeakyRays int `json:"leaky_rays"`
	// FacesBefore is the source's face count, FacesExtracted the marching cubes' and FacesAfter
	// the result's.
	FacesBefore    int `json:"faces_before"`
	FacesExtracted int `json:"faces_extracted"`
	FacesAfter     int `json:"faces_after"`
	// MendedSlivers counts the degenerate slivers dropped (and their holes mended) at the end.
	MendedSlivers int `json:"mended_slivers,omitempty"`
	// Simplify reports the simplification to the budget, when one was made.
	Simplify *SimplifyReport `json:"simplify,omitempty"`
	// Hausdorff is the larger of the two one-sided distances, in mm, between the source's and the
	// result's surfaces, each sampled at the vertices of one of them (see SurfaceDeviation);
	// SourceToResult (SurfaceDeviation from the source's vertices) and ResultToSource are the
	// two, MeanDistance the mean of the source's vertices' distances to the result.
	Hausdorff      float64 `json:"hausdorff_mm"`
	SourceToResult float64 `json:"source_to_result_mm"`
	ResultToSource float64 `json:"result_to_source_mm"`
	MeanDistance   float64 `json:"mean_distance_mm"`
	// BridgedVertices counts the result's vertices farther than a voxel from every source
	// face: where the result closes a hole or a gap. ResultToSource is measured at them by an
	// exact search, at the others from the nearest faces the grid recorded around them.
	BridgedVertices int `json:"bridged_vertices"`
	// ColorsCarried is set when the source had colours or a texture and the result carries them
	// as vertex colours.
	ColorsCarried bool `json:"colors_carried"`
	// Elapsed is the time Solidify took.
	Elapsed time.Duration `json:"elapsed_ns"`
}

// Solidify returns a closed, outward-oriented solid that follows m's surface to within about a
// voxel, whatever m's defects (holes, non-manifold edges, duplicate or degenerate faces,
// inconsistent winding, self-intersections), and a report; see the top of solidify.go for the
// method. Thin parts below a voxel may vanish and gaps below a voxel may close. Colours (vertex
// colours, or a texture through UVs) become vertex colours; the result has no UVs or texture.
//
// The input is not modified. The result is the same for the same input and options on every
// GOMAXPROCS. Errors wrap ErrInvalid for an invalid or empty mesh, ErrInvalidOptions for bad
// options, or are the context's error; ctx is checked in every long loop.
func Solidify(ctx context.Context, m *Mesh, opt SolidifyOptions) (*Mesh, SolidifyReport, error) {
	start := time.Now()
	var rep SolidifyReport
	if m == nil {
		return nil, rep, fmt.Errorf("%w: nil mesh", ErrInvalid)
	}
	if err := m.Validate(); err != nil {
		return nil, rep, fmt.Errorf("mesh: solidify: %w", err)
	}
	if opt.Resolution < 0 || opt.Resolution > MaxSolidifyResolution || badFloat(opt.Voxel) || opt.Voxel < 0 || opt.FaceBudget < 0 {
		return nil, rep, fmt.Errorf("%w: solidify resolution %d (at most %d), voxel %v mm, face budget %d",
			ErrInvalidOptions, opt.Resolution, MaxSolidifyResolution, opt.Voxel, opt.FaceBudget)
	}
	rep.FacesBefore = len(m.Faces)
	b := m.Bounds()
	if len(m.Faces) == 0 || b.Empty() {
		return nil, rep, fmt.Errorf("%w: solidify: no faces", ErrInvalid)
	}
	size := b.Size()
	longest := float64(max(size[0], size[1], size[2]))
	if !(longest > 0) {
		return nil, rep, fmt.Errorf("%w: solidify: the mesh has no extent", ErrInvalid)
	}
	voxel := opt.Voxel
	if voxel == 0 {
		voxel = longest / float64(cmp.Or(opt.Resolution, DefaultSolidifyResolution))
	}
	if longest/voxel > MaxSolidifyResolution {
		return nil, rep, fmt.Errorf("%w: voxel %v mm gives %.0f voxels along %v mm, more than %d",
			ErrInvalidOptions, voxel, longest/voxel, longest, MaxSolidifyResolution)
	}
	const pad = 2
	var dims [3]int
	var origin [3]float64
	for a := range 3 {
		dims[a] = int(math.Ceil(float64(size[a])/voxel)) + 1 + 2*pad
		// Centre the source in the grid, so the result does not depend on which corner is first.
		span := float64(dims[a]-1) * voxel
		origin[a] = (float64(b.Min[a])+float64(b.Max[a]))/2 - span/2
	}
	rep.Voxel, rep.Grid = voxel, dims
	s := &solidifier{m: m, dims: dims, origin: origin, voxel: voxel}
	n := dims[0] * dims[1] * dims[2]
	s.votes = make([]int8, n)
	for a := range 3 {
		leaky, err := s.vote(ctx, a)
		if err != nil {
			return nil, rep, fmt.Errorf("mesh: solidify: %w", err)
		}
		rep.LeakyRays += leaky
	}
	if err := s.distances(ctx); err != nil {
		return nil, rep, fmt.Errorf("mesh: solidify: %w", err)
	}
	g := &Grid{NX: dims[0], NY: dims[1], NZ: dims[2], Voxel: voxel, Origin: origin, Values: s.field}
	// No sample sits exactly on the level, so the surface never passes through a sample.
	eps := float32(voxel) * 1e-4
	for i, v := range s.votes {
		if v > 0 {
			rep.InsideSamples++
			g.Values[i] = -max(g.Values[i], eps)
		} else {
			g.Values[i] = max(g.Values[i], eps)
		}
	}
	s.votes = nil
	out, err := Isosurface(ctx, g, 0)
	if err != nil {
		return nil, rep, fmt.Errorf("mesh: solidify: %w", err)
	}
	rep.FacesExtracted = len(out.Faces)
	if len(out.Faces) == 0 {
		return nil, rep, fmt.Errorf("%w: solidify: the mesh encloses no volume at a %.3g mm voxel", ErrInvalid, voxel)
	}
	s.field = nil
	if opt.FaceBudget > 0 && len(out.Faces) > opt.FaceBudget {
		simp, srep, err := Simplify(ctx, out, SimplifyOptions{TargetFaces: opt.FaceBudget})
		if err != nil {
			return nil, rep, fmt.Errorf("mesh: solidify: %w", err)
		}
		out, rep.Simplify = simp, &srep
	}
	if _, err := out.OrientOutward(); err != nil {
		return nil, rep, fmt.Errorf("mesh: solidify: %w", err)
	}
	// Marching cubes' slivers, and simplification's, can sit at the degenerate-face threshold;
	// Repair drops them and mends the 3-edge holes they leave by splitting across the long edge.
	if t := out.Topology(); t.DegenerateFaces > 0 {
		fixed, frep, err := Repair(ctx, out, RepairOptions{WeldTolerance: -1, MinComponentRatio: -1})
		if err != nil {
			return nil, rep, fmt.Errorf("mesh: solidify: %w", err)
		}
		rep.MendedSlivers = frep.DroppedDegenerateFaces
		out = fixed
	}
	if t := out.Topology(); !t.Closed() || !t.Outward {
		return nil, rep, fmt.Errorf("%w: solidify: the rebuilt surface is not closed (%d degenerate faces, %d boundary edges)",
			ErrInvalid, t.DegenerateFaces, t.BoundaryEdges)
	}
	if err := ctx.Err(); err != nil {
		return nil, rep, fmt.Errorf("mesh: solidify: %w", err)
	}
	rep.FacesAfter = len(out.Faces)
	rep.SourceToResult, rep.MeanDistance = SurfaceDeviation(m, out)
	colored := m.Colors != nil || (m.UVs != nil && m.Texture != nil)
	rep.ResultToSource, rep.BridgedVertices = s.measure(ctx, out, colored)
	rep.ColorsCarried = colored
	if err := ctx.Err(); err != nil {
		return nil, rep, fmt.Errorf("mesh: solidify: %w", err)
	}
	rep.Hausdorff = max(rep.SourceToResult, rep.ResultToSource)
	rep.Elapsed = time.Since(start)
	return out, rep, nil
}

// solidifier holds one Solidify call's grid.
type solidifier struct {
	m      *Mesh
	dims   [3]int
	origin [3]float64
	voxel  float64
	votes  []int8    // per sample: +1 per axis saying inside, −1 per axis saying outside
	field  []float32 // unsigned distance to the nearest triangle, capped at one voxel
	near   []int32   // that triangle, or −1
}

func (s *solidifier) index(i, j, k int) int { return i + s.dims[0]*(j+s.dims[1]*k) }

// coord is sample i's coordinate along axis a.
func (s *solidifier) coord(a, i int) float64 { return s.origin[a] + s.voxel*float64(i) }

// vote casts the rays along axis a and adds each line's verdict to votes; it returns how many
// lines abstained.
func (s *solidifier) vote(ctx context.Context, a int) (int, error) {
	u, v := (a+1)%3, (a+2)%3
	nu, nv, na := s.dims[u], s.dims[v], s.dims[a]
	lines := nu * nv
	// Crossings per line, as a CSR: count, then fill, so the work is two passes over the faces.
	count := make([]int32, lines+1)
	each := func(fn func(line int, t float64)) {
		for fi, f := range s.m.Faces {
			if fi&4095 == 0 && ctx.Err() != nil {
				return
			}
			s.crossings(f, a, u, v, fn)
		}
	}
	each(func(line int, _ float64) { count[line+1]++ })
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	for i := range lines {
		count[i+1] += count[i]
	}
	ts := make([]float64, count[lines])
	fill := slices.Clone(count[:lines])
	each(func(line int, t float64) { ts[fill[line]] = t; fill[line]++ })
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	leaky := make([]bool, lines)
	workers := runtime.GOMAXPROCS(0)
	// Lines are grouped by their v index; each group writes its own samples only.
	par.For(nv, workers, func(jv int) {
		if ctx.Err() != nil {
			return
		}
		for ju := range nu {
			line := ju + nu*jv
			xs := ts[count[line]:count[line+1]]
			if len(xs)%2 == 1 {
				leaky[line] = true
				continue
			}
			slices.Sort(xs)
			c := 0
			for ia := range na {
				t := s.coord(a, ia)
				for c < len(xs) && xs[c] < t {
					c++
				}
				var ijk [3]int
				ijk[a], ijk[u], ijk[v] = ia, ju, jv
				idx := s.index(ijk[0], ijk[1], ijk[2])
				if c%2 == 1 {
					s.votes[idx]++
				} else {
					s.votes[idx]--
				}
			}
		}
	})
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, l := range leaky {
		if l {
			n++
		}
	}
	return n, nil
}

// crossings calls fn for every sample line along axis a (indexed ju + nu·jv over axes u, v)
// that passes through face f, with the coordinate along a where it does. The 2D test is exact
// for the float64 edge functions, with a top-left rule for points on an edge, so that the faces
// around a shared edge or vertex count a line once between them.
func (s *solidifier) crossings(f [3]uint32, a, u, v int, fn func(line int, t float64)) {
	p := [3][3]float64{f64(s.m.Positions[f[0]]), f64(s.m.Positions[f[1]]), f64(s.m.Positions[f[2]])}
	// Work in grid units on u and v.
	var q [3][2]float64
	for i := range 3 {
		q[i] = [2]float64{(p[i][u] - s.origin[u]) / s.voxel, (p[i][v] - s.origin[v]) / s.voxel}
	}
	area := (q[1][0]-q[0][0])*(q[2][1]-q[0][1]) - (q[2][0]-q[0][0])*(q[1][1]-q[0][1])
	if area == 0 {
		return // edge-on to the rays: it crosses none of them
	}
	order := [3]int{0, 1, 2}
	if area < 0 {
		order = [3]int{0, 2, 1}
		area = -area
	}
	lo0 := max(0, int(math.Ceil(min(q[0][0], q[1][0], q[2][0]))))
	hi0 := min(s.dims[u]-1, int(math.Floor(max(q[0][0], q[1][0], q[2][0]))))
	lo1 := max(0, int(math.Ceil(min(q[0][1], q[1][1], q[2][1]))))
	hi1 := min(s.dims[v]-1, int(math.Floor(max(q[0][1], q[1][1], q[2][1]))))
	for jv := lo1; jv <= hi1; jv++ {
		for ju := lo0; ju <= hi0; ju++ {
			x, y := float64(ju), float64(jv)
			var w [3]float64
			in := true
			for e := range 3 {
				a0, a1 := q[order[e]], q[order[(e+1)%3]]
				ex, ey := a1[0]-a0[0], a1[1]-a0[1]
				d := ex*(y-a0[1]) - ey*(x-a0[0])
				// Top-left rule for a counter-clockwise triangle: a point on an edge belongs to
				// it when the edge is a top edge (horizontal, going left) or a left one (going down).
				if d < 0 || (d == 0 && !(ey < 0 || (ey == 0 && ex < 0))) {
					in = false
					break
				}
				w[(e+2)%3] = d // the weight of the vertex opposite this edge
			}
			if !in {
				continue
			}
			t := (w[0]*p[order[0]][a] + w[1]*p[order[1]][a] + w[2]*p[order[2]][a]) / area
			fn(ju+s.dims[u]*jv, t)
		}
	}
}

// distances fills field and near: for every sample within a voxel of a face's bounds, the
// distance to the nearest face (ties to the lower index) and that face; one voxel elsewhere.
func (s *solidifier) distances(ctx context.Context) error {
	nx, ny, nz := s.dims[0], s.dims[1], s.dims[2]
	n := nx * ny * nz
	s.field = make([]float32, n)
	s.near = make([]int32, n)
	d2 := make([]float64, n)
	for i := range d2 {
		d2[i] = s.voxel * s.voxel
		s.near[i] = -1
	}
	// Each face's sample box, computed once.
	type box struct{ lo, hi [3]int32 }
	boxes := make([]box, len(s.m.Faces))
	for fi, f := range s.m.Faces {
		var bx box
		for a := range 3 {
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, vi := range f {
				c := float64(s.m.Positions[vi][a])
				lo, hi = min(lo, c), max(hi, c)
			}
			l := int(math.Ceil((lo - s.voxel - s.origin[a]) / s.voxel))
			h := int(math.Floor((hi + s.voxel - s.origin[a]) / s.voxel))
			bx.lo[a], bx.hi[a] = int32(max(0, l)), int32(min(s.dims[a]-1, h))
		}
		boxes[fi] = bx
	}
	// Slabs of z planes, each written by one goroutine; faces are visited in index order within
	// a slab, so ties go to the same face on every GOMAXPROCS.
	const slab = 4
	nslab := (nz + slab - 1) / slab
	par.For(nslab, runtime.GOMAXPROCS(0), func(si int) {
		z0, z1 := int32(si*slab), int32(min(nz, (si+1)*slab)-1)
		for fi, f := range s.m.Faces {
			if fi&4095 == 0 && ctx.Err() != nil {
				return
			}
			bx := boxes[fi]
			if bx.hi[2] < z0 || bx.lo[2] > z1 {
				continue
			}
			a, b, c := f64(s.m.Positions[f[0]]), f64(s.m.Positions[f[1]]), f64(s.m.Positions[f[2]])
			for k := max(bx.lo[2], z0); k <= min(bx.hi[2], z1); k++ {
				for j := bx.lo[1]; j <= bx.hi[1]; j++ {
					for i := bx.lo[0]; i <= bx.hi[0]; i++ {
						p := [3]float64{s.coord(0, int(i)), s.coord(1, int(j)), s.coord(2, int(k))}
						cp, _ := closestOnTriangle(p, a, b, c)
						d := sub3(p, cp)
						dd := dot64(d, d)
						idx := s.index(int(i), int(j), int(k))
						if dd < d2[idx] {
							d2[idx], s.near[idx] = dd, int32(fi)
						}
					}
				}
			}
		}
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, v := range d2 {
		s.field[i] = float32(math.Sqrt(v))
	}
	return nil
}

// colorAt is the source's colour at barycentric weights w on face fi.
func (s *solidifier) colorAt(fi int32, bestW [3]float64, bounds image.Rectangle) [4]uint8 {
	{
		f := s.m.Faces[fi]
		var c [4]uint8
		if s.m.Colors != nil {
			var acc [4]float64
			for k, vv := range f {
				for ch := range 4 {
					acc[ch] += bestW[k] * float64(s.m.Colors[vv][ch])
				}
			}
			for ch := range 4 {
				c[ch] = uint8(min(255, max(0, math.Round(acc[ch]))))
			}
			return c
		}
		var uv [2]float64
		for k, vv := range f {
			uv[0] += bestW[k] * float64(s.m.UVs[vv][0])
			uv[1] += bestW[k] * float64(s.m.UVs[vv][1])
		}
		return sampleTexture(s.m.Texture, bounds, uv)
	}
}

// sampleTexture returns the texel nearest uv (u right, v down, wrapping as glTF's default
// REPEAT does).
func sampleTexture(img image.Image, b image.Rectangle, uv [2]float64) [4]uint8 {
	if b.Empty() {
		return [4]uint8{255, 255, 255, 255}
	}
	u, v := uv[0]-math.Floor(uv[0]), uv[1]-math.Floor(uv[1])
	x := b.Min.X + min(b.Dx()-1, int(u*float64(b.Dx())))
	y := b.Min.Y + min(b.Dy()-1, int(v*float64(b.Dy())))
	r, g, bl, a := img.At(x, y).RGBA()
	if a == 0 {
		return [4]uint8{0, 0, 0, 255}
	}
	// Un-premultiply: vertex colours are straight RGBA.
	return [4]uint8{uint8(r * 255 / a), uint8(g * 255 / a), uint8(bl * 255 / a), 255}
}

// closestOnTriangle returns the point of triangle abc nearest p and its barycentric weights
// (Ericson, "Real-Time Collision Detection", 2005, section 5.1.5).
func closestOnTriangle(p, a, b, c [3]float64) ([3]float64, [3]float64) {
	ab, ac, ap := sub3(b, a), sub3(c, a), sub3(p, a)
	d1, d2 := dot64(ab, ap), dot64(ac, ap)
	if d1 <= 0 && d2 <= 0 {
		return a, [3]float64{1, 0, 0}
	}
	bp := sub3(p, b)
	d3, d4 := dot64(ab, bp), dot64(ac, bp)
	if d3 >= 0 && d4 <= d3 {
		return b, [3]float64{0, 1, 0}
	}
	vc := d1*d4 - d3*d2
	if vc <= 0 && d1 >= 0 && d3 <= 0 {
		t := d1 / (d1 - d3)
		return lerp3(a, ab, t), [3]float64{1 - t, t, 0}
	}
	cp := sub3(p, c)
	d5, d6 := dot64(ab, cp), dot64(ac, cp)
	if d6 >= 0 && d5 <= d6 {
		return c, [3]float64{0, 0, 1}
	}
	vb := d5*d2 - d1*d6
	if vb <= 0 && d2 >= 0 && d6 <= 0 {
		t := d2 / (d2 - d6)
		return lerp3(a, ac, t), [3]float64{1 - t, 0, t}
	}
	va := d3*d6 - d5*d4
	if va <= 0 && d4-d3 >= 0 && d5-d6 >= 0 {
		t := (d4 - d3) / ((d4 - d3) + (d5 - d6))
		return lerp3(b, sub3(c, b), t), [3]float64{0, 1 - t, t}
	}
	den := va + vb + vc
	if !(den > 0) || math.IsInf(den, 0) {
		// A degenerate triangle: its first vertex stands for it.
		return a, [3]float64{1, 0, 0}
	}
	v, w := vb/den, vc/den
	return [3]float64{a[0] + ab[0]*v + ac[0]*w, a[1] + ab[1]*v + ac[1]*w, a[2] + ab[2]*v + ac[2]*w}, [3]float64{1 - v - w, v, w}
}

func lerp3(a, d [3]float64, t float64) [3]float64 {
	return [3]float64{a[0] + d[0]*t, a[1] + d[1]*t, a[2] + d[2]*t}
}

// PrintableOptions controls MakePrintable. The zero value means Repair's and Solidify's defaults.
type PrintableOptions struct {
	Repair   RepairOptions
	Solidify SolidifyOptions
	// AlwaysSolidify rebuilds the mesh even when repair alone closes it (to remove
	// self-intersections or internal faces, which repair does not see).
	AlwaysSolidify bool
}

// PrintableReport says what MakePrintable did.
type PrintableReport struct {
	Repair RepairReport `json:"repair"`
	// Solidified is set when repair alone did not close the mesh (or AlwaysSolidify was set) and
	// Solidify rebuilt it; Solidify is then its report.
	Solidified bool            `json:"solidified"`
	Solidify   *SolidifyReport `json:"solidify,omitempty"`
	// Simplify reports the simplification of a repaired mesh to Solidify.FaceBudget, when one was
	// needed (a solidified mesh's is in Solidify).
	Simplify *SimplifyReport `json:"simplify,omitempty"`
}

// MakePrintable returns a closed, outward-oriented copy of m, within opt.Solidify.FaceBudget
// where one is set: Repair first (weld, degenerate and duplicate faces, orientation, holes,
// floaters); where the result is still not closed and outward, Solidify the repaired mesh. The
// input is not modified. Errors are Repair's and Solidify's.
func MakePrintable(ctx context.Context, m *Mesh, opt PrintableOptions) (*Mesh, PrintableReport, error) {
	var rep PrintableReport
	r, rrep, err := Repair(ctx, m, opt.Repair)
	rep.Repair = rrep
	if err != nil {
		return nil, rep, err
	}
	if t := r.Topology(); t.Closed() && t.Outward && !opt.AlwaysSolidify {
		if b := opt.Solidify.FaceBudget; b > 0 && len(r.Faces) > b {
			s, srep, err := Simplify(ctx, r, SimplifyOptions{TargetFaces: b})
			if err != nil {
				return nil, rep, err
			}
			r, rep.Simplify = s, &srep
		}
		return r, rep, nil
	}
	s, srep, err := Solidify(ctx, r, opt.Solidify)
	if err != nil {
		return nil, rep, err
	}
	rep.Solidified, rep.Solidify = true, &srep
	return s, rep, nil
}

// TextureToColors gives m vertex colours sampled from its texture at each vertex's UV (nearest
// texel, wrapping), and drops the UVs and the texture. A mesh without both UVs and a texture is
// left as it is.
func TextureToColors(m *Mesh) {
	if m.UVs == nil || m.Texture == nil {
		return
	}
	b := m.Texture.Bounds()
	m.Colors = make([][4]uint8, len(m.Positions))
	for i, uv := range m.UVs {
		m.Colors[i] = sampleTexture(m.Texture, b, [2]float64{float64(uv[0]), float64(uv[1])})
	}
	m.UVs, m.Texture = nil, nil
}

// measure returns the largest distance from out's vertices to the source's faces and how many
// vertices lie beyond the distance band, and, when colored, gives every vertex the source's
// colour at its nearest point. A vertex inside the band takes the nearest of the faces recorded
// at the corners of its cell (each the exact nearest face of that corner); one beyond it, over a
// bridged hole, the exact nearest face found by a ring search of a coarse grid of the source's
// faces. Vertices are taken in fixed chunks, so nothing depends on GOMAXPROCS.
func (s *solidifier) measure(ctx context.Context, out *Mesh, colored bool) (float64, int) {
	nv := len(out.Positions)
	dist := make([]float64, nv)
	far := make([]bool, nv)
	var bounds image.Rectangle
	if s.m.Texture != nil {
		bounds = s.m.Texture.Bounds()
	}
	if colored {
		out.Colors = make([][4]uint8, nv)
	}
	const chunk = 1024
	par.For((nv+chunk-1)/chunk, runtime.GOMAXPROCS(0), func(c int) {
		if ctx.Err() != nil {
			return
		}
		for vi := c * chunk; vi < min(nv, (c+1)*chunk); vi++ {
			p := f64(out.Positions[vi])
			var base [3]int
			for a := range 3 {
				base[a] = min(max(0, int(math.Floor((p[a]-s.origin[a])/s.voxel))), s.dims[a]-2)
			}
			best, bestF := math.Inf(1), int32(-1)
			var bestW [3]float64
			for k := range 8 {
				fi := s.near[s.index(base[0]+k&1, base[1]+k>>1&1, base[2]+k>>2&1)]
				if fi < 0 || fi == bestF {
					continue
				}
				f := s.m.Faces[fi]
				cp, w := closestOnTriangle(p, f64(s.m.Positions[f[0]]), f64(s.m.Positions[f[1]]), f64(s.m.Positions[f[2]]))
				d := sub3(p, cp)
				if dd := dot64(d, d); dd < best || (dd == best && fi < bestF) {
					best, bestF, bestW = dd, fi, w
				}
			}
			if bestF < 0 || best > s.voxel*s.voxel {
				far[vi] = true
				continue
			}
			dist[vi] = math.Sqrt(best)
			if colored {
				out.Colors[vi] = s.colorAt(bestF, bestW, bounds)
			}
		}
	})
	var farIdx []int
	for vi, f := range far {
		if f {
			farIdx = append(farIdx, vi)
		}
	}
	if len(farIdx) > 0 && ctx.Err() == nil {
		g := newRingGrid(s.m, 8*s.voxel)
		const farChunk = 64
		par.For((len(farIdx)+farChunk-1)/farChunk, runtime.GOMAXPROCS(0), func(c int) {
			if ctx.Err() != nil {
				return
			}
			stamp := make([]int32, len(s.m.Faces))
			for _, vi := range farIdx[c*farChunk : min(len(farIdx), (c+1)*farChunk)] {
				d, fi, w := g.nearest(f64(out.Positions[vi]), stamp, int32(vi+1))
				dist[vi] = d
				if colored && fi >= 0 {
					out.Colors[vi] = s.colorAt(fi, w, bounds)
				}
			}
		})
	}
	mx := 0.0
	for _, d := range dist {
		mx = max(mx, d)
	}
	return mx, len(farIdx)
}

// ringGrid bins a mesh's faces into cubic cells for an exact nearest-face search.
type ringGrid struct {
	m      *Mesh
	cell   float64
	origin [3]float64
	dims   [3]int
	start  []int32 // CSR over cells
	faces  []int32
}

func newRingGrid(m *Mesh, cell float64) *ringGrid {
	b := m.Bounds()
	g := &ringGrid{m: m, cell: cell}
	for a := range 3 {
		g.origin[a] = float64(b.Min[a])
		g.dims[a] = max(1, int(math.Ceil((float64(b.Max[a])-g.origin[a])/cell))+1)
	}
	n := g.dims[0] * g.dims[1] * g.dims[2]
	g.start = make([]int32, n+1)
	each := func(fn func(c int, fi int32)) {
		for fi, f := range m.Faces {
			lo, hi := g.cellOf(f64(m.Positions[f[0]])), g.cellOf(f64(m.Positions[f[0]]))
			for _, v := range f[1:] {
				c := g.cellOf(f64(m.Positions[v]))
				for a := range 3 {
					lo[a], hi[a] = min(lo[a], c[a]), max(hi[a], c[a])
				}
			}
			for k := lo[2]; k <= hi[2]; k++ {
				for j := lo[1]; j <= hi[1]; j++ {
					for i := lo[0]; i <= hi[0]; i++ {
						fn(i+g.dims[0]*(j+g.dims[1]*k), int32(fi))
					}
				}
			}
		}
	}
	each(func(c int, _ int32) { g.start[c+1]++ })
	for i := range n {
		g.start[i+1] += g.start[i]
	}
	g.faces = make([]int32, g.start[n])
	fill := slices.Clone(g.start[:n])
	each(func(c int, fi int32) { g.faces[fill[c]] = fi; fill[c]++ })
	return g
}

func (g *ringGrid) cellOf(p [3]float64) [3]int {
	var c [3]int
	for a := range 3 {
		c[a] = min(max(0, int((p[a]-g.origin[a])/g.cell)), g.dims[a]-1)
	}
	return c
}

// nearest returns the exact distance from p to the nearest face, searching rings of cells
// around p's until no unvisited cell can hold a nearer face. stamp marks faces already measured
// for this query (tag).
func (g *ringGrid) nearest(p [3]float64, stamp []int32, tag int32) (float64, int32, [3]float64) {
	c := g.cellOf(p)
	// p may lie outside the grid: rings are counted from its clamped cell, so add its distance
	// to that cell to the bound.
	var off float64
	for a := range 3 {
		lo := g.origin[a] + float64(c[a])*g.cell
		off = max(off, lo-p[a], p[a]-(lo+g.cell))
	}
	best := math.Inf(1)
	bestF := int32(-1)
	var bestW [3]float64
	maxRing := max(g.dims[0], g.dims[1], g.dims[2])
	for r := 0; r <= maxRing; r++ {
		for k := c[2] - r; k <= c[2]+r; k++ {
			for j := c[1] - r; j <= c[1]+r; j++ {
				for i := c[0] - r; i <= c[0]+r; i++ {
					if max(abs(i-c[0]), abs(j-c[1]), abs(k-c[2])) != r ||
						i < 0 || j < 0 || k < 0 || i >= g.dims[0] || j >= g.dims[1] || k >= g.dims[2] {
						continue
					}
					ci := i + g.dims[0]*(j+g.dims[1]*k)
					if g.start[ci] == g.start[ci+1] || g.cellDist2(p, i, j, k) > best {
						continue // empty, or no face in it can be nearer than the best found
					}
					for _, fi := range g.faces[g.start[ci]:g.start[ci+1]] {
						if stamp[fi] == tag {
							continue
						}
						stamp[fi] = tag
						f := g.m.Faces[fi]
						cp, w := closestOnTriangle(p, f64(g.m.Positions[f[0]]), f64(g.m.Positions[f[1]]), f64(g.m.Positions[f[2]]))
						d := sub3(p, cp)
						if dd := dot64(d, d); dd < best || (dd == best && fi < bestF) {
							best, bestF, bestW = dd, fi, w
						}
					}
				}
			}
		}
		// Every face not yet measured lies in a cell of ring r+1 or beyond: at least r·cell from
		// p's cell, less p's distance outside it.
		if reach := float64(r)*g.cell - off; reach > 0 && best <= reach*reach {
			break
		}
	}
	return math.Sqrt(best), bestF, bestW
}

// cellDist2 is the squared distance from p to cell (i, j, k)'s box.
func (g *ringGrid) cellDist2(p [3]float64, i, j, k int) float64 {
	var d2 float64
	for a, c := range [3]int{i, j, k} {
		lo := g.origin[a] + float64(c)*g.cell
		d := max(lo-p[a], 0, p[a]-(lo+g.cell))
		d2 += d * d
	}
	return d2
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
